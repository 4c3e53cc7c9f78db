"""Issue 15 in a real browser: a billing user records the insurer's denial of a submitted case
(a refused attempt first), sees the appeal deadline, files the internal appeal, and records
the insurer overturning it as an approval in the negotiation panel: the case is approved with
its agreement. The screenshots of the denied and the appealed case come from here."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import AppealOutcome, Case, CaseStatus
from cases.services.submissions import case_submit
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e

WORDING = "Applied behavior analysis is not medically necessary at the requested intensity."


@pytest.fixture
def submitted_case(world, ready_case):
    case_submit(case_id=ready_case.pk, actor=world.staff, submission_channel="fax")
    # Sent three weeks ago: the denial arrived since.
    Case.objects.filter(pk=ready_case.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=21)
    )
    ready_case.refresh_from_db()
    return ready_case


def test_billing_records_a_denial_appeals_it_and_records_the_overturn(page, world, submitted_case):
    case = submitted_case
    today = timezone.localdate()
    login(page, "demo_billing")
    page.goto(f"/cases/{case.pk}/")
    assert_accessible(page, "submitted case")

    # Refused: a denial received tomorrow. The page comes back (400, which the browser logs)
    # open on the form, the error beside the date and on screen, what was typed kept.
    allow_browser_errors(page, "status of 400 (Bad Request)")
    page.get_by_text("Record the insurer's denial").click()
    form = page.locator("#record-denial")
    form.get_by_label("Category").select_option(label="Not medically necessary")
    form.get_by_label("Received on").fill((today + dt.timedelta(days=1)).isoformat())
    form.get_by_label("The insurer's wording").fill(WORDING)
    form.get_by_label("Where the denial says to send appeals").fill(
        "Appeals Unit, PO Box 30432, Salt Lake City, UT 84130"
    )
    form.get_by_role("button", name="Record denial").click()
    error = page.locator("#field-deny-received_on .error")
    expect(error).to_have_text("This date cannot be in the future.")
    expect(error).to_be_in_viewport()
    expect(form.get_by_label("Received on")).to_be_focused()
    expect(form.get_by_label("The insurer's wording")).to_have_value(WORDING)
    expect(form.get_by_label("Category")).to_have_value("not_medically_necessary")
    assert_accessible(page, "refused denial")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED

    # Accepted: received three days ago.
    received = today - dt.timedelta(days=3)
    form.get_by_label("Received on").fill(received.isoformat())
    form.get_by_role("button", name="Record denial").click()
    card = page.get_by_role("region", name="Denial", exact=True)
    expect(card).to_contain_text(WORDING)
    expect(card).to_contain_text("PO Box 30432")
    due = received + dt.timedelta(days=180)  # commercial: the first internal appeal
    expect(card).to_contain_text(f"{(due - today).days} days left")
    expect(card).to_contain_text("Internal appeal (first level)")
    expect(card).to_contain_text("No authorized representative form is on file")
    expect(page.get_by_text("Accept the insurer's offer or decline")).to_have_count(0)
    assert_accessible(page, "denied case")
    screenshot(page, "case-denied-appeal")

    # The internal appeal, by fax, with the insurer's reference.
    appeal = card.locator("#file-appeal")
    appeal.get_by_label("Level").select_option("internal_1")
    appeal.get_by_label("Sent by").select_option(label="Fax")
    appeal.get_by_label("Insurer's appeal reference").fill("APL-5521")
    appeal.get_by_role("button", name="File the appeal").click()
    expect(page.get_by_role("status").first).to_contain_text("Internal appeal (first level) filed.")
    levels = page.get_by_role("region", name="Appeals", exact=True)
    expect(levels).to_contain_text("APL-5521")
    expect(levels).to_contain_text("Pending")
    expect(page.get_by_role("link", name="negotiation panel")).to_be_visible()
    case.refresh_from_db()
    assert case.status == CaseStatus.APPEALED
    assert_accessible(page, "appealed case")
    screenshot(page, "case-appealed")

    # The insurer overturns the denial: recorded as an approval in the negotiation panel.
    negotiation = page.locator("#negotiation")
    # The form is closed (its button hidden): found by the button's text.
    approve = negotiation.locator("details", has=page.locator("button", has_text="Record approval"))
    approve.locator("summary").click()
    approve.get_by_label("Authorization number").fill("AUTH-90817")
    approve.get_by_role("button", name="Record approval").click()
    expect(page.get_by_role("heading", name="Agreement AUTH-90817")).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("Approved")
    expect(page.get_by_role("region", name="Appeals", exact=True)).to_contain_text("Overturned")
    assert_accessible(page, "approved after appeal")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert case.agreement.authorization_number == "AUTH-90817"
    assert case.appeals.get().outcome == AppealOutcome.OVERTURNED
