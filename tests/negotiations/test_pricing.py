"""Property tests for the pure pricing functions."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from negotiations import pricing

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
percent = st.decimals(min_value=Decimal("1"), max_value=Decimal("200"), places=2)
periods = st.sampled_from(["total", "per_week", "per_month"])
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))


@given(offered=money, last_ask=money, floor=st.one_of(st.none(), money))
def test_suggested_counter_stays_within_floor_and_last_ask(offered, last_ask, floor):
    assume(floor is None or floor <= last_ask)
    counter = pricing.suggested_counter(offered=offered, last_ask=last_ask, floor=floor)
    assert counter <= last_ask
    if floor is not None:
        assert counter >= floor
    assert counter == counter.quantize(Decimal("0.01"))


@given(offered=money, last_ask=money)
def test_suggested_counter_is_the_midpoint_when_no_bound_binds(offered, last_ask):
    assume(offered < last_ask)
    counter = pricing.suggested_counter(offered=offered, last_ask=last_ask, floor=None)
    expected = ((offered + last_ask) / 2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert counter == expected
    assert offered <= counter <= last_ask


def test_suggested_counter_examples():
    assert pricing.suggested_counter(
        offered=Decimal("12.00"), last_ask=Decimal("17.00")
    ) == Decimal("14.50")
    assert pricing.suggested_counter(
        offered=Decimal("12.00"), last_ask=Decimal("17.01")
    ) == Decimal("14.51")
    assert pricing.suggested_counter(
        offered=Decimal("10.00"), last_ask=Decimal("17.00"), floor=Decimal("15.00")
    ) == Decimal("15.00")
    assert pricing.suggested_counter(
        offered=Decimal("18.00"), last_ask=Decimal("17.00")
    ) == Decimal("17.00")


@given(reference=money, pct=percent)
def test_percent_of_reference_rounding_is_exact_half_up(reference, pct):
    rate = pricing.policy_rate("percent_of_reference", reference_rate=reference, percent=pct)
    exact = reference * pct / 100  # exact in Decimal: at most 4 decimal places
    assert rate == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert abs(rate - exact) <= Decimal("0.005")


def test_percent_of_reference_examples():
    # 14.45 x 90% = 13.005 -> 13.01 (half-up, not banker's 13.00)
    assert pricing.policy_rate(
        "percent_of_reference", reference_rate=Decimal("14.45"), percent=Decimal("90")
    ) == Decimal("13.01")
    assert pricing.policy_rate(
        "highest_network_rate", highest_network_rate=Decimal("15.00")
    ) == Decimal("15.00")
    assert pricing.policy_rate("negotiable", highest_network_rate=Decimal("15.00")) is None
    assert (
        pricing.policy_rate("percent_of_reference", reference_rate=None, percent=Decimal("90"))
        is None
    )


@given(base=money, pct=percent)
def test_rate_from_percent_rounds_half_up_to_the_cent(base, pct):
    rate = pricing.rate_from_percent(base, pct)
    exact = base * pct / 100
    assert rate == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert abs(rate - exact) <= Decimal("0.005")


def test_rate_from_percent_examples():
    # 85% of a usual rate of $18.00; 90% of a Medicaid rate of $14.45 is 13.005 -> 13.01.
    assert pricing.rate_from_percent(Decimal("18.00"), Decimal("85")) == Decimal("15.30")
    assert pricing.rate_from_percent(Decimal("14.45"), Decimal("90")) == Decimal("13.01")
    assert pricing.rate_from_percent(Decimal("14.45"), Decimal("100")) == Decimal("14.45")
    assert pricing.rate_from_percent(Decimal("0.00"), Decimal("250")) == Decimal("0.00")


@given(
    lines=st.lists(
        st.tuples(money, st.integers(min_value=1, max_value=2000), periods), min_size=0, max_size=12
    ),
    start=dates,
    days=st.integers(min_value=1, max_value=730),
)
def test_agreement_total_equals_the_sum_of_its_lines(lines, start, days):
    end = start + dt.timedelta(days=days)
    value = pricing.agreement_value(lines, start, end)
    assert len(value.lines) == len(lines)
    assert value.total == sum(value.lines, Decimal("0.00"))
    for (rate, units, period), line in zip(lines, value.lines, strict=True):
        assert line == pricing.line_value(rate, units, period, start, end)
        if period == "total":
            assert line == rate * units


def test_line_value_per_week_spreads_over_the_period():
    start = dt.date(2027, 1, 1)
    end = dt.date(2027, 1, 14)  # 14 days = 2 weeks
    assert pricing.line_value(Decimal("15.00"), 10, "per_week", start, end) == Decimal("300.00")


def test_benchmark_row():
    row = pricing.benchmark_row(
        code="97153",
        requested_rate=Decimal("20.00"),
        offered_rate=Decimal("15.00"),
        reference_rate=Decimal("12.00"),
        usual_rate=Decimal("20.00"),
        floor_rate=Decimal("16.00"),
        highest_network_rate=Decimal("15.50"),
    )
    assert row.offer_pct_of_request == Decimal("75.00")
    assert row.offer_pct_of_reference == Decimal("125.00")
    assert row.below_floor is True
    assert (
        pricing.benchmark_row(code="x", requested_rate=None, offered_rate=None).offer_pct_of_request
        is None
    )


def test_per_month_units_count_calendar_months():
    # 100 a month for three calendar months is 300, whatever the months' lengths.
    assert pricing.period_units(100, "per_month", dt.date(2027, 2, 1), dt.date(2027, 4, 30)) == 300
    assert pricing.period_units(100, "per_month", dt.date(2027, 3, 15), dt.date(2027, 6, 14)) == 300
    # Half of a 30-day month past two whole months.
    half = pricing.period_units(100, "per_month", dt.date(2027, 4, 1), dt.date(2027, 6, 15))
    assert half == 250
    # Per week: over the period's days.
    assert pricing.period_units(20, "per_week", dt.date(2027, 1, 1), dt.date(2027, 4, 1)) == 260
