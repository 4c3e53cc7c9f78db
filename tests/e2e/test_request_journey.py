"""The guided request in a real browser (issue 16): a refused step keeps what was typed and
shows the error beside its field, in view; a saved step hands the focus to the next step's
heading, one Tab from its first field; Back from step 3 and saving again makes no second draft;
the review's ✕ items link to their step. axe-core checks every page."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.factories import BillingCodeFactory, ClientFactory, NetworkSearchFactory, ProviderFactory

pytestmark = pytest.mark.e2e


def _day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def _in_view(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None
    height = page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)


def _refusals_expected(page, *statuses: int) -> None:
    # A refused form answers 400/409 and htmx swaps it in place; the browser logs the status.
    for status in statuses:
        allow_browser_errors(page, f"Response Status Error Code {status}", f"status of {status}")


def _focused(page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.textContent")


def test_step_2_refuses_a_period_ending_before_it_starts_then_focus_follows_the_steps(
    page, world, policy
):
    BillingCodeFactory(code="97153", short_description="Adaptive behavior treatment")
    client = ClientFactory(practice=world.practice, insurer=policy.insurer)
    ProviderFactory(practice=world.practice, first_name="Morgan", last_name="Reyes")
    _refusals_expected(page, 400)
    login(page, "demo_staff")
    page.goto(f"/cases/new/?client={client.pk}")
    expect(page.get_by_role("heading", name="Insurer, reason and dates")).to_be_visible()
    assert_accessible(page, "request: details")

    # 2. details, with a period that ends before it starts
    page.get_by_label("Treating provider").select_option(label="Morgan Reyes, BCBA")
    page.get_by_label("Planned treatment start").fill(_day(20))
    page.get_by_label("Agreement from").fill(_day(20))
    page.get_by_label("Agreement to").fill(_day(10))
    page.get_by_label("Sessions requested").fill("60")
    page.get_by_label("Clinical justification").fill("No in-network BCBA within 40 miles.")
    page.get_by_role("button", name="Save and continue").click()
    error = page.locator("#id_requested_end_error")
    expect(error).to_contain_text("must end after it starts")
    # Beside the field, in view, with the focus on the field; the summary at the form's top.
    _in_view(page, "#id_requested_end_error")
    assert _focused(page) == "id_requested_end"
    expect(page.locator("[data-error-summary]")).to_contain_text("Agreement to")
    # Everything typed is still there.
    expect(page.get_by_label("Agreement from")).to_have_value(_day(20))
    expect(page.get_by_label("Agreement to")).to_have_value(_day(10))
    expect(page.get_by_label("Sessions requested")).to_have_value("60")
    expect(page.get_by_label("Clinical justification")).to_have_value(
        "No in-network BCBA within 40 miles."
    )
    assert not Case.objects.filter(client=client).exists()
    assert_accessible(page, "request: details refused")
    screenshot(page, "request-2-details-refused")

    # Corrected and saved: the services step's heading has the focus; one Tab, the first field.
    page.get_by_label("Agreement to").fill(_day(200))
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Add a billing code")).to_be_focused()
    assert "saved=" not in page.url  # a reload does not move the focus again
    page.keyboard.press("Tab")
    expect(page.get_by_label("Billing code")).to_be_focused()
    assert_accessible(page, "request: services")
    case = Case.objects.get(client=client)

    # Back to step 2 and save again: the same draft, edited.
    page.go_back()
    expect(page.get_by_role("heading", name="Insurer, reason and dates")).to_be_visible()
    assert f"/cases/{case.pk}/request/details/" in page.url
    page.get_by_label("Sessions requested").fill("48")
    assert_accessible(page, "request: details of the draft")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Add a billing code")).to_be_focused()
    assert Case.objects.filter(client=client).count() == 1
    case.refresh_from_db()
    assert case.sessions_requested == 48

    # A plain visit keeps the browser's focus; the chips tell the truth (Client ✓, Consent
    # optional while the patient initiated and nothing is recorded).
    page.goto(f"/cases/{case.pk}/request/review/")
    assert _focused(page) != "Readiness"
    steps = page.get_by_role("navigation", name="Request steps")
    expect(steps.get_by_role("link", name="Client (done)")).to_be_visible()
    expect(steps.get_by_role("link", name="Consent (optional)")).to_be_visible()
    # The review's ✕ items link to the step that fixes them.
    fix = page.get_by_role("link", name="Fix in “Services”")
    expect(fix).to_be_visible()
    assert_accessible(page, "request: review")
    screenshot(page, "request-6-review-links")
    fix.click()
    expect(page.get_by_role("heading", name="Add a billing code")).to_be_visible()


def test_search_list_shows_notes_and_distance(page, world, ready_case):
    NetworkSearchFactory(
        case=ready_case, provider_name="Harbor Kids", notes="Waitlist closed until spring.",
        distance_miles="42.5",
    )  # fmt: skip
    login(page, "demo_staff")
    page.goto(f"/cases/{ready_case.pk}/request/searches/")
    region = page.get_by_role("region", name="In-network attempts")
    expect(region).to_contain_text("Waitlist closed until spring.")
    expect(region).to_contain_text("42.5 mi")
    assert_accessible(page, "request: searches")
    screenshot(page, "request-4-searches")


def test_duplicate_open_case_offers_the_existing_case_and_a_confirm(page, world, ready_case):
    ProviderFactory(practice=world.practice, first_name="Morgan", last_name="Reyes")
    _refusals_expected(page, 409)
    login(page, "demo_staff")
    page.goto(f"/cases/new/?client={ready_case.client_id}")
    page.get_by_label("Treating provider").select_option(label="Morgan Reyes, BCBA")
    page.get_by_label("Planned treatment start").fill(_day(40))
    page.get_by_label("Agreement from").fill(_day(40))
    page.get_by_label("Agreement to").fill(_day(100))
    page.get_by_role("button", name="Save and continue").click()
    notice = page.locator("#duplicate-notice")
    expect(notice.get_by_role("link", name=f"SCA #{ready_case.pk}")).to_be_visible()
    expect(notice).to_be_focused()
    expect(page.get_by_label("Agreement to")).to_have_value(_day(100))
    assert_accessible(page, "request: duplicate case")
    screenshot(page, "request-2-duplicate")
    page.get_by_role("button", name="Create anyway").click()
    expect(page.get_by_role("heading", name="Add a billing code")).to_be_focused()
    assert Case.objects.filter(client=ready_case.client).count() == 2
