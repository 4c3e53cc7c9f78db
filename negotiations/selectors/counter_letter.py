"""The counter-offer letter (DESIGN.md, documents): the practice's latest counter per code,
how it was expressed, the insurer's offer it answers, and the benchmarks that support it (the
insurer's highest network rate and reference rate from the policy, the practice's usual rate),
with a total at the counter rates. Registered with the cases document pipeline at start-up
(``negotiations/apps.py``) with ``counter_letter_check``, so that a case that cannot have one
is refused when the letter is asked for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from billing_codes.models import code_label
from cases.models import Case, RequestedService, UnitPeriod
from cases.selectors.documents import DocumentNotAvailable, document_context
from cases.selectors.reference import case_contact, case_policy
from core.exceptions import conflict

from .. import pricing
from ..models.offers import Offer, OfferLine, OfferParty, RateBasis
from .offers import negotiation_summary, offers_for


def counter_letter_check(case: Case) -> None:
    """A counter-offer letter exists under a negotiable policy (or none on file, as the
    negotiation desk reads it), once the practice has countered."""
    policy = case_policy(case)
    if policy is not None and not policy.is_negotiable:
        raise conflict(
            "rate_not_negotiable",
            f"{case.insurer.name} pays under a {policy.get_kind_display().lower()} policy: "
            "there is no counter-offer to write.",
        )
    if not case.offers.filter(party=OfferParty.PRACTICE).exists():
        raise conflict("no_counter", "Record the practice's counter-offer first.")


def expressed(line: OfferLine) -> str:
    """How the practice put its counter: "65% of billed charges"; empty for a flat rate."""
    if line.expressed_as == RateBasis.RATE or line.percent is None:
        return ""
    basis = str(RateBasis(line.expressed_as).label).removeprefix("Percent of ")
    return f"{line.percent.normalize():f}% of {basis}"


@dataclass(frozen=True)
class CounterLine:
    label: str  # "97153-HO"
    description: str
    rate: Decimal
    expressed: str  # "65% of billed charges", or "" for a rate per unit
    units: int | None
    period: str
    requested_units: int | None
    offered_rate: Decimal | None  # the insurer's offer the counter answers
    offered_units: int | None
    highest_network_rate: Decimal | None
    reference_rate: Decimal | None
    usual_rate: Decimal | None
    value: Decimal | None  # at the counter rate over the requested period


def _value(
    rate: Decimal, units: int | None, period: str, start: dt.date | None, end: dt.date | None
) -> Decimal | None:
    if units is None:
        return None
    if start and end and start <= end:
        return pricing.line_value(rate, units, period, start, end)
    return pricing.to_cent(rate * units) if period == UnitPeriod.TOTAL else None


def _decimal(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def counter_letter_context(case: Case) -> dict[str, object]:
    """The letter's content: the case's shared content, the latest counter's lines (units
    left blank take the requested ones, as accepting does) beside the insurer's offer before
    it and the benchmark rows the negotiation desk shows for that offer."""
    ctx = document_context(case)
    offers = list(offers_for(case))
    counters = [i for i, o in enumerate(offers) if o.party == OfferParty.PRACTICE]
    if not counters:  # the check refused it when asked; an offer may since have gone
        raise DocumentNotAvailable("The practice has not countered yet.")
    counter = offers[counters[-1]]
    answered: Offer | None = next(
        (o for o in reversed(offers[: counters[-1]]) if o.party == OfferParty.INSURER), None
    )
    services: list[RequestedService] = list(case.services.select_related("billing_code"))
    # The desk's benchmark rows for the offer the counter answers (offers up to the counter).
    summary = negotiation_summary(case, services=services, offers=offers[: counters[-1] + 1])
    rows = {(str(r["code"]), str(r["modifier"])): r for r in summary["rows"]}
    requested = {(s.billing_code_id, s.modifier): s for s in services}
    offered = (
        {(ln.billing_code_id, ln.modifier): ln for ln in answered.lines.all()} if answered else {}
    )
    start, end = case.requested_start, case.requested_end
    lines = []
    for ln in counter.lines.all():
        key = (ln.billing_code_id, ln.modifier)
        asked = requested.get(key)
        units = ln.units if ln.units is not None else (asked.units if asked else None)
        period = ln.unit_period if ln.units is not None or asked is None else asked.unit_period
        row = rows.get((ln.billing_code.code, ln.modifier), {})
        theirs = offered.get(key)
        lines.append(
            CounterLine(
                label=code_label(ln.billing_code.code, ln.modifier),
                description=ln.billing_code.short_description,
                rate=ln.rate,
                expressed=expressed(ln),
                units=units,
                period=UnitPeriod(period).label,
                requested_units=asked.units if asked else None,
                offered_rate=theirs.rate if theirs else None,
                offered_units=theirs.units if theirs else None,
                highest_network_rate=_decimal(row.get("highest_network_rate")),
                reference_rate=_decimal(row.get("reference_rate")),
                usual_rate=_decimal(row.get("usual_rate")),
                value=_value(ln.rate, units, period, start, end),
            )
        )
    ctx.update(
        contact=case_contact(case),
        counter=counter,
        answered=answered,
        # Who at the insurer the counter went to: the counter's own, else the offer's.
        representative=counter.rep_name or (answered.rep_name if answered else ""),
        insurer_offer_reference=counter.reference_number
        or (answered.reference_number if answered else ""),
        lines=lines,
        counter_total=sum((ln.value for ln in lines if ln.value is not None), Decimal("0.00")),
        unvalued=sum(1 for ln in lines if ln.value is None),
        any_expressed=any(ln.expressed for ln in lines),
    )
    return ctx
