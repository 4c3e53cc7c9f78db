"""The access log in a real browser (issue 17): an administrator opens a case, finds that read
on the Audit page (by number and link, never by name), filters it by action and exports the
filtered log as CSV; staff neither see the link nor get the page. axe-core checks the page."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cases.services.audit import access_log_write
from core.access import PracticeRead
from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot
from tests.factories import CaseFactory

pytestmark = pytest.mark.e2e


def earlier_reads(world) -> None:
    """What staff and billing read before: a page of the case list, a client."""
    cases = [CaseFactory(practice=world.practice) for _ in range(3)]
    for user, read, route in (
        (world.staff, PracticeRead(pairs={(c.client_id, c.pk) for c in cases}), "cases:list"),
        (
            world.billing,
            PracticeRead(action="view_client", pairs={(cases[0].client_id, None)}),
            "cases:client_edit",
        ),
    ):
        access_log_write(
            user=user, reads={world.practice.pk: read}, route=route, method="GET",
            ip="198.51.100.23", user_agent="Mozilla/5.0",
        )  # fmt: skip


def test_admin_finds_a_case_read_in_the_access_log_and_exports_it(page, world, ready_case):
    earlier_reads(world)
    login(page, world.admin.username)
    page.goto(f"/cases/{ready_case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Access log", level=1)).to_be_visible()
    entries = page.get_by_role("region", name="Access log entries")
    row = entries.locator("tr", has_text="Viewed a case").first
    expect(row.get_by_role("link", name=f"SCA #{ready_case.pk}")).to_have_attribute(
        "href", f"/cases/{ready_case.pk}/"
    )
    expect(row.get_by_role("link", name=f"Client #{ready_case.client_id}")).to_be_visible()
    expect(row).to_contain_text("cases:detail")
    # Numbers, not names: the log page is no read of patient data.
    expect(entries).not_to_contain_text(ready_case.client.last_name)
    assert_accessible(page, "access log")
    screenshot(page, "audit-log")

    page.get_by_label("Action").select_option("view_case")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"action=view_case"))
    expect(entries.locator("tbody tr")).to_have_count(1)
    expect(entries).not_to_contain_text("Read patient data")

    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    assert info.value.suggested_filename.startswith("access-log-")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:4] == ["at", "user", "practice", "action"]
    assert [(r[1], r[3], r[4], r[9]) for r in rows] == [
        (world.admin.username, "view_case", "cases:detail", str(ready_case.pk))
    ]


def test_staff_have_no_audit_link_and_are_refused_the_page(page, world):
    login(page, world.staff.username)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Cases")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit")).to_have_count(0)
    allow_browser_errors(page, "403")
    for url in ("/audit/", "/audit/export.csv"):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
    assert_accessible(page, "access log refused (staff)")
