"""What a rate policy pays: pure functions on Decimal, no ORM. They live with the policy
(cases) so that the insurer pages and the negotiation desk (negotiations.pricing, which
re-exports them) apply one rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: nothing here touches the ORM
    from .models import PolicyRate, RatePolicy

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_cent(value: Decimal) -> Decimal:
    """Round half-up to the cent, as insurers' fee schedules do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def policy_rate(
    kind: str,
    *,
    highest_network_rate: Decimal | None = None,
    reference_rate: Decimal | None = None,
    percent: Decimal | None = None,
) -> Decimal | None:
    """The rate an insurer pays under a non-negotiable policy, or None when it is not known
    (or the policy is negotiable)."""
    if kind == "highest_network_rate":
        return highest_network_rate
    if kind == "percent_of_reference":
        if reference_rate is None or percent is None:
            return None
        return to_cent(reference_rate * percent / HUNDRED)
    return None


def policy_pays(policy: RatePolicy, rate: PolicyRate) -> Decimal | None:
    """What ``policy`` (a RatePolicy) pays for the code of ``rate`` (one of its PolicyRates);
    None when the policy is negotiated or the rate unknown."""
    return policy_rate(
        policy.kind,
        highest_network_rate=rate.highest_network_rate,
        reference_rate=rate.reference_rate,
        percent=policy.percent,
    )
