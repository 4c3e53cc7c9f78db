"""Pure pricing functions on Decimal: no ORM, no I/O, easy to property-test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from cases.rates import (
    CENT,
    DAYS_PER_WEEK,
    HUNDRED,
    MONTHS_PER_DAY,
    period_units,
    policy_pays,
    policy_rate,
    to_cent,
)

# The rates' rules live in cases.rates (one rule); pricing re-exports them for negotiations.
__all__ = [
    "CENT",
    "DAYS_PER_WEEK",
    "HUNDRED",
    "MONTHS_PER_DAY",
    "AgreementValue",
    "BenchmarkRow",
    "agreement_value",
    "benchmark_row",
    "line_value",
    "percent_of",
    "period_units",
    "policy_pays",
    "policy_rate",
    "rate_from_percent",
    "suggested_counter",
    "to_cent",
]


def percent_of(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or whole is None or whole == 0:
        return None
    return to_cent(part * HUNDRED / whole)


def rate_from_percent(base: Decimal, percent: Decimal) -> Decimal:
    """A counter expressed as a percentage of a base rate (the practice's usual rate, or a
    schedule's reference rate), as the rate per unit it comes to: to the cent, half up (as
    ``policy_rate`` rounds a percent-of-reference policy)."""
    return to_cent(base * percent / HUNDRED)


@dataclass(frozen=True)
class BenchmarkRow:
    code: str
    modifier: str
    requested_rate: Decimal | None
    offered_rate: Decimal | None
    highest_network_rate: Decimal | None
    reference_rate: Decimal | None
    usual_rate: Decimal | None
    floor_rate: Decimal | None
    offer_pct_of_request: Decimal | None
    offer_pct_of_reference: Decimal | None
    below_floor: bool


def benchmark_row(
    *,
    code: str,
    modifier: str = "",
    requested_rate: Decimal | None,
    offered_rate: Decimal | None,
    highest_network_rate: Decimal | None = None,
    reference_rate: Decimal | None = None,
    usual_rate: Decimal | None = None,
    floor_rate: Decimal | None = None,
) -> BenchmarkRow:
    return BenchmarkRow(
        code=code,
        modifier=modifier,
        requested_rate=requested_rate,
        offered_rate=offered_rate,
        highest_network_rate=highest_network_rate,
        reference_rate=reference_rate,
        usual_rate=usual_rate,
        floor_rate=floor_rate,
        offer_pct_of_request=percent_of(offered_rate, requested_rate),
        offer_pct_of_reference=percent_of(offered_rate, reference_rate),
        below_floor=(
            offered_rate is not None and floor_rate is not None and offered_rate < floor_rate
        ),
    )


def suggested_counter(
    *, offered: Decimal, last_ask: Decimal, floor: Decimal | None = None
) -> Decimal:
    """The midpoint of the practice's last ask and the insurer's offer, to the cent; never
    below the floor and never above the last ask. An offer at or above the ask is the ask."""
    if offered >= last_ask:
        return last_ask
    counter = to_cent((offered + last_ask) / 2)
    if floor is not None:
        counter = max(counter, floor)
    return min(counter, last_ask)


def line_value(
    rate: Decimal, units: int, unit_period: str, start: dt.date, end: dt.date
) -> Decimal:
    return to_cent(rate * period_units(units, unit_period, start, end))


@dataclass(frozen=True)
class AgreementValue:
    lines: list[Decimal]
    total: Decimal


def agreement_value(
    lines: list[tuple[Decimal, int, str]], start: dt.date, end: dt.date
) -> AgreementValue:
    """Value per line (rate × units over the period, to the cent) and their sum."""
    values = [line_value(rate, units, period, start, end) for rate, units, period in lines]
    return AgreementValue(lines=values, total=sum(values, Decimal("0.00")))
