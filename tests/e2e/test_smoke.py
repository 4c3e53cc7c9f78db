"""Smoke tests of the browser UI: sign in and out through the real form, the dashboard on a
desktop and a phone, and axe-core accessibility checks on both pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_sign_in_lands_on_the_dashboard_and_sign_out_returns_to_login(page, world):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    assert_accessible(page, "login")
    screenshot(page, "login")

    login(page, "demo_staff")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("banner").get_by_text("Bright Path ABA", exact=True)).to_be_visible()
    assert_accessible(page, "dashboard")
    screenshot(page, "dashboard")

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))


def test_wrong_password_shows_an_error(page, world):
    login(page, "demo_staff", "not-the-password")

    expect(page).to_have_url(re.compile(r"/login/$"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("enter a correct username and password")
    expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
    assert_accessible(page, "login with an error")


def test_dashboard_fits_a_phone_screen(mobile_page, world):
    page = mobile_page
    login(page, "demo_staff")

    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 390, (
        f"the page scrolls sideways: {scroll_width}px wide on a 390px screen"
    )
    assert_accessible(page, "dashboard (phone)")
    screenshot(page, "dashboard-mobile")


def test_keyboard_users_skip_to_the_content_and_see_where_focus_is(page, world):
    login(page, "demo_staff")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    # The focus ring is drawn (box-shadow), never removed without a replacement.
    ring = page.evaluate("() => getComputedStyle(document.activeElement).boxShadow")
    assert ring and ring != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # From there the next Tab is the content's first action, and Enter follows it.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "New SCA request"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New SCA request", level=1)).to_be_visible()
