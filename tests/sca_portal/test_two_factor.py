"""The second factor (sca_portal.mfa, sca_portal.two_factor): enrolment, the sign-in step, the
session hold, recovery codes, removal and the lockout."""

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sca_portal import mfa

pytestmark = pytest.mark.django_db

VERIFY = "/account/two-factor/"
SETUP = "/account/two-factor/setup/"
RECOVERY = "/account/two-factor/recovery-codes/"
REMOVE = "/account/two-factor/remove/"


def app_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the user's authenticator app shows (at ``at``, default now)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {app_code(device, at=time.time() + 30 * k) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """A user who set up an app and holds ten recovery codes."""
    device = TOTPDevice.objects.create(user=user, name=mfa.APP_DEVICE_NAME, confirmed=True)
    return device, mfa.recovery_codes_regenerate(user=user)


def recovery_codes_of(user) -> list[str]:
    return list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def no_throttle(settings):
    """django-otp's per-device wait (1, 2, 4 ... seconds after a failure) off, so a test can
    send codes back to back; the test of that wait leaves it on."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# ----------------------------------------------------------------------------- enrolment


def test_setup_confirms_the_device_with_the_right_code_and_shows_recovery_codes_once(world, web):
    browser = web(world.staff)
    page = browser.get(SETUP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=world.staff)
    assert not device.confirmed
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html and "QR code" in html
    assert mfa.totp_secret(device) in html

    done = browser.post(SETUP, {"code": app_code(device), "next": "/cases/"})
    assert done.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = recovery_codes_of(world.staff)
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    assert all(code in done.content.decode() for code in codes)
    assert 'href="/cases/"' in done.content.decode()
    assert browser.get("/").status_code == 200  # the session is verified
    # The codes are never shown again: the setup page now sends to the security page.
    again = browser.get(SETUP)
    assert again.status_code == 302 and codes[0] not in again.content.decode()


def test_setup_refuses_a_wrong_code_next_to_the_field_and_keeps_the_secret(world, web):
    browser = web(world.staff)
    browser.get(SETUP)
    device = TOTPDevice.objects.get(user=world.staff)
    refused = browser.post(SETUP, {"code": wrong_code(device)})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="id_code_error"' in html and "That code is not right" in html
    assert mfa.totp_secret(device) in html  # the same secret, the same QR code
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=world.staff).exists()
    assert TOTPDevice.objects.filter(user=world.staff).count() == 1  # reused, not a second one


def test_setup_of_an_unverified_session_with_a_device_goes_to_verify(world, web, settings):
    """Enrolling a new app must not be a way around the code of the existing one."""
    enrol(world.staff)
    response = web(world.staff).get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=world.staff).count() == 1


# ----------------------------------------------------------------------------- the sign-in step


def test_a_user_with_a_device_must_verify_after_login(world, client):
    enrol(world.staff)
    response = client.post("/login/", {"username": "demo_staff", "password": "demo12345"})
    assert response.status_code == 302
    held = client.get("/cases/")
    assert held.status_code == 302 and held["Location"] == f"{VERIFY}?next=%2Fcases%2F"
    assert client.get("/").status_code == 302


def test_verify_passes_with_an_app_code_and_continues_to_next(world, web):
    device, _ = enrol(world.staff)
    browser = web(world.staff)
    assert browser.get(VERIFY).status_code == 200
    before = browser.cookies["sessionid"].value
    response = browser.post(VERIFY, {"code": app_code(device), "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert browser.cookies["sessionid"].value != before  # a new key for the verified session
    assert browser.get("/cases/").status_code == 200


def test_verify_ignores_a_next_on_another_site(world, web):
    device, _ = enrol(world.staff)
    response = web(world.staff).post(
        VERIFY, {"code": app_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")


def test_verify_passes_with_a_recovery_code_once(world, web, settings):
    no_throttle(settings)
    _, codes = enrol(world.staff)
    first = web(world.staff)
    assert first.post(VERIFY, {"code": codes[3].upper()})["Location"] == "/"
    assert not StaticToken.objects.filter(token=codes[3]).exists()  # used up
    assert first.get("/").status_code == 200
    second = web(world.staff)
    refused = second.post(VERIFY, {"code": codes[3]})
    assert refused.status_code == 400 and "That code is not right" in refused.content.decode()
    assert second.get("/").status_code == 302


def test_a_required_role_without_a_device_is_sent_to_setup(world, web, settings):
    settings.MFA_REQUIRED_ROLES = ["staff"]
    browser = web(world.staff)
    response = browser.get("/cases/")
    assert response.status_code == 302 and response["Location"] == f"{SETUP}?next=%2Fcases%2F"
    assert browser.get(VERIFY)["Location"].startswith(SETUP)
    assert web(world.billing).get("/").status_code == 200  # billing is not required here


def test_a_user_neither_required_nor_enrolled_is_not_held(world, web, settings):
    settings.MFA_REQUIRED_ROLES = ["admin"]
    browser = web(world.staff)
    assert browser.get("/").status_code == 200
    assert browser.get("/cases/").status_code == 200


def test_an_unverified_session_api_call_is_refused_with_mfa_required(world, web):
    enrol(world.staff)
    response = web(world.staff).get("/api/v1/cases/")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_an_api_call_with_a_token_is_left_to_the_token(world, web):
    from knox.models import AuthToken

    enrol(world.staff)
    _, key = AuthToken.objects.create(user=world.staff)
    response = web(world.staff).get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_logout_static_and_health_are_not_held(world, web):
    enrol(world.staff)
    browser = web(world.staff)
    assert browser.get("/static/css/app.css").status_code in (200, 404)  # never a redirect
    assert browser.get("/healthz").status_code == 200
    assert browser.post("/logout/")["Location"] == reverse("login")
    assert browser.get("/")["Location"].startswith(reverse("login"))  # signed out


def test_an_htmx_request_of_an_unverified_session_reloads_the_whole_page(world, web):
    enrol(world.staff)
    response = web(world.staff).get("/cases/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(VERIFY)


def test_the_admin_requires_a_verified_session_of_an_operator(world, web, settings):
    settings.MFA_REQUIRED_ROLES = ["operator"]
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save()
    browser = web(world.admin)
    assert browser.get("/admin/")["Location"].startswith(SETUP)
    device, _ = enrol(world.admin)
    assert browser.get("/admin/")["Location"].startswith(VERIFY)
    browser.post(VERIFY, {"code": app_code(device)})
    assert browser.get("/admin/").status_code == 200


# ----------------------------------------------------------------------------- lockout


def test_lockout_after_five_wrong_codes_in_fifteen_minutes(world, web, settings):
    no_throttle(settings)
    device, codes = enrol(world.staff)
    browser = web(world.staff)
    for _ in range(mfa.FAILURE_LIMIT - 1):
        assert browser.post(VERIFY, {"code": wrong_code(device)}).status_code == 400
    last = browser.post(VERIFY, {"code": wrong_code(device)})
    assert "Too many wrong codes" in last.content.decode()
    # Now not even a right code, nor a recovery code, is tried, for 15 minutes.
    refused = browser.post(VERIFY, {"code": app_code(device)})
    assert refused.status_code == 429 and "Too many wrong codes" in refused.content.decode()
    assert browser.post(VERIFY, {"code": codes[0]}).status_code == 429
    assert StaticToken.objects.filter(token=codes[0]).exists()
    assert browser.get(VERIFY).status_code == 429
    assert browser.get("/").status_code == 302
    assert web(world.billing).get("/").status_code == 200  # another user is not locked


def test_lockout_cools_off_after_fifteen_minutes(world, web, settings, monkeypatch):
    no_throttle(settings)
    device, _ = enrol(world.staff)
    browser = web(world.staff)
    for _ in range(mfa.FAILURE_LIMIT):
        browser.post(VERIFY, {"code": wrong_code(device)})
    later = time.time() + mfa.COOLOFF_SECONDS + 60
    code = app_code(device, at=later)
    monkeypatch.setattr(time, "time", lambda: later)  # the cache's clock and the app's
    assert browser.post(VERIFY, {"code": code})["Location"] == "/"


def test_a_right_code_counts_the_failures_afresh(world, web, settings):
    no_throttle(settings)
    device, codes = enrol(world.staff)
    browser = web(world.staff)
    for _ in range(mfa.FAILURE_LIMIT - 1):
        browser.post(VERIFY, {"code": wrong_code(device)})
    assert browser.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert not mfa.locked_out(world.staff)
    again = web(world.staff)
    for _ in range(mfa.FAILURE_LIMIT - 1):
        again.post(VERIFY, {"code": wrong_code(device)})
    assert not mfa.locked_out(world.staff)


def test_a_code_right_after_a_wrong_one_waits_for_the_device_throttle(world, web):
    """django-otp's own throttle: after a wrong code the app's device takes no code for a
    second (then 2, 4, 8 ...); such an early code is not tried and not counted."""
    device, _ = enrol(world.staff)
    browser = web(world.staff)
    browser.post(VERIFY, {"code": wrong_code(device)})
    early = browser.post(VERIFY, {"code": app_code(device)})
    assert early.status_code == 429 and "wait a few seconds" in early.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    assert browser.post(VERIFY, {"code": app_code(device)})["Location"] == "/"


# ----------------------------------------------------------------------------- recovery, removal


def test_new_recovery_codes_replace_all_the_old_ones(world, web):
    device, old = enrol(world.staff)
    browser = web(world.staff)
    browser.post(VERIFY, {"code": app_code(device)})
    assert "10 unused recovery codes" in browser.get(RECOVERY).content.decode()
    response = browser.post(RECOVERY)
    new = recovery_codes_of(world.staff)
    assert len(new) == 10 and not set(new) & set(old)
    assert all(code in response.content.decode() for code in new)


def test_removal_needs_a_code_and_a_role_that_allows_it(world, web, settings):
    no_throttle(settings)
    device, codes = enrol(world.staff)
    browser = web(world.staff)
    browser.post(VERIFY, {"code": codes[0]})
    refused = browser.post(REMOVE, {"code": wrong_code(device)})
    assert refused.status_code == 400 and "That code is not right" in refused.content.decode()
    settings.MFA_REQUIRED_ROLES = ["staff"]
    assert browser.post(REMOVE, {"code": app_code(device)}).status_code == 403
    settings.MFA_REQUIRED_ROLES = []
    assert browser.post(REMOVE, {"code": app_code(device)})["Location"] == "/account/security/"
    assert not TOTPDevice.objects.filter(user=world.staff).exists()
    assert not StaticDevice.objects.filter(user=world.staff).exists()
    assert web(world.staff).get("/").status_code == 200  # one step again


def test_the_security_page_shows_the_second_factor(world, web, settings):
    browser = web(world.staff)
    assert "Set up two-factor sign-in" in browser.get("/account/security/").content.decode()
    device, codes = enrol(world.staff)
    browser.post(VERIFY, {"code": codes[0]})
    html = browser.get("/account/security/").content.decode()
    assert "9 unused" in html and REMOVE in html and RECOVERY in html
    settings.MFA_REQUIRED_ROLES = ["staff"]
    html = browser.get("/account/security/").content.decode()
    assert REMOVE not in html and "cannot be turned off" in html
