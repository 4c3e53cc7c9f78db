"""Issue 16's client page in a real browser: from the client list a staff member opens a
client, sees every SCA with its status and the agreement's use per code, and starts a new
request for the client, which lands on the request with the client chosen. On a phone the
cases table still shows each case's status. Another practice's client is not found. The
screenshot "client_page" comes from here."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from negotiations.models import UtilizationEntry
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    CaseAttachmentFactory,
    CaseFactory,
    ClientFactory,
    ConsentFactory,
    InsurerFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def client_with_cases(world):
    """Ava Quintero: a draft, and an approved SCA whose agreement authorizes 96 units of
    97155 (100 used: over) and 400 of 97153 (330 used: 82.5%)."""
    insurer = InsurerFactory(name="Evergreen Health Plan")
    client = ClientFactory(
        practice=world.practice, insurer=insurer, first_name="Ava", last_name="Quintero"
    )
    draft = CaseFactory(practice=world.practice, client=client, insurer=insurer)
    now, today = timezone.now(), timezone.localdate()
    approved = CaseFactory(
        practice=world.practice, client=client, insurer=insurer, status="approved",
        submitted_at=now - dt.timedelta(days=60), decided_at=now - dt.timedelta(days=45),
    )  # fmt: skip
    agreement = AgreementFactory(
        case=approved,
        authorization_number="AUTH-5521",
        start_date=today - dt.timedelta(days=45),
        end_date=today + dt.timedelta(days=135),
    )
    treatment = BillingCodeFactory(code="97153", short_description="Adaptive behavior treatment")
    guidance = BillingCodeFactory(code="97155", short_description="Protocol modification")
    AgreementLineFactory(
        agreement=agreement, billing_code=treatment, rate=Decimal("15.00"), units_authorized=400
    )
    AgreementLineFactory(agreement=agreement, billing_code=guidance, units_authorized=96)
    for code, units in ((treatment, 330), (guidance, 100)):
        UtilizationEntry.objects.create(
            agreement=agreement, billing_code=code, units=units, service_date=today
        )
    ConsentFactory(case=approved, signer_name="Pat Quintero")
    CaseAttachmentFactory(case=approved, title="Treatment plan")
    return client, draft, approved


def test_staff_opens_a_client_and_starts_a_request_for_them(page, world, client_with_cases):
    client, draft, approved = client_with_cases
    login(page, "demo_staff")
    page.goto("/clients/")
    assert_accessible(page, "client list")
    expect(page.get_by_role("link", name="Edit Ava Quintero")).to_be_visible()  # still there
    page.get_by_role("link", name="Quintero, Ava").click()

    expect(page.get_by_role("heading", name="Ava Quintero", level=1)).to_be_visible()
    cases = page.get_by_role("region", name="SCA requests of this client")
    for case, status in ((approved, "Approved"), (draft, "Draft")):
        row = cases.get_by_role("row").filter(has=page.get_by_role("link", name=f"SCA #{case.pk}"))
        expect(row).to_contain_text(status)
        expect(row).to_contain_text("Evergreen Health Plan")
    usage = page.get_by_role("region", name="Use of authorization AUTH-5521")
    expect(usage.get_by_role("row").filter(has_text="97153")).to_contain_text("330 / 400 units")
    expect(usage.get_by_role("row").filter(has_text="97153")).to_contain_text("82.5%")
    expect(usage.get_by_role("row").filter(has_text="97155")).to_contain_text("over")
    expect(page.get_by_text("Pat Quintero (parent)")).to_be_visible()
    expect(page.get_by_role("link", name="Treatment plan")).to_be_visible()
    expect(page.get_by_role("link", name="Edit client")).to_be_visible()
    assert_accessible(page, "client page")
    screenshot(page, "client_page")

    page.get_by_role("link", name="New SCA request for this client").click()
    expect(page.get_by_role("heading", name="New SCA request", level=1)).to_be_visible()
    expect(page.get_by_text("For Ava Quintero")).to_be_visible()
    assert_accessible(page, "request details for the chosen client")


def test_the_workspace_links_its_client_page(page, world, client_with_cases):
    _client, _draft, approved = client_with_cases
    login(page, "demo_staff")
    page.goto(f"/cases/{approved.pk}/")
    page.get_by_role("heading", level=1).get_by_role("link", name="Ava Quintero").click()
    expect(page.get_by_role("heading", name="Ava Quintero", level=1)).to_be_visible()


def test_client_page_shows_each_case_status_on_a_phone(mobile_page, world, client_with_cases):
    page = mobile_page
    client, draft, approved = client_with_cases
    login(page, "demo_staff")
    page.goto(f"/clients/{client.pk}/")
    for case, status in ((approved, "Approved"), (draft, "Draft")):
        badge = (
            page.get_by_role("region", name="SCA requests of this client")
            .get_by_role("row")
            .filter(has=page.get_by_role("link", name=f"SCA #{case.pk}"))
            .get_by_text(status, exact=True)
        )
        expect(badge).to_be_visible()
        box = badge.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, f"status cut off: {box}"
    # The agreement's "over" badge is on screen, not clipped by its table.
    usage = page.get_by_role("region", name="Use of authorization AUTH-5521")
    over = usage.get_by_text("over", exact=True)
    expect(over).to_be_visible()
    box = over.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, f"'over' cut off: {box}"
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 390, f"the page scrolls sideways: {scroll_width}px on a 390px screen"
    assert_accessible(page, "client page (phone)")
    screenshot(page, "client_page-mobile")


def test_another_practices_client_is_not_found(page, world, client_with_cases):
    client = client_with_cases[0]
    login(page, "other_staff")
    allow_browser_errors(page, "404")
    response = page.goto(f"/clients/{client.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_text("Quintero")).to_have_count(0)
    assert_accessible(page, "another practice's client")
