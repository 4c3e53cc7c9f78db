"""No duplicates in a real browser (issue 16, item 2): a double click on "Save client and
continue" makes one client (the one-time form token, sca_portal/once.py); the client form's
duplicate warning names the existing client with a link and offers "Create anyway", keeping
what was typed. axe-core checks every page."""

import pytest
from playwright.sync_api import expect

from cases.models import Client
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login
from tests.factories import ClientFactory

pytestmark = pytest.mark.e2e

REFUSED = "status of 409 (Conflict)"  # a duplicate is a conflict


def test_double_click_on_save_client_and_continue_makes_one_client(page, world, policy):
    login(page, "demo_staff")
    page.goto("/cases/new/")
    assert_accessible(page, "new request: client")
    new = page.locator("form", has=page.get_by_role("heading", name="A new client"))
    assert new.locator('input[name="_once"]').count() == 1
    new.get_by_label("First name").fill("Rosa")
    new.get_by_label("Last name").fill("Delgado")
    new.get_by_label("Date of birth").fill("2019-05-02")
    new.get_by_label("Insurer").select_option(label=policy.insurer.name)
    new.get_by_label("Member id").fill("EVG7788")
    new.get_by_role("button", name="Save client and continue").dblclick()
    expect(page.get_by_role("heading", name="Insurer, reason and dates")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert Client.objects.filter(practice=world.practice, member_id="EVG7788").count() == 1
    assert_accessible(page, "new request: details after a double click")


def test_client_form_warns_of_a_duplicate_keeps_the_input_and_creates_anyway(page, world, policy):
    existing = ClientFactory(practice=world.practice, insurer=policy.insurer, member_id="EVG5150")
    login(page, "demo_staff")
    page.goto("/clients/new/")
    assert_accessible(page, "add client")
    page.get_by_label("First name").fill("Eli")
    page.get_by_label("Last name").fill("Stone")
    page.get_by_label("Date of birth").fill(existing.date_of_birth.isoformat())
    page.get_by_label("Insurer").select_option(label=policy.insurer.name)
    page.get_by_label("Member id").fill("EVG5150")
    allow_browser_errors(page, REFUSED)
    page.get_by_role("button", name="Add client").click()

    # Refused: the existing client is named (id and initials) and linked; the input is kept.
    link = page.get_by_role("link", name=f"Open client #{existing.pk}")
    expect(link).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Eli")
    expect(page.get_by_label("Member id")).to_have_value("EVG5150")
    assert Client.objects.filter(practice=world.practice).count() == 1
    assert_accessible(page, "add client: duplicate warning")
    assert f"/clients/{existing.pk}/" in (link.get_attribute("href") or "")

    page.get_by_role("button", name="Create anyway").click()
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()
    assert Client.objects.filter(practice=world.practice, member_id="EVG5150").count() == 2
    assert_accessible(page, "clients after create anyway")
