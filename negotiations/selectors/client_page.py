"""The client page: one client of the user's practices with every SCA of theirs, each
agreement's use per code, and the cases' documents, consents and attachments.

Read in a fixed number of statements however many cases the client has: the client, its
cases (with the insurer and agreement joined), then one prefetch each for documents,
consents, current attachments, agreement lines and utilization entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from cases.models import Case, CaseAttachment, Client, Consent, Document
from cases.selectors.people import clients_visible_to

from ..models.agreements import Agreement, AgreementLine
from .utilization import UtilizationSummary, utilization_summary

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass
class ClientCase:
    """One SCA of the client as the page shows it."""

    case: Case
    agreement: Agreement | None
    # The agreement's use per code, each line with its code's description (None: no agreement).
    usage: UtilizationSummary | None
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def period(self) -> tuple[Any, Any]:
        """The agreed period, else the requested one."""
        if self.agreement is not None:
            return self.agreement.start_date, self.agreement.end_date
        return self.case.requested_start, self.case.requested_end


@dataclass
class ClientPage:
    client: Client
    cases: list[ClientCase]
    documents: list[Document]
    consents: list[Consent]
    attachments: list[CaseAttachment]

    @property
    def agreements(self) -> list[ClientCase]:
        return [row for row in self.cases if row.agreement is not None]


def client_cases(client: Client) -> QuerySet[Case]:
    """Every case of the client (in its practice), newest first, with what the page shows of
    each prefetched."""
    return (
        Case.objects.filter(client_id=client.pk, practice_id=client.practice_id)
        .select_related("insurer", "agreement")
        .prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("-created_at", "-id")),
            Prefetch("consents", queryset=Consent.objects.order_by("signed_on", "id")),
            Prefetch(
                "attachments",
                queryset=CaseAttachment.objects.filter(archived_at__isnull=True).order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "agreement__lines", queryset=AgreementLine.objects.select_related("billing_code")
            ),
            "agreement__utilization",
        )
        .order_by("-created_at", "-id")
    )


def client_page(user: User | AnonymousUser, client_id: int | str) -> ClientPage:
    """The page of a client of one of the user's practices; another practice's client is
    simply not found (404). An archived client is shown (the page says so)."""
    try:
        client = clients_visible_to(user).get(pk=client_id)
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404("No such client.") from None
    rows: list[ClientCase] = []
    documents: list[Document] = []
    consents: list[Consent] = []
    attachments: list[CaseAttachment] = []
    for case in client_cases(client):
        agreement: Agreement | None = getattr(case, "agreement", None)
        row = ClientCase(case=case, agreement=agreement, usage=None)
        if agreement is not None:
            row.usage = utilization_summary(agreement)  # reads the prefetched rows
            lines = agreement.lines.all()
            descriptions = {ln.pk: ln.billing_code.short_description for ln in lines}
            row.lines = [
                {**line, "description": descriptions.get(line["id"], "")}
                for line in row.usage["lines"]
            ]
        rows.append(row)
        documents.extend(case.documents.all())
        consents.extend(case.consents.all())
        attachments.extend(case.attachments.all())
    documents.sort(key=lambda d: (d.created_at, d.pk), reverse=True)
    return ClientPage(
        client=client,
        cases=rows,
        documents=documents,
        consents=consents,
        attachments=attachments,
    )
