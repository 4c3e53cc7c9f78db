"""The offers: the insurer's offer, the practice's counter, and the practice declining the
insurer's terms. Accepting an offer writes the agreement (services.agreements)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Required, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing_codes.models import code_label
from cases.models import AppealOutcome, Case, CaseAction, CaseStatus
from cases.models.case import DATE_FLOOR
from cases.selectors.reference import case_policy
from cases.services.appeals import appeal_close_pending
from cases.services.case import case_bump, check_transition, lock_case, record_event
from cases.services.reference import validate_modifier
from core.exceptions import conflict

from .. import pricing
from ..models.offers import Offer, OfferLine, OfferParty, OfferStatus, RateBasis
from ..selectors.offers import SCHEDULE_OF_BASIS, PercentBases, percent_bases
from .alerts import alerts_evaluate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from billing_codes.models import BillingCode

# The offer's details, as offer_record and offer_counter take them.
OFFER_FIELDS = ["received_on", "channel", "rep_name", "reference_number", "notes"]
# A line's units, when given (the API's serializer and the desk's form read these). Without
# units, accepting takes the requested units.
OFFER_LINE_UNITS_MIN = 1
OFFER_LINE_UNITS_MAX = 100_000
# The reason goes on the case's record (Case.decision_reason); both doors read the bound.
DECLINE_REASON_MAX_LENGTH = 2000


class OfferLineData(TypedDict, total=False):
    """A line of an offer as the doors give it: the code, and its rate per unit or (how it
    is ``expressed_as``, a RateBasis other than ``rate``) its percent of a base rate; units and
    their period when the offer names them."""

    billing_code: Required[BillingCode]
    modifier: str
    rate: Decimal | None
    expressed_as: str
    percent: Decimal | None
    units: int | None
    unit_period: str


class _CleanLine(TypedDict):
    billing_code: BillingCode
    modifier: str
    rate: Decimal
    expressed_as: str
    percent: Decimal | None
    units: int | None
    unit_period: str


# What a percent is a percentage of, as a refusal names it.
_BASE_NAMES = {
    RateBasis.PERCENT_OF_BILLED: "usual rate",
    RateBasis.PERCENT_OF_MEDICAID: "Medicaid reference rate",
    RateBasis.PERCENT_OF_TRICARE: "TRICARE reference rate",
}


class OfferDetails(TypedDict):
    received_on: dt.date
    channel: str
    rep_name: str
    reference_number: str
    notes: str


def _missing_base(bases: PercentBases, basis: str, code: str) -> str:
    """Why a percent of ``basis`` has no base rate for ``code``, and what to do."""
    head = f"No {_BASE_NAMES[RateBasis(basis)]} for {code}: "
    if basis == RateBasis.PERCENT_OF_BILLED:
        return head + "add the code to the practice's fee schedule, or counter with a rate."
    schedule = "state Medicaid" if basis == RateBasis.PERCENT_OF_MEDICAID else "TRICARE"
    if not bases.has_policy:
        return head + f"no rate policy is on file for {bases.insurer}; counter with a rate."
    if bases.schedule != SCHEDULE_OF_BASIS[basis]:
        return (
            head + f"the policy's reference schedule is not the {schedule} schedule; "
            "counter with a rate."
        )
    return head + "the policy gives no reference rate for this code; add it or counter with a rate."


def _line_rate(
    i: int, line: OfferLineData, bases: PercentBases | None
) -> tuple[str, Decimal, Decimal | None]:
    """The line's basis, its rate per unit and its percent: a rate as given, or a percent
    converted on its base (pricing.rate_from_percent)."""
    code = line["billing_code"]
    basis = line.get("expressed_as") or RateBasis.RATE
    rate, percent = line.get("rate"), line.get("percent")
    if basis not in RateBasis.values:
        raise ValidationError({f"lines[{i}].expressed_as": f"Choose one of {RateBasis.values}."})
    if basis == RateBasis.RATE:
        if percent is not None:
            raise ValidationError(
                {f"lines[{i}].percent": "A percent needs a percent basis in expressed_as."}
            )
        if rate is None:
            raise ValidationError({f"lines[{i}].rate": "Give the rate for this code."})
        if rate < 0:
            raise ValidationError({f"lines[{i}].rate": "A rate cannot be negative."})
        return basis, rate, None
    if rate is not None:
        raise ValidationError(
            {f"lines[{i}].rate": "A line given as a percent takes no rate: the percent sets it."}
        )
    if percent is None:
        raise ValidationError({f"lines[{i}].percent": "Give the percent for this code."})
    try:  # the model field's bounds and digits (1 to 500, two decimals)
        OfferLine._meta.get_field("percent").run_validators(percent)
    except ValidationError as exc:
        raise ValidationError({f"lines[{i}].percent": exc.messages}) from None
    assert bases is not None  # read by _clean_lines for any line with a percent basis
    base = bases.base(basis, code.pk, line.get("modifier", ""))
    if base is None:
        label = code_label(code.code, line.get("modifier", ""))
        raise ValidationError({f"lines[{i}].percent": _missing_base(bases, basis, label)})
    rate = pricing.rate_from_percent(base, percent)
    try:  # a percent of a huge base (a usual rate typed wrong) must still fit the rate field
        OfferLine._meta.get_field("rate").run_validators(rate)
    except ValidationError:
        label = code_label(code.code, line.get("modifier", ""))
        raise ValidationError(
            {f"lines[{i}].percent": f"{percent}% of {label}'s base (${base}) is ${rate}, more "
             "than a rate can be. Check the base rate."}
        ) from None  # fmt: skip
    return basis, rate, percent


def _clean_lines(case: Case, lines: list[OfferLineData]) -> list[_CleanLine]:
    if not lines:
        raise ValidationError({"lines": "List at least one code with its rate."})
    seen: set[tuple[int, str]] = set()
    # What a percent is of, read only when a line is expressed as one.
    by_percent = any(line.get("expressed_as") not in (None, "", RateBasis.RATE) for line in lines)
    bases = percent_bases(case) if by_percent else None
    cleaned: list[_CleanLine] = []
    for i, line in enumerate(lines):
        code = line["billing_code"]
        modifier = validate_modifier(line.get("modifier", ""), field=f"lines[{i}].modifier")
        if (code.pk, modifier) in seen:
            raise ValidationError({"lines": f"lines[{i}]: {code.code} {modifier} is listed twice."})
        seen.add((code.pk, modifier))
        basis, rate, percent = _line_rate(i, {**line, "modifier": modifier}, bases)
        units = line.get("units")
        if units is not None and not OFFER_LINE_UNITS_MIN <= units <= OFFER_LINE_UNITS_MAX:
            raise ValidationError(
                {
                    f"lines[{i}].units": f"Units are a whole number from {OFFER_LINE_UNITS_MIN} "
                    f"to {OFFER_LINE_UNITS_MAX:,}."
                }
            )
        cleaned.append(
            {
                "billing_code": code,
                "modifier": modifier,
                "rate": rate,
                "expressed_as": basis,
                "percent": percent,
                "units": units,
                "unit_period": line.get("unit_period") or "total",
            }
        )
    return cleaned


def _supersede_open(case: Case) -> None:
    case.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.SUPERSEDED)


def _create_offer(
    case: Case,
    actor: User,
    party: str,
    lines: list[_CleanLine],
    details: OfferDetails,
) -> Offer:
    if details["received_on"] < DATE_FLOOR:
        raise ValidationError({"received_on": "Enter a date between 2000 and today."})
    _supersede_open(case)
    offer = Offer(case=case, party=party, created_by=actor if actor.pk else None, **details)
    offer.full_clean(exclude=["case"])
    offer.save()
    OfferLine.objects.bulk_create(
        [
            OfferLine(
                offer=offer,
                billing_code=line["billing_code"],
                modifier=line["modifier"],
                rate=line["rate"],
                expressed_as=line["expressed_as"],
                percent=line["percent"],
                units=line["units"],
                unit_period=line["unit_period"],
            )
            for line in lines
        ]
    )
    return offer


@transaction.atomic
def offer_record(
    *,
    case_id: int,
    actor: User,
    lines: list[OfferLineData],
    received_on: dt.date | None = None,
    channel: str = "",
    rep_name: str = "",
    reference_number: str = "",
    notes: str = "",
) -> Offer:
    """The insurer's offer. The first one moves a submitted case to in_negotiation."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.RECEIVE_OFFER)
    assert target is not None  # receiving an offer leads to a status (TRANSITIONS)
    cleaned = _clean_lines(case, lines)
    details: OfferDetails = {
        "received_on": received_on or timezone.localdate(),
        "channel": channel,
        "rep_name": rep_name,
        "reference_number": reference_number,
        "notes": notes,
    }
    # From appealed: the insurer reverses its denial with an offer (DESIGN.md rule 11).
    appeal_close_pending(case=case, actor=actor, outcome=AppealOutcome.OVERTURNED)
    offer = _create_offer(case, actor, OfferParty.INSURER, cleaned, details)
    if case.status != target:
        case.status = target
        case_bump(case, ["status"])
    record_event(case, actor, "offer_received", "The insurer made an offer.", {"offer": offer.pk})
    alerts_evaluate(case_id=case.pk)
    return offer


