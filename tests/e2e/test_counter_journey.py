"""Issue 15, part 4, in a real browser: a billing manager answers the insurer's offer with a
counter that carries units and a line expressed as a percentage of billed charges. Units of 0
are refused first: the error is beside the field and everything typed is kept; corrected, the
counter is recorded with the rate the percent comes to. The screenshot of the counter form
comes from here; axe-core checks every page."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cases.services.submissions import case_submit
from negotiations.models import Offer
from negotiations.services.offers import offer_record
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.factories import (
    BillingCodeFactory,
    ConsentFactory,
    PracticeRateFactory,
    RequestedServiceFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def negotiating(world, ready_case, aba_code):
    """97153 (480 units at $17.00) and 97155 (96 units at $25.00) requested; the insurer
    offered $14.00 for 400 units of 97153 and $20.00 for 80 units of 97155."""
    supervision = BillingCodeFactory(code="97155")
    RequestedServiceFactory(
        case=ready_case, billing_code=supervision, units=96, requested_rate=Decimal("25.00")
    )
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, usual_rate="18.00")
    PracticeRateFactory(practice=world.practice, billing_code=supervision, usual_rate="30.00")
    ConsentFactory(case=ready_case)
    case_submit(case_id=ready_case.pk, actor=world.staff, submission_channel="fax")
    offer_record(
        case_id=ready_case.pk,
        actor=world.billing,
        rep_name="J. Rep",
        lines=[
            {"billing_code": aba_code, "rate": Decimal("14.00"), "units": 400},
            {"billing_code": supervision, "rate": Decimal("20.00"), "units": 80},
        ],
    )
    return ready_case


def test_billing_counters_with_units_and_a_percent_line(page, world, negotiating):
    case = negotiating
    login(page, "demo_billing")
    page.goto(f"/cases/{case.pk}/")
    panel = page.locator("#negotiation")
    benchmarks = panel.get_by_role("region", name="Rate benchmarks")
    expect(benchmarks.get_by_role("columnheader", name="Units requested")).to_be_visible()
    expect(benchmarks.get_by_role("row", name="97153")).to_contain_text("480")
    expect(benchmarks.get_by_role("row", name="97153")).to_contain_text("400")
    assert_accessible(page, "case workspace (in negotiation)")

    panel.get_by_text("Send a counter-offer", exact=True).click()
    form = panel.locator("form", has=page.get_by_role("button", name="Record counter-offer"))
    # 97153 as a rate with fewer units than requested; 97155 as 85% of billed charges.
    expect(form.get_by_label("97153 units countered (optional)")).to_have_value("480")
    form.get_by_label("97153 counter ($ or %)", exact=True).fill("15.75")
    form.get_by_label("97153 units countered (optional)").fill("0")
    form.get_by_label("97155 counter as").select_option(label="% of billed charges")
    form.get_by_label("97155 counter ($ or %)", exact=True).fill("85")
    form.get_by_label("Insurer representative").fill("Dana Ortiz")
    form.get_by_label("Reference number").fill("CTR-2026-14")

    # Refused: the page answers 400 (which the browser logs), the error beside the units.
    allow_browser_errors(page, "status of 400 (Bad Request)")
    form.get_by_role("button", name="Record counter-offer").click()
    units = form.get_by_label("97153 units countered (optional)")
    error = form.locator("#field-counter-units-" + str(case.services.get(units=480).pk))
    expect(error.locator(".error")).to_have_text("units are a whole number from 1 to 100,000.")
    expect(units).to_have_attribute("aria-invalid", "true")
    expect(units).to_have_value("0")
    expect(form.get_by_label("97153 counter ($ or %)", exact=True)).to_have_value("15.75")
    expect(form.get_by_label("97155 counter as")).to_have_value("percent_of_billed")
    expect(form.get_by_label("97155 counter ($ or %)", exact=True)).to_have_value("85")
    expect(form.get_by_label("Insurer representative")).to_have_value("Dana Ortiz")
    expect(form.get_by_label("Reference number")).to_have_value("CTR-2026-14")
    assert not Offer.objects.filter(case=case, party="practice").exists()
    assert_accessible(page, "case workspace (counter refused)")
    screenshot(page, "negotiation-counter")

    units.fill("440")
    form.get_by_role("button", name="Record counter-offer").click()
    expect(page.get_by_text("Counter-offer recorded.")).to_be_visible()
    timeline = panel.get_by_label("Offers in time order")
    expect(timeline).to_contain_text("97153 $15.75 × 440")
    expect(timeline).to_contain_text("97155 $25.50 (85% of billed charges) × 96")
    expect(timeline).to_contain_text("Dana Ortiz ref. CTR-2026-14")
    assert_accessible(page, "case workspace (counter recorded)")

    counter = Offer.objects.get(case=case, party="practice")
    lines = {ln.billing_code.code: ln for ln in counter.lines.select_related("billing_code")}
    assert (lines["97153"].rate, lines["97153"].units) == (Decimal("15.75"), 440)
    assert (lines["97155"].expressed_as, lines["97155"].percent, lines["97155"].rate) == (
        "percent_of_billed",
        Decimal("85.00"),
        Decimal("25.50"),
    )
    assert counter.rep_name == "Dana Ortiz" and counter.reference_number == "CTR-2026-14"
