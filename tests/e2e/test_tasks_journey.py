"""Issue 16, the task list in a real browser: staff opens /tasks/, marks a follow-up done,
snoozes a renewal (first with a past date, refused beside the date, which stays as typed),
switches to the practice's tasks and turns the daily email off; and at 390 px the list fits
the screen. The "tasks" screenshot comes from here."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Membership
from negotiations.models import TaskState
from negotiations.selectors.worklist import FOLLOW_UP, RENEWAL, task_key
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.negotiations.test_tasks import make_tasks

pytestmark = pytest.mark.e2e


def _row(page, case_pk: int, label: str):
    return page.get_by_role("row").filter(has_text=label).filter(has_text=f"SCA #{case_pk}")


def test_staff_works_through_the_task_list(page, world):
    made = make_tasks(world)
    make_tasks(world, owner=world.billing)  # the practice's, not the staff member's
    today = timezone.localdate()
    follow_up = made[FOLLOW_UP][0]
    renewal = made[RENEWAL][0]

    allow_browser_errors(page, "status of 400 (Bad Request)")  # the refused snooze, in place
    login(page, "demo_staff")
    page.goto("/tasks/")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="My tasks")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("row")).to_have_count(6 + 1)  # six kinds and the header
    assert_accessible(page, "task list")
    screenshot(page, "tasks")

    row = _row(page, follow_up.pk, "Follow up")
    row.get_by_role("button", name="Done").click()
    expect(page.get_by_text("Task marked done.")).to_be_visible()
    expect(_row(page, follow_up.pk, "Follow up")).to_have_count(0)
    assert TaskState.objects.get().key == task_key(FOLLOW_UP, follow_up.pk, today)
    assert_accessible(page, "task list after done")

    # A past date is refused beside the field; the date stays as typed.
    past = (today - dt.timedelta(days=1)).isoformat()
    row = _row(page, renewal.case.pk, "Renew")
    row.get_by_label("Snooze until").fill(past)
    row.get_by_role("button", name="Snooze").click()
    row = _row(page, renewal.case.pk, "Renew")
    error = row.get_by_text("Snooze until a day after today")
    expect(error).to_be_visible()
    date = row.get_by_label("Snooze until")
    expect(date).to_have_value(past)
    expect(date).to_have_attribute("aria-invalid", "true")
    expect(date).to_be_focused()
    box, viewport = error.bounding_box(), page.viewport_size
    assert box is not None and viewport is not None and 0 <= box["y"] <= viewport["height"]
    assert_accessible(page, "task list with a refused snooze")

    later = (today + dt.timedelta(days=5)).isoformat()
    date.fill(later)
    row.get_by_role("button", name="Snooze").click()
    expect(page.get_by_text("Task snoozed until")).to_be_visible()
    expect(_row(page, renewal.case.pk, "Renew")).to_have_count(0)

    page.get_by_role("link", name="Practice").click()
    expect(page.get_by_role("heading", name="The practice's open tasks")).to_be_visible()
    expect(page.get_by_text("demo_billing").first).to_be_visible()
    assert_accessible(page, "the practice's tasks")

    page.get_by_role("button", name="Turn the daily email off").click()
    expect(page.get_by_text("The daily task email is off.")).to_be_visible()
    expect(page.get_by_role("button", name="Turn the daily email on")).to_be_visible()
    expect(page.get_by_role("heading", name="The practice's open tasks")).to_be_visible()
    assert not Membership.objects.get(user=world.staff, practice=world.practice).task_digest
    assert_accessible(page, "task list with the digest off")


def test_task_list_fits_a_phone(mobile_page, world):
    page = mobile_page
    make_tasks(world)
    login(page, "demo_staff")
    page.goto("/tasks/")
    done = page.get_by_role("button", name="Done").first
    expect(done).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Each task's cells stack below 600 px: Done is on screen, not scrolled inside the table.
    box = done.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert_accessible(page, "task list at 390 px")
    screenshot(page, "tasks-mobile")
