"""Issue 16 in a real browser: a refused accept keeps the authorization number and shows its
error in view with the focus on it (no CSP error, the header whole); at 1280 px the benchmark
table shows "Policy pays" inside its box; at 390 px the case list shows each row's status with
the filters behind a "Filters" toggle, and the services step shows Remove. axe on each page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.services.submissions import case_submit
from negotiations.services.offers import offer_record
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.factories import CaseFactory, ConsentFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def negotiating(world, ready_case, aba_code):
    ConsentFactory(case=ready_case)
    case_submit(case_id=ready_case.pk, actor=world.staff, submission_channel="fax")
    offer_record(
        case_id=ready_case.pk,
        actor=world.billing,
        lines=[{"billing_code": aba_code, "rate": Decimal("14.00")}],
    )
    return ready_case


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_refused_accept_keeps_what_was_typed_and_shows_the_error_in_view(page, negotiating):
    login(page, "demo_billing")
    page.goto(f"/cases/{negotiating.pk}/")
    panel = page.locator("#negotiation")
    # At 1280 px every benchmark column is inside the table's box, "Policy pays" included.
    region = panel.get_by_role("region", name="Rate benchmarks")
    policy_pays = region.get_by_role("columnheader", name="Policy pays")
    expect(policy_pays).to_be_visible()
    wrap, header = region.bounding_box(), policy_pays.bounding_box()
    assert header["x"] + header["width"] <= wrap["x"] + wrap["width"] + 1
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert_accessible(page, "case workspace in negotiation")
    screenshot(page, "negotiation_panel")

    start = timezone.localdate() + dt.timedelta(days=60)
    panel.get_by_text("Accept the insurer's offer", exact=True).click()
    form = panel.locator("form", has=page.get_by_role("button", name="Accept offer"))
    form.get_by_label("Authorization number").fill("AUTH-2026-77")
    form.get_by_label("Agreement from").fill(start.isoformat())
    form.get_by_label("Agreement to").fill((start - dt.timedelta(days=30)).isoformat())
    # Refused: the page answers 400, which the browser logs (no other console error: no CSP).
    allow_browser_errors(page, "status of 400 (Bad Request)")
    with page.expect_navigation():
        form.get_by_role("button", name="Accept offer").click()

    form = page.locator("#negotiation form", has=page.get_by_role("button", name="Accept offer"))
    end = form.get_by_label("Agreement to")
    expect(form.get_by_label("Authorization number")).to_have_value("AUTH-2026-77")
    expect(form.get_by_label("Agreement from")).to_have_value(start.isoformat())
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_be_focused()
    error = form.locator("#field-terms-end_date .error")
    expect(error).to_have_text("The agreement must end after it starts.")
    assert in_viewport(page, error) and in_viewport(page, end)
    summary = form.locator("[data-error-summary]")
    expect(summary).to_contain_text("Agreement to")
    # The header keeps the practice and the role after the refusal.
    expect(page.locator("header.topbar")).to_contain_text("Bright Path ABA")
    expect(page.locator("header.topbar")).to_contain_text("Billing")
    assert_accessible(page, "refused accept")

    # Corrected, the agreement is recorded.
    end.fill((start + dt.timedelta(days=180)).isoformat())
    with page.expect_navigation():
        form.get_by_role("button", name="Accept offer").click()
    expect(page.locator(".msg-success")).to_contain_text("Offer accepted")


def test_the_case_list_and_services_step_fit_a_phone(mobile_page, world, ready_case, policy):
    page = mobile_page
    for _ in range(3):
        CaseFactory(practice=world.practice, insurer=policy.insurer, created_by=world.staff)
    login(page, "demo_staff")
    page.goto("/cases/")
    toggle = page.locator("#case-filters summary", has_text="Filters")
    expect(toggle).to_be_visible()
    status_filter = page.get_by_label("Status", exact=True)
    expect(status_filter).to_be_hidden()  # closed on a phone
    table = page.get_by_role("region", name="Cases")
    first_row = table.locator("tbody tr").first
    status = first_row.locator(".badge").first
    expect(status).to_be_visible()
    assert in_viewport(page, first_row)
    box, wrap = status.bounding_box(), table.bounding_box()
    assert box["x"] + box["width"] <= wrap["x"] + wrap["width"] + 1  # not clipped
    assert_accessible(page, "case list at 390 px")
    screenshot(page, "case_list_390")
    toggle.click()
    expect(status_filter).to_be_visible()

    page.goto(f"/cases/{ready_case.pk}/request/services/")
    remove = page.get_by_role("button", name="Remove 97153")
    expect(remove).to_be_visible()
    box = remove.bounding_box()
    region = page.get_by_role("region", name="Codes requested").bounding_box()
    assert box["x"] + box["width"] <= region["x"] + region["width"] + 1
    assert box["x"] + box["width"] <= page.viewport_size["width"]
    assert_accessible(page, "services step at 390 px")
