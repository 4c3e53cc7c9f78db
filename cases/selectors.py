"""Scoped reads: the one door to tenant data, the policy in force, and readiness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from billing_codes.models import code_label

from .models import (
    Case,
    CaseEvent,
    Client,
    Consent,
    ContactPurpose,
    Document,
    InitiatedBy,
    Insurer,
    InsurerContact,
    NetworkSearch,
    Practice,
    Provider,
    RatePolicy,
    Reason,
    RequestedService,
    ServiceType,
)
from .permissions import user_roles

# Protocol numbers used when the insurer has no policy in force (issue 3).
DEFAULT_MIN_NETWORK_ATTEMPTS = 3


def practice_ids_for(user) -> list[int]:
    return list(user_roles(user).keys())


def practices_for(user) -> QuerySet[Practice]:
    return Practice.objects.filter(id__in=practice_ids_for(user))


def clients_visible_to(user) -> QuerySet[Client]:
    return Client.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "practice", "insurer"
    )


def providers_visible_to(user) -> QuerySet[Provider]:
    return Provider.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "practice"
    )


def cases_visible_to(user) -> QuerySet[Case]:
    return Case.objects.filter(practice_id__in=practice_ids_for(user))


def case_list_for(user) -> QuerySet[Case]:
    return cases_visible_to(user).select_related(
        "client", "provider", "insurer", "assigned_to", "practice"
    )


# Up to this many matching clients are passed to the case query as a list of ids, which lets
# PostgreSQL combine three index scans (client, reference, authorization); more fall back to
# a subquery.
SEARCH_CLIENT_IDS_MAX = 5000


def search_cases(queryset: QuerySet[Case], practice_ids, terms: list[str]) -> QuerySet[Case]:
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


def case_detail_for(user) -> QuerySet[Case]:
    return (
        case_list_for(user)
        .select_related("created_by", "renewal_of")
        .prefetch_related(
            Prefetch("services", queryset=RequestedService.objects.select_related("billing_code")),
            Prefetch("network_searches", queryset=NetworkSearch.objects.all()),
            Prefetch("consents", queryset=Consent.objects.all()),
        )
    )


def get_case_for(user, case_id) -> Case:
    """The case if the user may see it; another practice's case is simply not found."""
    try:
        return cases_visible_to(user).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No such case.") from None


def documents_visible_to(user) -> QuerySet[Document]:
    return Document.objects.filter(case__practice_id__in=practice_ids_for(user))


def consents_visible_to(user) -> QuerySet[Consent]:
    return Consent.objects.filter(case__practice_id__in=practice_ids_for(user))


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor")


def insurers_active() -> QuerySet[Insurer]:
    return Insurer.objects.filter(is_active=True)


