"""Issue 17 in a real browser: a user finds "Forgot your password?" on the sign-in page, signs
in, opens Security from the header, sees the API token a script of theirs holds, revokes it,
and then types a wrong current password when changing it. The screenshot of the security page
comes from here."""

import re

import pytest
from knox.models import AuthToken
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_a_user_revokes_a_token_and_is_told_of_a_wrong_current_password(page, world):
    token, _ = AuthToken.objects.create(user=world.staff)
    kept, _ = AuthToken.objects.create(user=world.staff)
    shown = token.token_key[:8]

    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password", level=1)).to_be_visible()
    assert_accessible(page, "password reset")

    login(page, "demo_staff")
    page.get_by_role("link", name="Security", exact=True).click()
    expect(page.get_by_role("heading", name="Security", level=1)).to_be_visible()
    tokens = page.get_by_role("region", name="Your API tokens")
    expect(tokens).to_contain_text(shown)
    expect(tokens).to_contain_text(kept.token_key[:8])
    assert_accessible(page, "security page")
    screenshot(page, "account-security")

    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke the token ...?"
    page.get_by_role("button", name=f"Revoke token {shown}").click()
    expect(page.get_by_text("The token was revoked")).to_be_visible()
    expect(tokens).not_to_contain_text(shown)
    expect(tokens).to_contain_text(kept.token_key[:8])
    assert list(AuthToken.objects.all()) == [kept]

    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Old password").fill("not-my-password")
    new_password = page.get_by_label(re.compile(r"^New password\W*$"))  # not "...confirmation"
    new_password.fill("a-Longer-pass-phrase-42")
    page.get_by_label("New password confirmation").fill("a-Longer-pass-phrase-42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your old password was entered incorrectly")).to_be_visible()
    assert_accessible(page, "password change refused")
    world.staff.refresh_from_db()
    assert world.staff.check_password("demo12345")
    assert AuthToken.objects.filter(pk=kept.pk).exists()
