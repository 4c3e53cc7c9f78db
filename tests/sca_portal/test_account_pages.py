"""The user's own account pages: the security page's API tokens, changing the password, and
resetting it by email."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from tests.factories import ClientFactory

SECURITY = "/account/security/"
REVOKE = "/account/security/tokens/revoke/"


def test_the_security_page_lists_the_users_own_live_tokens(world, web):
    mine, _ = AuthToken.objects.create(user=world.staff)
    expired, _ = AuthToken.objects.create(user=world.staff, expiry=dt.timedelta(hours=-1))
    theirs, _ = AuthToken.objects.create(user=world.billing)
    response = web(world.staff).get(SECURITY)
    assert response.status_code == 200
    assert reverse("account_security") == SECURITY
    page = response.content.decode()
    assert mine.token_key[:8] in page and mine.digest in page
    assert expired.digest not in page and theirs.digest not in page
    assert page.count("<h1") == 1
    assert response["Cache-Control"] == "private, no-store"
    assert timezone.localtime(mine.expiry).strftime("%b") in page


def test_the_security_page_needs_a_signed_in_user(db, web):
    response = web().get(SECURITY)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_every_page_links_to_security_and_the_security_page_to_password_change(world, web):
    browser = web(world.staff)
    assert f'href="{SECURITY}"' in browser.get("/").content.decode()
    assert 'href="/account/password/"' in browser.get(SECURITY).content.decode()


def test_revoking_a_token_ends_it(world, web):
    token, key = AuthToken.objects.create(user=world.staff)
    other, _ = AuthToken.objects.create(user=world.staff)
    response = web(world.staff).post(REVOKE, {"token": token.digest}, follow=True)
    assert response.redirect_chain[-1][0] == SECURITY
    assert "The token was revoked" in response.content.decode()
    assert token.digest not in response.content.decode()
    assert list(AuthToken.objects.values_list("digest", flat=True)) == [other.digest]


@pytest.mark.parametrize("digest", ["theirs", "", "0" * 128])
def test_another_users_token_or_none_is_not_found(world, web, digest):
    theirs, _ = AuthToken.objects.create(user=world.billing)
    value = theirs.digest if digest == "theirs" else digest
    response = web(world.staff).post(REVOKE, {"token": value})
    assert response.status_code == 404
    assert AuthToken.objects.filter(pk=theirs.pk).exists()


def test_revoking_needs_a_post_with_the_csrf_token(world):
    token, _ = AuthToken.objects.create(user=world.staff)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.staff)
    assert browser.get(REVOKE).status_code == 405
    assert browser.post(REVOKE, {"token": token.digest}).status_code == 403
    assert AuthToken.objects.filter(pk=token.pk).exists()


def test_revoke_all_ends_every_token_of_the_user_only(world, web):
    AuthToken.objects.create(user=world.staff)
    AuthToken.objects.create(user=world.staff)
    theirs, _ = AuthToken.objects.create(user=world.billing)
    response = web(world.staff).post("/account/security/tokens/revoke-all/", follow=True)
    assert "2 tokens revoked." in response.content.decode()
    assert list(AuthToken.objects.all()) == [theirs]


def test_changing_the_password_works_and_revokes_the_tokens(world, web):
    AuthToken.objects.create(user=world.staff)
    browser = web(world.staff)
    page = browser.get("/account/password/")
    assert page.status_code == 200 and page.content.decode().count("<h1") == 1
    response = browser.post(
        "/account/password/",
        {
            "old_password": "demo12345",
            "new_password1": "a-Longer-pass-phrase-42",
            "new_password2": "a-Longer-pass-phrase-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/account/password/done/"
    world.staff.refresh_from_db()
    assert world.staff.check_password("a-Longer-pass-phrase-42")
    assert browser.get(SECURITY).status_code == 200  # this session stays signed in
    assert not AuthToken.objects.filter(user=world.staff).exists()


def test_a_wrong_current_password_is_refused_with_the_error_shown(world, web):
    token, _ = AuthToken.objects.create(user=world.staff)
    response = web(world.staff).post(
        "/account/password/",
        {
            "old_password": "not-my-password",
            "new_password1": "a-Longer-pass-phrase-42",
            "new_password2": "a-Longer-pass-phrase-42",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your old password was entered incorrectly" in page
    assert 'id="id_old_password_error"' in page
    world.staff.refresh_from_db()
    assert world.staff.check_password("demo12345")
    assert AuthToken.objects.filter(pk=token.pk).exists()


def test_the_new_password_rules_are_plain_help_text(world, web):
    page = web(world.staff).get("/account/password/").content.decode()
    assert "at least 9 characters" in page
    assert "<ul" not in page.split('id="field-new_password1"')[1].split("</div>")[0]


def test_the_login_page_links_to_password_reset(db, web):
    page = web().get("/login/").content.decode()
    assert 'href="/account/password-reset/"' in page and "Forgot your password?" in page


def test_password_reset_sends_one_email_with_the_link_and_no_patient_data(world, web):
    client = ClientFactory(practice=world.practice, last_name="Zeppelinova")
    AuthToken.objects.create(user=world.staff)
    browser = web()
    response = browser.post("/account/password-reset/", {"email": world.staff.email})
    assert response.status_code == 302
    assert response["Location"] == "/account/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.staff.email]
    assert message.subject == "Reset your SCA Portal password"
    link = re.search(r"http://testserver(/account/password-reset/\S+/\S+/)", message.body)
    assert link, message.body
    for private in (client.last_name, client.first_name, client.member_id, "demo_staff"):
        assert private not in message.body and private not in message.subject
    # The link works once: it leads to the new password's form.
    form = browser.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-Longer-pass-phrase-42", "new_password2": "a-Longer-pass-phrase-42"},
    )
    assert done["Location"] == "/account/password-reset/done/"
    world.staff.refresh_from_db()
    assert world.staff.check_password("a-Longer-pass-phrase-42")
    assert not AuthToken.objects.filter(user=world.staff).exists()
    assert "no longer works" in browser.get(link.group(1), follow=True).content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(db, web):
    response = web().post("/account/password-reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/account/password-reset/sent/"
    assert mail.outbox == []
