"""Issue 15 in a real browser: an approved case whose agreement settled at $15.00 a unit (the
practice asked $17.00) is renewed. The confirmation page shows the agreed terms and the
authorization it renews; starting the renewal opens the new draft, whose services carry
$15.00. The screenshot of the confirmation page comes from here."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from negotiations.models import UtilizationEntry
from tests.e2e.conftest import assert_accessible, login, screenshot
from tests.factories import AgreementFactory, AgreementLineFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def approved_case(ready_case, aba_code):
    """Requested 480 units of 97153 at $17.00; agreed 400 at $15.00 under AUTH-7781, of which
    5 sessions of 4 units are used."""
    Case.objects.filter(pk=ready_case.pk).update(
        status="approved",
        submitted_at=timezone.now() - dt.timedelta(days=200),
        decided_at=timezone.now() - dt.timedelta(days=180),
        authorization_number="AUTH-7781",
    )
    start = timezone.localdate() - dt.timedelta(days=150)
    agreement = AgreementFactory(
        case=ready_case,
        authorization_number="AUTH-7781",
        start_date=start,
        end_date=start + dt.timedelta(days=181),
        sessions_authorized=40,
    )
    AgreementLineFactory(
        agreement=agreement, billing_code=aba_code, rate=Decimal("15.00"), units_authorized=400
    )
    for day in range(5):
        UtilizationEntry.objects.create(
            agreement=agreement,
            billing_code=aba_code,
            units=4,
            service_date=start + dt.timedelta(days=day),
        )
    ready_case.refresh_from_db()
    return ready_case


def test_staff_renews_an_approved_case_with_the_agreed_rate(page, world, approved_case):
    case = approved_case
    login(page, "demo_staff")
    page.goto(f"/cases/{case.pk}/")
    assert_accessible(page, "approved case workspace")
    page.get_by_role("link", name="Renew", exact=True).click()  # a link: nothing happens yet
    expect(page.get_by_role("heading", name=f"Renew SCA #{case.pk}")).to_be_visible()

    carried = page.get_by_role("region", name="Services the renewal will request")
    expect(carried).to_contain_text("97153")
    expect(carried).to_contain_text("$15.00")
    expect(carried).not_to_contain_text("$17.00")
    expect(carried).to_contain_text("20 of 400")
    expect(page.get_by_text("AUTH-7781")).to_be_visible()
    expect(page.get_by_text("5 of 40 used")).to_be_visible()
    assert_accessible(page, "renewal confirmation")
    screenshot(page, "renewal-confirm")
    assert not Case.objects.filter(renewal_of=case).exists()  # nothing until confirmed

    page.get_by_role("button", name="Start the renewal").click()
    page.wait_for_url("**/request/details/")
    renewal = Case.objects.get(renewal_of=case)
    assert renewal.status == "draft" and renewal.prior_authorization_number == "AUTH-7781"
    assert_accessible(page, "renewal details step")

    page.goto(f"/cases/{renewal.pk}/request/services/")
    expect(page.locator("main")).to_contain_text("$15.00")
    expect(page.locator("main")).not_to_contain_text("$17.00")
    assert_accessible(page, "renewal services step")

    page.goto(f"/cases/{renewal.pk}/")
    services = page.get_by_role("region", name="Requested services", exact=True).last
    expect(services).to_contain_text("$15.00")
    expect(page.get_by_role("link", name=f"SCA #{case.pk}")).to_be_visible()  # what it renews
    assert_accessible(page, "renewal workspace")

    # Back on the renewed case's confirmation page: it says a renewal exists, no button.
    page.goto(f"/cases/{case.pk}/renew/")
    expect(page.get_by_role("status")).to_contain_text(f"SCA #{renewal.pk}")
    expect(page.get_by_role("button", name="Start the renewal")).to_have_count(0)
    assert_accessible(page, "renewal confirmation, already renewed")
