"""Issue 17 in a real browser: with a second factor required of staff, a staff member signs in,
is taken to the setup page, adds the key to "their app" (computed here from the key the page
shows, as an app would), confirms, sees the recovery codes once and reaches the dashboard. They
sign out and in again: the code page comes after the password; a wrong code is refused next to
the field, the right one opens the dashboard. The screenshots of both pages come from here."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.e2e.conftest import allow_browser_errors, assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def app_code(secret: str, *, at: float) -> str:
    """What an authenticator app shows at ``at`` for the key typed in (30 s steps, 6 digits)."""
    totp = TOTP(b32decode(secret))
    totp.time = at
    return f"{totp.token():06d}"


def test_staff_sets_up_two_factor_and_signs_in_with_a_code(page, world, settings, live_server):
    settings.MFA_REQUIRED_ROLES = ["staff"]
    dashboard = f"{live_server.url}/"

    login(page, "demo_staff")
    expect(page).to_have_url(f"{live_server.url}/account/two-factor/setup/?next=%2F")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    assert_accessible(page, "two-factor setup")
    screenshot(page, "two-factor-setup")

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Enter the 6-digit code").fill(app_code(secret, at=time.time()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert_accessible(page, "recovery codes")
    page.get_by_role("link", name="I have stored them, continue").click()
    expect(page).to_have_url(dashboard)

    page.goto("/account/security/")
    section = page.get_by_role("region", name="Two-factor sign-in")
    expect(section).to_contain_text("Set up")
    expect(section).to_contain_text("10 unused")
    expect(section).to_contain_text("cannot be turned off")
    assert_accessible(page, "security page with two-factor set up")

    page.get_by_role("button", name="Sign out").click()
    login(page, "demo_staff")
    expect(page).to_have_url(f"{live_server.url}/account/two-factor/?next=%2F")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(page, "two-factor verify")
    screenshot(page, "two-factor-verify")

    # The setup used this 30-second step's code; the app's next one is the one to type (a code
    # is taken once). A wrong code first.
    right = app_code(secret, at=time.time() + 30)
    wrong = next(c for c in ("000000", "111111", "222222") if c != right)
    allow_browser_errors(page, "status of 400 (Bad Request)")
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    assert_accessible(page, "two-factor verify, wrong code")
    expect(page).not_to_have_url(dashboard)

    page.wait_for_timeout(1_100)  # django-otp takes no code for a second after a wrong one
    page.get_by_label("Code").fill(right)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(dashboard)
