"""Issue 15 in a real browser: staff schedules a peer-to-peer review, a few days ahead, of a
denied case: first refused (units approved without an outcome; the error beside the field,
what was typed kept), then saved and listed distinctly in the contact log, then seen on the
dashboard's "Peer-to-peer reviews" card. The screenshot docs/screenshots/peer-to-peer.png
comes from here."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import CaseStatus
from cases.selectors.appeals import appeal_deadline
from cases.services.appeals import case_deny
from cases.services.submissions import case_submit
from negotiations.models import ContactLog
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def denied_case(world, ready_case):
    case_submit(case_id=ready_case.pk, actor=world.staff, submission_channel="fax")
    return case_deny(
        case_id=ready_case.pk,
        actor=world.staff,
        reason="The hours requested are not medically necessary.",
        reason_category="not_medically_necessary",
    )


def test_staff_schedules_a_peer_to_peer_review_of_a_denied_case(page, world, denied_case):
    case = denied_case
    deadline = appeal_deadline(case)
    when = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        hour=14, minute=30, second=0, microsecond=0
    )
    login(page, "demo_staff")
    page.goto(f"/cases/{case.pk}/")
    log = page.locator("#log-contact")
    log.get_by_text("Log a contact or a peer-to-peer review").click()
    assert_accessible(page, "case workspace: the contact log's form")

    # Refused: units approved before the review has an outcome. The page answers 400 (which
    # the browser logs) with the error beside the field and what was typed kept.
    allow_browser_errors(page, "status of 400 (Bad Request)")
    log.get_by_label("Kind").select_option(label="Peer-to-peer review")
    log.get_by_label("When").fill(when.strftime("%Y-%m-%dT%H:%M"))
    log.get_by_label("Summary").fill("Peer-to-peer with the plan's medical director.")
    log.get_by_label("Request by").fill((timezone.localdate() + dt.timedelta(days=2)).isoformat())
    log.get_by_label("Insurer's reviewer").fill("Dr. Priya Lee")
    log.get_by_label("Reviewer's credentials").fill("MD, child psychiatry")
    log.get_by_label("Units approved").fill("300")
    log.get_by_role("button", name="Log").click()
    log = page.locator("#log-contact")
    expect(log.locator("#field-contact-units_approved .error")).to_have_text(
        "Units approved go with an outcome of approved or partly approved."
    )
    expect(log.get_by_label("Insurer's reviewer")).to_have_value("Dr. Priya Lee")
    expect(log.get_by_label("Kind")).to_have_value("peer_to_peer")
    expect(log.get_by_label("When")).to_have_value(when.strftime("%Y-%m-%dT%H:%M"))
    assert_accessible(page, "case workspace: a refused review")
    assert not ContactLog.objects.exists()

    # Saved without the units: listed as a scheduled peer-to-peer review.
    log.get_by_label("Units approved").fill("")
    log.get_by_role("button", name="Log").click()
    expect(page.locator(".messages")).to_contain_text("Peer-to-peer review logged.")
    entry = ContactLog.objects.get()
    review = page.locator(f"#review-{entry.pk}")
    expect(review).to_contain_text("Peer-to-peer")
    expect(review).to_contain_text("Scheduled for")
    expect(review).to_contain_text("Dr. Priya Lee, MD, child psychiatry")
    expect(review).to_contain_text(str(case.provider))
    expect(review).to_contain_text("Outcome not recorded yet.")
    assert entry.kind == "peer_to_peer" and entry.at == when
    case.refresh_from_db()
    assert case.status == CaseStatus.DENIED and appeal_deadline(case) == deadline
    assert_accessible(page, "case workspace with a peer-to-peer review")
    review.scroll_into_view_if_needed()
    screenshot(page, "peer-to-peer")

    # The dashboard's task card: the case, the time and the reviewer; no patient name.
    page.goto("/")
    card = page.locator("section", has=page.get_by_role("heading", name="Peer-to-peer reviews"))
    row = card.get_by_role("row", name=re.compile(rf"SCA #{case.pk}\b"))
    expect(row).to_contain_text("Dr. Priya Lee")
    expect(row).to_contain_text("Scheduled")
    expect(row).to_contain_text(when.strftime("%b %-d"))
    expect(card).not_to_contain_text(case.client.last_name)
    assert_accessible(page, "dashboard with a peer-to-peer review")
    row.get_by_role("link", name=f"SCA #{case.pk}").click()
    expect(page.locator(f"#review-{entry.pk}")).to_be_visible()
