"""What a rate policy pays: pure functions on Decimal, no ORM. They live with the policy
(cases) so that the insurer pages and the negotiation desk (negotiations.pricing, which
re-exports them) apply one rule."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: nothing here touches the ORM
    from .models import PolicyRate, RatePolicy

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
DAYS_PER_WEEK = Decimal(7)
MONTHS_PER_DAY = Decimal(12) / Decimal(365)  # an average month, for hours a week


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


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):  # the same day of the month, or the month's last
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has 28 days


def calendar_months(start: dt.date, end: dt.date) -> Decimal:
    """Calendar months from ``start`` through ``end`` (Jan 1 to Jan 31 is one month, Mar 15
    to Jun 14 three), the last partial month as a fraction of its days."""
    stop = end + dt.timedelta(days=1)
    whole = (stop.year - start.year) * 12 + stop.month - start.month
    if _add_months(start, whole) > stop:
        whole -= 1
    anchor, following = _add_months(start, whole), _add_months(start, whole + 1)
    return whole + Decimal((stop - anchor).days) / Decimal((following - anchor).days)


def period_units(units: int, unit_period: str, start: dt.date, end: dt.date) -> Decimal:
    """Units over a period (both days included): per-week amounts over its days in weeks,
    per-month amounts over its calendar months (so 100 a month for three months is 300).
    Read by readiness (what remains), the request letter and the agreement's value."""
    if unit_period == "per_week":
        return Decimal(units) * Decimal((end - start).days + 1) / DAYS_PER_WEEK
    if unit_period == "per_month":
        return Decimal(units) * calendar_months(start, end)
    return Decimal(units)
