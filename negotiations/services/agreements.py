"""The agreement: accepting the insurer's offer or its approval as requested writes it (the
terms, the lines, the flags); approved cases whose agreement ended expire."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import AppealOutcome, Case, CaseAction, CaseStatus
from cases.models.case import DATE_CEILING, DATE_FLOOR
from cases.selectors.reference import case_policy
from cases.services.appeals import appeal_close_pending
from cases.services.case import case_bump, check_transition, lock_case, record_event
from core.exceptions import DomainError, conflict

from .. import pricing
from ..models.agreements import Agreement, AgreementLine
from ..models.offers import Offer, OfferStatus
from ..selectors.agreements import AgreedLine, agreement_flags, ended_case_ids
from .alerts import alerts_evaluate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Sessions authorized, when the insurer gives them: an agreement that authorizes sessions
# authorizes at least one (the API's serializer and the desk's form read these).
SESSIONS_AUTHORIZED_MIN = 1
SESSIONS_AUTHORIZED_MAX = 100_000


class _Terms(TypedDict):
    authorization_number: str
    start_date: dt.date
    end_date: dt.date
    sessions_authorized: int | None


def _validate_terms(
    authorization_number: str,
    start_date: dt.date,
    end_date: dt.date,
    sessions_authorized: int | None,
) -> str:
    errors: dict[str, str] = {}
    authorization_number = (authorization_number or "").strip()
    if not authorization_number:
        errors["authorization_number"] = "Enter the insurer's authorization number."
    if start_date and end_date and end_date <= start_date:
        errors["end_date"] = "The agreement must end after it starts."
    # Within this century, as a request's dates are (a far end breaks the renewal's start).
    for name, day in (("start_date", start_date), ("end_date", end_date)):
        if day and not DATE_FLOOR <= day <= DATE_CEILING:
            errors[name] = "Enter a date between 2000 and 2099."
    if sessions_authorized is not None and not (
        SESSIONS_AUTHORIZED_MIN <= sessions_authorized <= SESSIONS_AUTHORIZED_MAX
    ):
        errors["sessions_authorized"] = (
            f"Give from {SESSIONS_AUTHORIZED_MIN} to {SESSIONS_AUTHORIZED_MAX:,} sessions, "
            "or leave it empty."
        )
    if errors:
        raise ValidationError(errors)
    return authorization_number


def _write_agreement(
    case: Case, actor: User, lines: list[AgreedLine], terms: _Terms, offer: Offer | None
) -> Agreement:
    flags = agreement_flags(case, lines)
    agreement = Agreement(
        case=case,
        authorization_number=terms["authorization_number"],
        start_date=terms["start_date"],
        end_date=terms["end_date"],
        sessions_authorized=terms["sessions_authorized"],
        source_offer=offer,
        flags=flags,
        created_by=actor if actor.pk else None,
    )
    agreement.full_clean(exclude=["case", "source_offer"])
    agreement.save()
    AgreementLine.objects.bulk_create(
        [
            AgreementLine(
                agreement=agreement,
                billing_code=line["billing_code"],
                modifier=line["modifier"],
                rate=line["rate"],
                units_authorized=line["units"],
                unit_period=line["unit_period"] or "total",
            )
            for line in lines
        ]
    )
    case.status = CaseStatus.APPROVED
    case.decided_at = timezone.now()
    case.authorization_number = terms["authorization_number"]
    case_bump(case, ["status", "decided_at", "authorization_number"])
    # An agreement that starts short (3 sessions, ending within 30 days) is noticed now.
    alerts_evaluate(case_id=case.pk)
    return agreement


def _terms(
    case: Case,
    authorization_number: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    sessions_authorized: int | None,
) -> _Terms:
    start_date = start_date or case.requested_start
    end_date = end_date or case.requested_end
    if start_date is None or end_date is None:
        raise ValidationError({"start_date": "Give the agreement's start and end dates."})
    number = _validate_terms(authorization_number, start_date, end_date, sessions_authorized)
    return {
        "authorization_number": number,
        "start_date": start_date,
        "end_date": end_date,
        "sessions_authorized": sessions_authorized,
    }


@transaction.atomic
def offer_accept(
    *,
    case_id: int,
    offer_id: int,
    actor: User,
    authorization_number: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    sessions_authorized: int | None = None,
) -> Agreement:
    """Accept the open offer: the case is approved and the agreement written from its lines.
    The doors find the offer through the case (selectors.offers.get_offer_on: another case's
    offer is a 404) before they call this."""
    case = lock_case(case_id)
    offer = Offer.objects.select_for_update().filter(pk=offer_id, case_id=case.pk).first()
    if offer is None:
        raise ValidationError({"offer": "No such offer on this case."})
    if offer.status != OfferStatus.OPEN:
        raise conflict(
            "offer_not_open",
            f"This offer is {offer.get_status_display().lower()}; "
            "only the open offer can be accepted.",
        )
    check_transition(case, CaseAction.ACCEPT)
    terms = _terms(case, authorization_number, start_date, end_date, sessions_authorized)
    requested_units = {
        (s.billing_code_id, s.modifier): (s.units, s.unit_period) for s in case.services.all()
    }
    lines: list[AgreedLine] = []
    for line in offer.lines.select_related("billing_code"):
        units, period = (
            (line.units, line.unit_period)
            if line.units
            else requested_units.get((line.billing_code_id, line.modifier), (None, "total"))
        )
        if units is None:
            raise ValidationError(
                {"lines": f"The offer gives no units for {line.billing_code.code}; add them."}
            )
        lines.append(
            {
                "billing_code": line.billing_code,
                "modifier": line.modifier,
                "rate": line.rate,
                "units": units,
                "unit_period": period,
            }
        )
    offer.status = OfferStatus.ACCEPTED
    offer.save(update_fields=["status"])
    agreement = _write_agreement(case, actor, lines, terms, offer)
    record_event(
        case,
        actor,
        "accepted",
        "Offer accepted; the agreement is recorded.",
        {"offer": offer.pk, "agreement": agreement.pk, "flags": agreement.flags},
    )
    return agreement


@transaction.atomic
def case_approve(
    *,
    case_id: int,
    actor: User,
    authorization_number: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    sessions_authorized: int | None = None,
) -> Agreement:
    """The insurer approved as requested: the agreement is the requested services. Under a
    non-negotiable policy each line takes the rate the policy pays when it is known."""
    case = lock_case(case_id)
    check_transition(case, CaseAction.APPROVE)
    terms = _terms(case, authorization_number, start_date, end_date, sessions_authorized)
    # From appealed: the denial is overturned (DESIGN.md rule 11).
    appeal_close_pending(case=case, actor=actor, outcome=AppealOutcome.OVERTURNED)
    policy = case_policy(case)
    policy_rates: dict[tuple[int, str], Decimal | None] = {}
    if policy is not None and not policy.is_negotiable:
        for r in policy.rates.all():
            policy_rates[(r.billing_code_id, r.modifier)] = pricing.policy_pays(policy, r)
    lines: list[AgreedLine] = []
    for s in case.services.select_related("billing_code"):
        rate = policy_rates.get((s.billing_code_id, s.modifier)) or s.requested_rate
        if rate is None:
            raise ValidationError(
                {"services": f"{s.billing_code.code} has no rate; set the requested rate."}
            )
        lines.append(
            {
                "billing_code": s.billing_code,
                "modifier": s.modifier,
                "rate": rate,
                "units": s.units,
                "unit_period": s.unit_period,
            }
        )
    if not lines:
        raise DomainError(code="no_services", detail="The case requests no services to approve.")
    agreement = _write_agreement(case, actor, lines, terms, None)
    record_event(
        case,
        actor,
        "approved",
        "Approved as requested; the agreement is recorded.",
        {"agreement": agreement.pk, "flags": agreement.flags},
    )
    return agreement


def agreements_expire(*, today: dt.date | None = None) -> int:
    """Approved cases whose agreement ended before today become expired; the number expired.

    Each case in its own short transaction, locked and read again under the lock: of two runs
    at the same moment (two beats), the second waits for the first's commit, then finds the
    case no longer approved and writes nothing, so each case expires once with one event. The
    lock waits rather than skips (SKIP LOCKED), so a case a user happens to be editing at that
    moment is still expired today, a few milliseconds later."""
    today = today or timezone.localdate()
    expired = 0
    for case_id in ended_case_ids(today):
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .filter(pk=case_id, status=CaseStatus.APPROVED)
                .first()
            )
            if case is None:
                continue  # expired by another run meanwhile, or deleted
            target = check_transition(case, CaseAction.EXPIRE)
            assert target is not None  # expiring leads to a status (TRANSITIONS)
            case.status = target
            case_bump(case, ["status"])
            record_event(case, None, "expired", "The agreement ended; the case expired.")
            expired += 1
    return expired