def policies_on(on: dt.date, *, practice_id: int) -> QuerySet[RatePolicy]:
    """The practice's policies in force on ``on`` (from ``effective_from``, through
    ``effective_to`` when it is set), the latest start first: the one rule for "in force".
    Policies belong to a practice, so there is no reading them without one."""
    return (
        RatePolicy.objects.filter(practice_id=practice_id, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from")
    )


def policy_in_force(
    *, practice_id: int, insurer_id: int, line_of_business: str, on: dt.date
) -> RatePolicy | None:
    return (
        policies_on(on, practice_id=practice_id)
        .filter(insurer_id=insurer_id, line_of_business=line_of_business)
        .prefetch_related("rates")
        .first()
    )


PolicyKey = tuple[int, int, str]  # (practice id, insurer id, line of business)


def policies_in_force(keys: Iterable[PolicyKey], on: dt.date) -> dict[PolicyKey, RatePolicy]:
    """The policy in force per (practice, insurer, line of business), in one query (with
    their rates)."""
    keys = set(keys)
    if not keys:
        return {}
    wanted = Q()
    for practice_id, insurer_id, line in keys:
        wanted |= Q(practice_id=practice_id, insurer_id=insurer_id, line_of_business=line)
    rows = (
        RatePolicy.objects.filter(wanted, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .prefetch_related("rates")
        .order_by("-effective_from")
    )
    policies: dict[PolicyKey, RatePolicy] = {}
    for policy in rows:
        policies.setdefault(
            (policy.practice_id, policy.insurer_id, policy.line_of_business), policy
        )
    return policies


def policy_key(case: Case) -> PolicyKey:
    """Which practice's policy a case reads: its own practice, its insurer, and the line of
    business of the client's coverage."""
    return (case.practice_id, case.insurer_id, case.client.line_of_business)


def case_policy(case: Case, *, on: dt.date | None = None) -> RatePolicy | None:
    """The policy a case works under: the one recorded when it was submitted; before that
    (a draft), its practice's policy in force on ``on`` (default today). A case submitted
    when no policy was on file reads the one in force on its submission date, if one has
    been entered since."""
    if case.rate_policy_id is not None:
        return RatePolicy.objects.prefetch_related("rates").get(pk=case.rate_policy_id)
    if case.submitted_at is not None:
        on = timezone.localdate(case.submitted_at)
    practice_id, insurer_id, line = policy_key(case)
    return policy_in_force(
        practice_id=practice_id,
        insurer_id=insurer_id,
        line_of_business=line,
        on=on or timezone.localdate(),
    )


def rate_policies_visible_to(user) -> QuerySet[RatePolicy]:
    return RatePolicy.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "insurer", "practice"
    )


def insurer_contacts_visible_to(user) -> QuerySet[InsurerContact]:
    return InsurerContact.objects.filter(practice_id__in=practice_ids_for(user)).select_related(
        "insurer"
    )


@dataclass(frozen=True)
class ContactDetails:
    """Where to send an insurer's SCA mail for one practice: each field is the practice's own
    (``InsurerContact``) when it filled it in, else the directory's default."""

    department: str
    organization: str
    address: str
    fax: str
    email: str
    phone: str
    portal_url: str
    notes: str
    own: frozenset[str]  # the fields that came from the practice's own contact


def insurer_contact_for(
    *, practice_id: int, insurer: Insurer, purpose: str = ContactPurpose.SCA_REQUEST
) -> ContactDetails:
    own = InsurerContact.objects.filter(
        practice_id=practice_id, insurer_id=insurer.pk, purpose=purpose
    ).first()
    directory = {
        "department": "Single Case Agreement Department"
        if purpose == ContactPurpose.SCA_REQUEST
        else "Appeals Department",
        "address": insurer.sca_address,
        "fax": insurer.sca_fax,
        "email": insurer.sca_email,
        "phone": insurer.sca_phone,
        "portal_url": insurer.portal_url,
        "notes": "",
    }
    values, mine = {}, set()
    for name, default in directory.items():
        value = getattr(own, name, "") if own is not None else ""
        if value:
            mine.add(name)
        values[name] = value or default
    return ContactDetails(organization=insurer.behavioral_health_org, own=frozenset(mine), **values)


# ---------------------------------------------------------------------------- dashboard


# The dashboard's case lists are ordered querysets with the same columns, so that the page can
# read them together (sca_portal.queries.fetch_together): what the lists show and what
# readiness reads, not the client's address, birth date or contacts. Compiling and loading
# the 61 columns of case, client and insurer was most of the dashboard's database time.
SUMMARY_FIELDS = (
    "practice", "client", "insurer", "provider", "status", "reason", "initiated_by",
    "service_type", "clinical_justification", "planned_start_date", "requested_start",
    "requested_end", "sessions_requested", "sessions_remaining", "follow_up_on", "submitted_at",
    "decided_at", "created_at", "rate_policy", "client__first_name", "client__last_name",
    "client__line_of_business", "insurer__name",
)  # fmt: skip


def case_summaries(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related("client", "insurer").only(*SUMMARY_FIELDS)


def my_drafts(user, practice_id: int) -> QuerySet[Case]:
    """The user's drafts (created by or assigned to them), newest first."""
    return (
        case_summaries(cases_visible_to(user))
        .filter(practice_id=practice_id, status="draft")
        .filter(Q(assigned_to=user) | Q(created_by=user))
        .order_by("-created_at", "-id")
    )


def follow_ups_due(user, practice_id: int, *, on: dt.date) -> QuerySet[Case]:
    """Open cases of the practice with a follow-up today or earlier, oldest first."""
    return (
        case_summaries(cases_visible_to(user))
        .filter(practice_id=practice_id, follow_up_on__lte=on)
        .exclude(status__in=["withdrawn", "denied", "declined", "expired"])
        .order_by("follow_up_on", "id")
    )


def recently_decided(user, practice_id: int) -> QuerySet[Case]:
    return (
        case_summaries(cases_visible_to(user))
        .filter(practice_id=practice_id, decided_at__isnull=False)
        .order_by("-decided_at", "-id")
    )


def with_readiness(cases: list[Case], *, on: dt.date) -> list[tuple[Case, Readiness]]:
    """Each case with its readiness, in at most five queries whatever the number of cases."""
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
    return [
        (
            case,
            case_readiness(
                case,
                on=on,
                policy=recorded.get(case.rate_policy_id)
                if case.rate_policy_id
                else in_force.get(policy_key(case)),
            ),
        )
        for case in cases
    ]


# ---------------------------------------------------------------------------- readiness


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    severity: str  # "error" blocks submission, "warning" does not
    detail: str


@dataclass
class Readiness:
    checks: list[Check]
    policy: RatePolicy | None

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks if c.severity == "error")

    @property
    def failing_errors(self) -> list[Check]:
        return [c for c in self.checks if c.severity == "error" and not c.ok]

    def as_dict(self) -> dict:
        return {"ready": self.ready, "checks": [asdict(c) for c in self.checks]}


def _error(code: str, ok: bool, detail: str) -> Check:
    return Check(code=code, ok=ok, severity="error", detail=detail)


def _warning(code: str, ok: bool, detail: str) -> Check:
    return Check(code=code, ok=ok, severity="warning", detail=detail)


def _label(service: RequestedService) -> str:
    return code_label(service.billing_code.code, service.modifier)


_UNSET = object()


def case_readiness(case: Case, *, on: dt.date | None = None, policy=_UNSET) -> Readiness:
    """Every submission check for ``case`` as of ``on`` (default: today), errors and warnings.

    The insurer's policy in force that day supplies the protocol numbers; without one
    the defaults apply (3 attempts, consent when the practice initiates, pre-treatment
    for ABA). Runs a fixed number of queries whatever the case holds.
    """
    on = on or timezone.localdate()
    if policy is _UNSET:
        policy = case_policy(case, on=on)
    prefetched = getattr(case, "_prefetched_objects_cache", {})
    services = list(
        case.services.all()
        if "services" in prefetched
        else case.services.select_related("billing_code")
    )
    searches = list(case.network_searches.all())
    consents = list(case.consents.all())
    checks: list[Check] = []

    checks.append(
        _error(
            "provider_missing",
            case.provider_id is not None,
            "A treating provider is named."
            if case.provider_id
            else "Choose the provider who will treat the client; the insurer contracts with them.",
        )
    )
    checks.append(
        _error(
            "justification_missing",
            bool(case.clinical_justification.strip()),
            "The clinical justification is written."
            if case.clinical_justification.strip()
            else "Write the clinical justification: why this client needs this provider.",
        )
    )
    checks.append(
        _error(
            "no_services",
            bool(services),
            f"{len(services)} billing code(s) requested."
            if services
            else "Add at least one billing code with its units to request.",
        )
    )

    attempts_needed = policy.min_network_attempts if policy else DEFAULT_MIN_NETWORK_ATTEMPTS
    if case.reason == Reason.NETWORK_INADEQUACY:
        tried = sum(1 for s in searches if s.unsuccessful)
        ok = tried >= attempts_needed
        detail = (
            f"{tried} unsuccessful in-network attempts documented ({attempts_needed} needed)."
            if ok
            else f"Document at least {attempts_needed} unsuccessful attempts to find an "
            f"in-network provider; {tried} so far."
        )
    else:
        ok, detail = True, "Not needed: the reason is not network inadequacy."
    checks.append(_error("network_search_incomplete", ok, detail))

    pre_treatment = case.service_type == ServiceType.ABA or bool(
        policy and policy.requires_pre_treatment
    )
    if pre_treatment:
        if case.planned_start_date is None:
            ok, detail = False, "Enter the planned treatment start date (it must be after today)."
        elif case.planned_start_date <= on:
            ok = False
            detail = (
                f"Treatment is planned to start {case.planned_start_date.isoformat()}; the SCA "
                "must be requested before treatment starts. Move the start date after today."
            )
        else:
            ok, detail = True, "Treatment starts after the submission date."
    else:
        ok, detail = True, "Not needed: the insurer does not require a pre-treatment request."
    checks.append(_error("treatment_already_started", ok, detail))

    needs_consent = case.initiated_by == InitiatedBy.PRACTICE or bool(
        policy and policy.requires_consent
    )
    if needs_consent:
        signed = [c for c in consents if c.acknowledges_costs and c.signed_on <= on]
        ok = bool(signed)
        detail = (
            "A signed consent acknowledging possible costs is on file."
            if ok
            else "Record the client's or guardian's signed consent, including that they "
            "acknowledge the SCA is no guarantee of payment and costs may apply."
        )
    else:
        ok, detail = True, "Not needed: the patient initiated and the insurer does not require it."
    checks.append(_error("consent_missing", ok, detail))

    if case.reason == Reason.PROVIDER_TRANSITION:
        has_remaining = case.sessions_remaining is not None
        checks.append(
            _error(
                "sessions_remaining_required",
                has_remaining,
                f"{case.sessions_remaining} sessions remaining."
                if has_remaining
                else "Enter the number of sessions remaining in the transition.",
            )
        )
        exceeds = (
            has_remaining
            and case.sessions_requested is not None
            and case.sessions_requested > case.sessions_remaining
        )
        checks.append(
            _error(
                "sessions_exceed_remaining",
                not exceeds,
                f"Request {case.sessions_requested} sessions at most {case.sessions_remaining}: "
                "a transition covers only the sessions remaining."
                if exceeds
                else "Sessions requested are within the sessions remaining.",
            )
        )

    if case.service_type == ServiceType.ABA:
        not_aba = [_label(s) for s in services if not s.billing_code.is_aba]
        checks.append(
            _error(
                "code_not_aba",
                not not_aba,
                f"Not ABA codes: {', '.join(not_aba)}. Use ABA codes for an ABA case."
                if not_aba
                else "Every code is an ABA code.",
            )
        )
    inactive = [_label(s) for s in services if not s.billing_code.is_active]
    checks.append(
        _error(
            "code_inactive",
            not inactive,
            f"Retired codes: {', '.join(inactive)}. Replace them with current codes."
            if inactive
            else "Every code is active.",
        )
    )

    start, end = case.requested_start, case.requested_end
    if start is None or end is None:
        ok, detail = False, "Enter the requested start and end dates of the agreement."
    elif end <= start:
        ok, detail = False, "The requested period must end after it starts."
    else:
        ok, detail = True, f"Requested period {start.isoformat()} to {end.isoformat()}."
    checks.append(_error("period_invalid", ok, detail))
    max_days = policy.max_agreement_days if policy else None
    if ok and max_days:
        days = (end - start).days + 1
        too_long = days > max_days
        checks.append(
            _error(
                "period_too_long",
                not too_long,
                f"The period is {days} days; {case.insurer.name} agrees to {max_days} at most."
                if too_long
                else f"Within the insurer's longest agreement ({max_days} days).",
            )
        )

    checks.append(
        _warning(
            "no_policy_in_force",
            policy is not None,
            f"Policy in force: {policy.get_kind_display()}."
            if policy
            else "This insurer has no rate policy on file for today; defaults are used "
            "(3 network attempts, consent when the practice initiates). Ask an administrator.",
        )
    )
    missing_rate = [_label(s) for s in services if s.requested_rate is None]
    checks.append(
        _warning(
            "rate_missing",
            not missing_rate,
            f"No requested rate for {', '.join(missing_rate)}; the agreement must state a rate."
            if missing_rate
            else "Every code has a requested rate.",
        )
    )
    below = []
    if policy:
        network = {
            (r.billing_code_id, r.modifier): r.highest_network_rate for r in policy.rates.all()
        }
        for s in services:
            rate = network.get(
                (s.billing_code_id, s.modifier), network.get((s.billing_code_id, ""))
            )
            if s.requested_rate is not None and rate is not None and s.requested_rate < rate:
                below.append(f"{_label(s)} ({s.requested_rate} < {rate})")
    checks.append(
        _warning(
            "rate_below_network",
            not below,
            "Requested below the insurer's highest network rate: " + ", ".join(below)
            if below
            else "No requested rate is below the insurer's highest network rate.",
        )
    )
    return Readiness(checks=checks, policy=policy)