@transaction.atomic
def offer_counter(
    *,
    case_id: int,
    actor: User,
    lines: list[OfferLineData],
    received_on: dt.date | None = None,
    channel: str = "",
    rep_name: str = "",
    reference_number: str = "",
    notes: str = "",
) -> Offer:
    """The practice's counter-offer; only under a negotiable policy."""
    case = lock_case(case_id)
    if case.status != CaseStatus.IN_NEGOTIATION:
        raise conflict(
            "invalid_transition",
            f"A counter-offer answers an insurer's offer; this case is "
            f"{case.get_status_display().lower()}.",
        )
    policy = case_policy(case)
    if policy is not None and not policy.is_negotiable:
        raise conflict(
            "rate_not_negotiable",
            f"{case.insurer.name} pays under a {policy.get_kind_display().lower()} policy: "
            "there is no counter-offer. Accept the offer or decline the SCA.",
        )
    cleaned = _clean_lines(case, lines)
    details: OfferDetails = {
        "received_on": received_on or timezone.localdate(),
        "channel": channel,
        "rep_name": rep_name,
        "reference_number": reference_number,
        "notes": notes,
    }
    offer = _create_offer(case, actor, OfferParty.PRACTICE, cleaned, details)
    record_event(
        case, actor, "counter_sent", "The practice sent a counter-offer.", {"offer": offer.pk}
    )
    return offer


@transaction.atomic
def case_decline(*, case_id: int, actor: User, reason: str) -> Case:
    """The practice refuses the insurer's terms."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.DECLINE)
    assert target is not None  # declining leads to a status (TRANSITIONS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason; it goes on the case's record."})
    if len(reason) > DECLINE_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Keep the reason to {DECLINE_REASON_MAX_LENGTH:,} characters."}
        )
    case.offers.filter(status=OfferStatus.OPEN).update(status=OfferStatus.REJECTED)
    case.status = target
    case.decided_at = timezone.now()
    case.decision_reason = reason
    case_bump(case, ["status", "decided_at", "decision_reason"])
    record_event(
        case, actor, "declined", "The practice declined the insurer's terms.", {"reason": reason}
    )
    return case
