"""Documents: which the user may see, which kinds a case can have, and what goes into each
generated document (one context builder per kind, with an optional check of whether the case
can have that kind now).

``cases`` builds the request letter, the consent form and the appeal letter; the agreement
summary and the counter-offer letter read what ``negotiations`` owns, so that app registers
their builders (and checks) at start-up (cases never imports negotiations)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from billing_codes.diagnoses import diagnosis_label
from billing_codes.models import code_label
from cases.models import (
    ATTACHMENT_ORDER,
    AttachmentKind,
    Case,
    CaseAttachment,
    CaseStatus,
    Document,
    DocumentKind,
    InitiatedBy,
    PolicyKind,
    RatePolicy,
    RequestedService,
    UnitPeriod,
)
from cases.rates import DAYS_PER_WEEK, MONTHS_PER_DAY, period_units, to_cent
from core.exceptions import DomainError, conflict

from .appeal_letter import appeal_content, appeal_letter_check
from .reference import case_policy, insurer_contact_for
from .tenancy import practice_ids_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def documents_visible_to(user: User | AnonymousUser) -> QuerySet[Document]:
    return Document.objects.filter(case__practice_id__in=practice_ids_for(user))


# What a document template reads: named values of many kinds (a case, a date, a list).
Context = dict[str, object]
ContextBuilder = Callable[[Case], Context]
# Whether a case can have a kind now: raises the DomainError (409) that says why not.
DocumentCheck = Callable[[Case], None]
BUILDERS: dict[str, ContextBuilder] = {}
CHECKS: dict[str, DocumentCheck] = {}


class DocumentNotAvailable(Exception):
    """The case cannot produce this document (e.g. no agreement yet)."""


def register(kind: str, builder: ContextBuilder, check: DocumentCheck | None = None) -> None:
    """The builder of ``kind``'s content and, when given, its check: run when the document is
    asked for (both doors) and to offer the kind's button, so a refusal comes at once rather
    than from the worker."""
    BUILDERS[kind] = builder
    if check is not None:
        CHECKS[kind] = check


def document_check(case: Case, kind: str) -> None:
    """Refuse (409) a document of ``kind`` the case cannot have now: the agreement summary
    before the case is approved, a kind nobody builds, a kind whose registered check fails."""
    if kind == DocumentKind.AGREEMENT_SUMMARY and case.status not in (
        CaseStatus.APPROVED,
        CaseStatus.EXPIRED,
    ):
        raise conflict("no_agreement", "The agreement summary exists once the case is approved.")
    if kind != DocumentKind.SUBMISSION_PACKET and kind not in BUILDERS:
        raise conflict("document_unavailable", "This kind of document cannot be made here.")
    check = CHECKS.get(kind)
    if check is not None:
        check(case)


def document_available(case: Case, kind: str) -> bool:
    try:
        document_check(case, kind)
    except DomainError:
        return False
    return True


def document_kinds_for(case: Case) -> list[str]:
    """The kinds of document this case can have now (the workspace's buttons): the letters
    and forms whose check passes (the appeal letter once denied, the counter-offer letter once
    the practice countered, the agreement summary once approved); the submission packet
    always (a draft's lists what it still lacks)."""
    packet = DocumentKind.SUBMISSION_PACKET
    kinds = [k for k in DocumentKind.values if k != packet and document_available(case, k)]
    return [*kinds, packet]


def _loaded(case: Case) -> Case:
    """The case with everything its documents read, in a fixed number of queries."""
    current = CaseAttachment.objects.filter(archived_at__isnull=True)
    return (
        Case.objects.select_related("practice", "client", "provider", "insurer", "client__insurer")
        .prefetch_related(
            "services__billing_code",
            "network_searches",
            "consents",
            Prefetch("attachments", queryset=current),
        )
        .get(pk=case.pk)
    )


# Codes billed in 15-minute units, for a code whose table row gives no unit length.
FIFTEEN_MINUTE_CODES = frozenset(
    {"97151", "97152", "97153", "97154", "97155", "97156", "97157", "97158", "0362T", "0373T"}
)
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class ServiceLine:
    """A requested code as the letter and the consent form print it."""

    label: str  # "97153-HO"
    description: str
    units: int
    period: str  # "Per week"
    hours_per_week: Decimal | None  # timed codes only
    total_units: Decimal | None  # over the requested period; None when it is not set
    rate: Decimal | None
    rate_note: str  # who sets the rate when none is requested
    amount: Decimal | None
    units_remaining: int | None


def rate_note(policy: RatePolicy | None) -> str:
    """What a document says for a blank requested rate (never a dash): under a
    non-negotiable policy the insurer's policy sets it, otherwise it is to be agreed."""
    if policy is not None and policy.kind == PolicyKind.HIGHEST_NETWORK_RATE:
        return "Rate per the insurer's highest in-network rate"
    if policy is not None and policy.kind == PolicyKind.PERCENT_OF_REFERENCE:
        percent = f"{policy.percent.normalize():f}" if policy.percent is not None else "a percent"
        return f"Rate per {percent}% of {policy.get_reference_schedule_display()}"
    return "Rate to be agreed"


def _per_week(s: RequestedService, start: dt.date | None, end: dt.date | None) -> Decimal | None:
    if s.unit_period == UnitPeriod.PER_WEEK:
        return Decimal(s.units)
    if s.unit_period == UnitPeriod.PER_MONTH:
        return Decimal(s.units) * MONTHS_PER_DAY * DAYS_PER_WEEK
    if start and end:
        return Decimal(s.units) * DAYS_PER_WEEK / Decimal((end - start).days + 1)
    return None


def service_line(s: RequestedService, case: Case, policy: RatePolicy | None) -> ServiceLine:
    start, end = case.requested_start, case.requested_end
    if start and end and end < start:  # a draft's backward period (readiness says so): no sums
        start = end = None
    code = s.billing_code
    minutes = code.unit_minutes or (15 if code.code in FIFTEEN_MINUTE_CODES else None)
    per_week = _per_week(s, start, end) if minutes else None
    if start and end:
        total: Decimal | None = period_units(s.units, s.unit_period, start, end)
    else:
        total = Decimal(s.units) if s.unit_period == UnitPeriod.TOTAL else None
    rate = s.requested_rate
    return ServiceLine(
        label=code_label(code.code, s.modifier),
        description=code.short_description,
        units=s.units,
        period=s.get_unit_period_display(),
        hours_per_week=(per_week * (minutes or 0) / 60).quantize(TENTH) if per_week else None,
        total_units=total.quantize(TENTH) if total is not None else None,
        rate=rate,
        rate_note="" if rate is not None else rate_note(policy),
        amount=to_cent(rate * total) if rate is not None and total is not None else None,
        units_remaining=s.units_remaining,
    )


def consent_enclosed(case: Case, policy: RatePolicy | None) -> bool:
    """A consent goes with the request when the practice initiated it or the policy asks
    for one (DESIGN.md rule 8)."""
    return case.initiated_by == InitiatedBy.PRACTICE or bool(policy and policy.requires_consent)


def _base(case: Case) -> Context:
    """What every document reads; ``case`` comes from ``_loaded``."""
    today = timezone.localdate()
    policy = case_policy(case)
    client = case.client
    lines = [service_line(s, case, policy) for s in case.services.all()]
    subscriber = " ".join(client.subscriber_name.split())
    return {
        "case": case,
        "reference": f"SCA-{case.pk}",
        "practice": case.practice,
        "client": client,
        "provider": case.provider,
        "insurer": case.insurer,
        "today": today,
        "policy": policy,
        # The practice's own SCA contact first, then the directory's (never another's).
        "contact": insurer_contact_for(practice_id=case.practice_id, insurer=case.insurer),
        "diagnoses": [diagnosis_label(code) for code in client.diagnosis_codes],
        # The policyholder, when the client is a dependant on someone else's plan.
        "subscriber": subscriber if subscriber.lower() != client.full_name.lower() else "",
        "services": lines,
        "services_total": sum((ln.amount for ln in lines if ln.amount), Decimal("0.00")),
        "unpriced": sum(1 for ln in lines if ln.amount is None),
        "units_remaining_given": any(ln.units_remaining is not None for ln in lines),
        "care_under_way": bool(case.treatment_started_on and case.treatment_started_on <= today),
        "consent_enclosed": consent_enclosed(case, policy),
    }


def document_context(case: Case) -> Context:
    """The content shared by every document of ``case`` (read by other apps' builders)."""
    return _base(_loaded(case))


@dataclass(frozen=True)
class PriorUse:
    """A renewed code's use of the authorization it renews (either number may be unknown)."""

    label: str
    used: int | None
    authorized: int | None


def renewal_context(case: Case) -> Context | None:
    """What a renewal's request letter says of the authorization it renews: its number, the
    units used of those authorized per code, the sessions, and whether a progress report goes
    with it; None for a case that renews nothing. Parts without data are left out."""
    if case.renewal_of_id is None:
        return None
    codes = [
        PriorUse(
            code_label(s.billing_code.code, s.modifier),
            s.prior_units_used,
            s.prior_units_authorized,
        )
        for s in case.services.all()
        if s.prior_units_used is not None or s.prior_units_authorized is not None
    ]
    kinds = {a.kind for a in case.attachments.all()}  # current ones (``_loaded``)
    return {
        "authorization_number": case.prior_authorization_number.strip(),
        "codes": codes,
        "sessions_used": case.prior_sessions_used,
        "sessions_authorized": case.prior_sessions_authorized,
        "progress_report": AttachmentKind.PROGRESS_REPORT in kinds,
    }


def _request_letter(case: Case) -> Context:
    """The request letter's content for a case from ``_loaded``."""
    ctx = _base(case)
    ctx["searches"] = list(case.network_searches.all())
    attachments = sorted(case.attachments.all(), key=lambda a: (ATTACHMENT_ORDER[a.kind], a.pk))
    ctx["enclosures"] = [(a.get_kind_display(), a.title) for a in attachments]
    ctx["renewal"] = renewal_context(case)
    return ctx


def request_letter_context(case: Case) -> Context:
    return _request_letter(_loaded(case))


def appeal_letter_context(case: Case) -> Context:
    """The appeal letter: the request letter's rows (services with their codes spelled out,
    diagnoses, searches, enclosures) and what the appeal adds (``appeal_letter``)."""
    case = _loaded(case)
    ctx = _request_letter(case)
    ctx.update(appeal_content(case, cast(RatePolicy | None, ctx["policy"])))
    return ctx


def consent_form_context(case: Case) -> Context:
    case = _loaded(case)
    ctx = _base(case)
    consents = [c for c in case.consents.all() if c.estimated_patient_cost is not None]
    ctx["estimated_cost"] = consents[-1].estimated_patient_cost if consents else None
    return ctx


register(DocumentKind.REQUEST_LETTER, request_letter_context)
register(DocumentKind.CONSENT_FORM, consent_form_context)
register(DocumentKind.APPEAL_LETTER, appeal_letter_context, appeal_letter_check)


def context_for(kind: str, case: Case) -> Context:
    builder = BUILDERS.get(kind)
    if builder is None:
        raise DocumentNotAvailable(f"No builder for {kind}")
    return builder(case)


def template_for(kind: str) -> str:
    return f"pdf/{kind}.html"
