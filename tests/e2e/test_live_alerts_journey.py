"""Issue 16, item 1, in a real browser: staff record use past 80% of a code's units on the
desk; a billing manager signs in and the dashboard shows the alert at once (no job run), with
the client's initials, the case and the code. And the usage rules' refusals come back in place:
a future service date keeps the units typed and shows its error. The dashboard's screenshot
comes from here."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from negotiations.models import UtilizationEntry
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.factories import AgreementFactory, AgreementLineFactory, BillingCodeFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def approved_case(ready_case, aba_code, world):
    """Agreed: 100 units of 97153 and 20 of 97155, assigned to demo_staff."""
    Case.objects.filter(pk=ready_case.pk).update(
        status="approved",
        submitted_at=timezone.now() - dt.timedelta(days=60),
        decided_at=timezone.now() - dt.timedelta(days=40),
        authorization_number="AUTH-5150",
        assigned_to=world.staff,
    )
    agreement = AgreementFactory(
        case=ready_case,
        authorization_number="AUTH-5150",
        start_date=timezone.localdate() - dt.timedelta(days=40),
        end_date=timezone.localdate() + dt.timedelta(days=140),
        sessions_authorized=40,
    )
    AgreementLineFactory(
        agreement=agreement, billing_code=aba_code, rate=Decimal("15.00"), units_authorized=100
    )
    AgreementLineFactory(
        agreement=agreement,
        billing_code=BillingCodeFactory(
            code="97155", short_description="Adaptive behavior treatment with protocol modification"
        ),
        rate=Decimal("20.00"),
        units_authorized=20,
    )
    ready_case.refresh_from_db()
    return ready_case


def record_use(page, case, *, units: str, on: dt.date) -> None:
    page.goto(f"/cases/{case.pk}/#agreement")
    record = page.locator("#record-use")
    if record.get_attribute("open") is None:
        record.locator("summary").click()
    record.get_by_label("Service date").fill(on.isoformat())
    record.get_by_label("Code").select_option(label="97153")
    record.locator('input[name="use-units"]').fill(units)
    with page.expect_navigation():
        record.get_by_role("button", name="Record", exact=True).click()


def test_use_past_80_percent_shows_on_the_billing_dashboard_at_once(
    make_page, world, approved_case
):
    case = approved_case
    client = case.client
    initials = f"{client.first_name[0]}.{client.last_name[0]}."
    staff = make_page()
    login(staff, "demo_staff")
    allow_browser_errors(staff, "status of 400 (Bad Request)")  # the refused date, in place

    # A future date is refused in place: the units stay as typed, the error is shown.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    record_use(staff, case, units="37", on=tomorrow)
    expect(staff.locator("#record-use-errors")).to_contain_text("This date is in the future")
    record = staff.locator("#record-use")
    expect(record.locator('input[name="use-units"]')).to_have_value("37")
    expect(record.get_by_label("Service date")).to_have_value(tomorrow.isoformat())
    assert not UtilizationEntry.objects.exists()
    assert_accessible(staff, "usage refused: future date")

    record_use(staff, case, units="83", on=timezone.localdate() - dt.timedelta(days=1))
    expect(staff.get_by_text("Use recorded.")).to_be_visible()
    expect(staff.get_by_text("83 of 100 units")).to_be_visible()
    assert_accessible(staff, "workspace after recording use")

    billing = make_page()
    login(billing, "demo_billing")
    billing.goto("/")
    alerts = billing.locator("#utilization-alerts")
    expect(alerts).to_contain_text(f"{initials} · SCA #{case.pk}")
    expect(alerts).to_contain_text("97153 Adaptive behavior treatment by protocol")
    expect(alerts).to_contain_text("83 of 100 units (83%)")
    # The billing manager was notified too: the notice is in their list.
    expect(billing.locator("#notifications")).to_contain_text("83 of 100 units")
    assert_accessible(billing, "billing dashboard with a live alert")
    screenshot(billing, "dashboard-live-alerts")
