"""Documents: which the user may see, which kinds a case can have, and what goes into each
generated document (one context builder per kind).

``cases`` builds the request letter and the consent form; the agreement summary needs the
agreement, which lives in ``negotiations``, so that app registers its builder at start-up
(cases never imports negotiations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Case, CaseStatus, Document, DocumentKind

from .reference import case_policy, insurer_contact_for
from .tenancy import practice_ids_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def documents_visible_to(user: User | AnonymousUser) -> QuerySet[Document]:
    return Document.objects.filter(case__practice_id__in=practice_ids_for(user))


def document_kinds_for(case: Case) -> list[str]:
    """The kinds of document this case can have now: the agreement summary once approved."""
    kinds: list[str] = [DocumentKind.REQUEST_LETTER, DocumentKind.CONSENT_FORM]
    if case.status in (CaseStatus.APPROVED, CaseStatus.EXPIRED):
        kinds.append(DocumentKind.AGREEMENT_SUMMARY)
    return kinds


# What a document template reads: named values of many kinds (a case, a date, a list).
Context = dict[str, object]
ContextBuilder = Callable[[Case], Context]
BUILDERS: dict[str, ContextBuilder] = {}


class DocumentNotAvailable(Exception):
    """The case cannot produce this document (e.g. no agreement yet)."""


def register(kind: str, builder: ContextBuilder) -> None:
    BUILDERS[kind] = builder


def _loaded(case: Case) -> Case:
    return (
        Case.objects.select_related("practice", "client", "provider", "insurer", "client__insurer")
        .prefetch_related("services__billing_code", "network_searches", "consents")
        .get(pk=case.pk)
    )


def _base(case: Case) -> Context:
    """What every document reads; ``case`` comes from ``_loaded``."""
    return {
        "case": case,
        "practice": case.practice,
        "client": case.client,
        "provider": case.provider,
        "insurer": case.insurer,
        "today": timezone.localdate(),
        "policy": case_policy(case),
        # The practice's own SCA contact first, then the directory's (never another's).
        "contact": insurer_contact_for(practice_id=case.practice_id, insurer=case.insurer),
    }


def request_letter_context(case: Case) -> Context:
    case = _loaded(case)
    ctx = _base(case)
    ctx["services"] = list(case.services.all())
    ctx["searches"] = list(case.network_searches.all())
    return ctx


def consent_form_context(case: Case) -> Context:
    case = _loaded(case)
    ctx = _base(case)
    consents = [c for c in case.consents.all() if c.estimated_patient_cost is not None]
    ctx["estimated_cost"] = consents[-1].estimated_patient_cost if consents else None
    return ctx


register(DocumentKind.REQUEST_LETTER, request_letter_context)
register(DocumentKind.CONSENT_FORM, consent_form_context)


def context_for(kind: str, case: Case) -> Context:
    builder = BUILDERS.get(kind)
    if builder is None:
        raise DocumentNotAvailable(f"No builder for {kind}")
    return builder(case)


def template_for(kind: str) -> str:
    return f"pdf/{kind}.html"
