"""Reads of the offers: a case's offers, one offer of a case, and the negotiation summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TypedDict

from django.db.models import QuerySet
from django.http import Http404

from cases.models import Case, RequestedService
from cases.models.reference import ReferenceSchedule
from cases.selectors.reference import case_policy

from .. import pricing
from ..models.offers import Offer, OfferParty, OfferStatus, RateBasis
from .agreements import AgreementSummary, agreement_summary
from .fee_schedule import practice_rates_by_code, usual_rates_for

# The schedule a percent counter is expressed against, for the bases that are a schedule.
SCHEDULE_OF_BASIS: dict[str, str] = {
    RateBasis.PERCENT_OF_MEDICAID: ReferenceSchedule.MEDICAID,
    RateBasis.PERCENT_OF_TRICARE: ReferenceSchedule.TRICARE,
}


class PolicySummary(TypedDict):
    id: int
    kind: str
    negotiable: bool
    percent: Decimal | None
    reference_schedule: str


class NegotiationSummary(TypedDict):
    policy: PolicySummary | None
    negotiable: bool
    open_offer: int | None
    latest_insurer_offer: int | None
    # A benchmark row per code (pricing.BenchmarkRow's fields) with the last ask, the
    # suggested counter, the rate the policy pays, and the units requested and offered
    # (the latest insurer offer's; None when it names none: accepting takes the requested).
    rows: list[dict[str, object]]
    agreement: AgreementSummary | None


def offers_for(case: Case) -> QuerySet[Offer]:
    return case.offers.prefetch_related("lines__billing_code").select_related("created_by")


def get_offer_on(case: Case, offer_id: object) -> Offer:
    """The case's offer ``offer_id``; another case's offer, or an id that is not one, is not
    found (the tenant door: there is no other way to reach an offer)."""
    raw = str(offer_id if offer_id is not None else "").strip()
    if not raw.isascii() or not raw.isdigit():
        raise Http404("No such offer on this case.")
    try:
        return case.offers.get(pk=int(raw))
    except Offer.DoesNotExist:
        raise Http404("No such offer on this case.") from None


def negotiation_summary(
    case: Case,
    *,
    services: list[RequestedService] | None = None,
    offers: list[Offer] | None = None,
) -> NegotiationSummary:
    """The negotiation desk: the policy, a benchmark row per code for the latest insurer offer,
    the suggested counter (negotiable policies only) and the agreement's value. A caller that
    already loaded the services (with their codes) and the offers (entry order) passes them."""
    policy = case_policy(case)
    if services is None:
        services = list(case.services.select_related("billing_code"))
    if offers is None:
        offers = list(offers_for(case))
    insurer_offers = [o for o in offers if o.party == OfferParty.INSURER]
    latest = insurer_offers[-1] if insurer_offers else None
    latest_lines = (
        {(ln.billing_code_id, ln.modifier): ln for ln in latest.lines.all()} if latest else {}
    )
    offered = {key: ln.rate for key, ln in latest_lines.items()}
    last_ask: dict[tuple[int, str], Decimal | None] = {
        (s.billing_code_id, s.modifier): s.requested_rate for s in services
    }
    for o in offers:
        if o.party == OfferParty.PRACTICE:
            for ln in o.lines.all():
                last_ask[(ln.billing_code_id, ln.modifier)] = ln.rate
    policy_rates = (
        {(r.billing_code_id, r.modifier): r for r in policy.rates.all()} if policy else {}
    )
    practice_rates = practice_rates_by_code(case.practice_id)
    negotiable = policy is None or policy.is_negotiable
    rows: list[dict[str, object]] = []
    for s in services:
        key = (s.billing_code_id, s.modifier)
        pr = policy_rates.get(key) or policy_rates.get((s.billing_code_id, ""))
        own = practice_rates.get(key) or practice_rates.get((s.billing_code_id, ""))
        row = pricing.benchmark_row(
            code=s.billing_code.code,
            modifier=s.modifier,
            requested_rate=s.requested_rate,
            offered_rate=offered.get(key),
            highest_network_rate=pr.highest_network_rate if pr else None,
            reference_rate=pr.reference_rate if pr else None,
            usual_rate=own.usual_rate if own else None,
            floor_rate=own.floor_rate if own else None,
        )
        suggestion = None
        ask = last_ask.get(key)
        if negotiable and row.offered_rate is not None and ask is not None:
            suggestion = pricing.suggested_counter(
                offered=row.offered_rate, last_ask=ask, floor=row.floor_rate
            )
        policy_pays = pricing.policy_pays(policy, pr) if policy and pr else None
        offered_line = latest_lines.get(key)
        rows.append(
            {
                **asdict(row),
                "last_ask": ask,
                "suggested_counter": suggestion,
                "policy_rate": policy_pays,
                "requested_units": s.units,
                "requested_unit_period": s.unit_period,
                "offered_units": offered_line.units if offered_line else None,
                "offered_unit_period": (
                    offered_line.unit_period if offered_line and offered_line.units else None
                ),
            }
        )
    agreement = getattr(case, "agreement", None) if hasattr(case, "agreement") else None
    return {
        "policy": (
            {
                "id": policy.pk,
                "kind": policy.kind,
                "negotiable": policy.is_negotiable,
                "percent": policy.percent,
                "reference_schedule": policy.reference_schedule,
            }
            if policy
            else None
        ),
        "negotiable": negotiable,
        "open_offer": next((o.pk for o in offers if o.status == OfferStatus.OPEN), None),
        "latest_insurer_offer": latest.pk if latest else None,
        "rows": rows,
        "agreement": agreement_summary(agreement) if agreement else None,
    }


@dataclass(frozen=True)
class PercentBases:
    """What a counter expressed as a percentage is a percentage of, per code
    ((billing_code_id, modifier), or the code without a modifier): the practice's usual rates
    (its billed charges) and, when the case's policy has a reference schedule, that schedule
    and the policy's reference rates."""

    insurer: str
    usual: dict[tuple[int, str], Decimal]
    schedule: str  # the policy's reference schedule; "" without a policy or schedule
    has_policy: bool
    reference: dict[tuple[int, str], Decimal]

    def base(self, basis: str, billing_code_id: int, modifier: str) -> Decimal | None:
        """The base rate of ``basis`` for the code, or None when it is not known."""
        if basis == RateBasis.PERCENT_OF_BILLED:
            rates = self.usual
        elif SCHEDULE_OF_BASIS.get(basis) == self.schedule:
            rates = self.reference
        else:
            return None
        return rates.get((billing_code_id, modifier), rates.get((billing_code_id, "")))


def percent_bases(case: Case) -> PercentBases:
    policy = case_policy(case)
    reference = (
        {
            (r.billing_code_id, r.modifier): r.reference_rate
            for r in policy.rates.all()
            if r.reference_rate is not None
        }
        if policy is not None
        else {}
    )
    return PercentBases(
        insurer=case.insurer.name,
        usual=usual_rates_for(case.practice_id),
        schedule=policy.reference_schedule if policy is not None else "",
        has_policy=policy is not None,
        reference=reference,
    )
