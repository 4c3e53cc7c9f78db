"""Cases as the user may see them: the list, its search, one case with its parts, its
timeline, and the dashboard's lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Client,
    Consent,
    NetworkSearch,
    RatePolicy,
    RequestedService,
)

from .readiness import Readiness, case_readiness
from .readiness_documents import prefetch_for_readiness
from .reference import policies_in_force, policy_key
from .submissions import submissions_prefetch
from .tenancy import practice_ids_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    return Case.objects.filter(practice_id__in=practice_ids_for(user))


def case_list_for(user: User | AnonymousUser) -> QuerySet[Case]:
    return cases_visible_to(user).select_related(
        "client", "provider", "insurer", "assigned_to", "practice"
    )


# Up to this many matching clients are passed to the case query as a list of ids, which lets
# PostgreSQL combine three index scans (client, reference, authorization); more fall back to
# a subquery.
SEARCH_CLIENT_IDS_MAX = 5000


def search_cases(
    queryset: QuerySet[Case], practice_ids: Iterable[int], terms: list[str]
) -> QuerySet[Case]:
    """Every word must match the start of the client's first name, last name or member id,
    or be the insurer's reference or authorization number exactly.

    Clients are matched first over the (small) client table, on prefix indexes; the case
    table is then reached by its client index, never scanned with LIKE. Prefix matching is
    what a billing office types (a member id, or the first letters of a name)."""
    for term in [t for t in terms if t][:5]:
        clients = Client.objects.filter(practice_id__in=practice_ids).filter(
            Q(first_name__istartswith=term)
            | Q(last_name__istartswith=term)
            | Q(member_id__istartswith=term)
        )
        ids = list(clients.values_list("pk", flat=True)[: SEARCH_CLIENT_IDS_MAX + 1])
        by_client = (
            Q(client_id__in=ids)
            if len(ids) <= SEARCH_CLIENT_IDS_MAX
            else Q(client_id__in=clients.values("pk"))
        )
        queryset = queryset.filter(
            by_client | Q(insurer_reference__iexact=term) | Q(authorization_number__iexact=term)
        )
    return queryset


def case_detail_for(user: User | AnonymousUser) -> QuerySet[Case]:
    return (
        case_list_for(user)
        .select_related("created_by", "renewal_of")
        .prefetch_related(
            Prefetch("services", queryset=RequestedService.objects.select_related("billing_code")),
            Prefetch("network_searches", queryset=NetworkSearch.objects.all()),
            Prefetch("consents", queryset=Consent.objects.all()),
        )
    )


def case_workspace_for(user: User | AnonymousUser) -> QuerySet[Case]:
    """The workspace's case: the detail's parts and its sendings (one query more, however
    many)."""
    return case_detail_for(user).prefetch_related(submissions_prefetch())


def get_case_for(user: User | AnonymousUser, case_id: int | str) -> Case:
    """The case if the user may see it; another practice's case is simply not found."""
    try:
        return cases_visible_to(user).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No such case.") from None


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor")


# ---------------------------------------------------------------------------- dashboard


# The dashboard's case lists are ordered querysets with the same columns, so that the page can
# read them together (core.queries.fetch_together): what the lists show and what
# readiness reads, not the client's address, birth date or contacts. Compiling and loading
# the 61 columns of case, client and insurer was most of the dashboard's database time.
SUMMARY_FIELDS = (
    "practice", "client", "insurer", "provider", "status", "reason", "initiated_by",
    "service_type", "clinical_justification", "planned_start_date", "treatment_started_on",
    "coverage_change_on", "requested_start", "requested_end", "sessions_requested",
    "sessions_remaining", "follow_up_on", "submitted_at", "decided_at", "created_at",
    "rate_policy", "client__first_name", "client__last_name", "client__line_of_business",
    "insurer__name", "renewal_of",
)  # fmt: skip


def case_summaries(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related("client", "insurer").only(*SUMMARY_FIELDS)


def my_drafts(user: User | AnonymousUser, practice_id: int) -> QuerySet[Case]:
    """The user's drafts (created by or assigned to them), newest first."""
    return (
        case_summaries(cases_visible_to(user))
        .filter(practice_id=practice_id, status="draft")
        .filter(Q(assigned_to=user) | Q(created_by=user))
        .order_by("-created_at", "-id")
    )


def follow_ups_due(user: User | AnonymousUser, practice_id: int, *, on: dt.date) -> QuerySet[Case]:
    """Open cases of the practice with a follow-up today or earlier, oldest first."""
    return (
        case_summaries(cases_visible_to(user))
        .filter(practice_id=practice_id, follow_up_on__lte=on)
        .exclude(status__in=["withdrawn", "denied", "declined", "expired"])
        .order_by("follow_up_on", "id")
    )


def recently_decided(user: User | AnonymousUser, practice_id: int) -> QuerySet[Case]:
    return (
        case_summaries(cases_visible_to(user))
        .filter(practice_id=practice_id, decided_at__isnull=False)
        .order_by("-decided_at", "-id")
    )


def with_readiness(cases: list[Case], *, on: dt.date) -> list[tuple[Case, Readiness]]:
    """Each case with its readiness, in at most five queries whatever the number of cases
    (seven when a policy names attachments or provider documents)."""
    prefetch_related_objects(
        cases,
        Prefetch("services", queryset=RequestedService.objects.select_related("billing_code")),
        "network_searches",
        "consents",
    )
    recorded_ids = {c.rate_policy_id for c in cases if c.rate_policy_id}
    recorded = (
        {p.pk: p for p in RatePolicy.objects.filter(pk__in=recorded_ids).prefetch_related("rates")}
        if recorded_ids
        else {}
    )
    in_force = policies_in_force([policy_key(c) for c in cases if not c.rate_policy_id], on)
    policies = {
        case.pk: recorded.get(case.rate_policy_id)
        if case.rate_policy_id
        else in_force.get(policy_key(case))
        for case in cases
    }
    # The attachments and provider documents, only when a policy names some (two more).
    documents = prefetch_for_readiness(cases, policies)
    return [
        (
            case,
            case_readiness(case, on=on, policy=policies[case.pk], provider_documents=documents),
        )
        for case in cases
    ]


def sessions_still_remaining(case: Case) -> int | None:
    """Sessions of a transition not yet used: the agreement's count less utilization when
    the negotiations app reports it (duck-typed: cases never imports negotiations)."""
    agreement = getattr(case, "agreement", None) if case.status == CaseStatus.APPROVED else None
    used: int | None = getattr(agreement, "sessions_used", None)
    authorized: int | None = getattr(agreement, "sessions_authorized", None)
    if agreement is not None and authorized is not None and used is not None:
        return max(authorized - used, 0)
    return case.sessions_remaining
