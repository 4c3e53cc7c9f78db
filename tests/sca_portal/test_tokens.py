"""API tokens (django-rest-knox): issued once and kept as a digest, ending after
TOKEN_TTL_HOURS or at logout, and asking for the second factor like the browser does."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from sca_portal.tokens import ENROLMENT_REQUIRED, OTP_INVALID, OTP_MISSING

URL = "/api/v1/auth/token/"


def issue(username="demo_staff", password="demo12345", ip="10.0.0.1", **extra):
    return APIClient().post(
        URL, {"username": username, "password": password, **extra}, REMOTE_ADDR=ip
    )


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def device(world):
    return TOTPDevice.objects.create(user=world.staff, name="phone", confirmed=True)


def test_a_token_is_issued_for_a_username_and_password_with_its_expiry(world, settings):
    before = timezone.now()
    response = issue()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    expiry = dt.datetime.fromisoformat(body["expiry"])
    ttl = dt.timedelta(hours=settings.TOKEN_TTL_HOURS)
    assert before + ttl <= expiry <= timezone.now() + ttl
    assert with_token(body["token"]).get("/api/v1/cases/").status_code == 200


def test_the_token_is_stored_only_as_a_digest(world):
    key = issue().json()["token"]
    row = AuthToken.objects.get(user=world.staff)
    assert not AuthToken.objects.filter(digest=key).exists()
    assert row.digest != key and key not in row.digest
    assert key.startswith(row.token_key) and len(row.token_key) < len(key)
    # Nowhere in the table: no column of any row holds the key.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.parametrize(
    ("username", "password"),
    [("demo_staff", "wrong-password"), ("nobody", "demo12345")],
)
def test_bad_credentials_get_one_message_whoever_asks(world, username, password):
    response = issue(username, password)
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to sign in with the username and password given."]
    }
    assert not AuthToken.objects.exists()


def test_an_inactive_user_is_refused_like_bad_credentials(world):
    world.staff.is_active = False
    world.staff.save()
    response = issue()
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_an_expired_token_is_refused(world):
    key = issue().json()["token"]
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = with_token(key).get("/api/v1/cases/")
    assert response.status_code == 401


def test_a_token_lasts_token_ttl_hours(world, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(hours=2)}
    expiry = dt.datetime.fromisoformat(issue().json()["expiry"])
    assert abs(expiry - (timezone.now() + dt.timedelta(hours=2))) < dt.timedelta(minutes=1)


def test_logout_revokes_only_the_token_it_was_sent_with(world):
    first, second = issue().json()["token"], issue().json()["token"]
    assert with_token(first).post("/api/v1/auth/logout/").status_code == 204
    assert with_token(first).get("/api/v1/cases/").status_code == 401
    assert with_token(second).get("/api/v1/cases/").status_code == 200
    assert AuthToken.objects.filter(user=world.staff).count() == 1


def test_logout_all_revokes_every_token_of_the_user_only(world):
    first, second = issue().json()["token"], issue().json()["token"]
    other = issue("demo_billing").json()["token"]
    assert with_token(first).post("/api/v1/auth/logout-all/").status_code == 204
    assert with_token(first).get("/api/v1/cases/").status_code == 401
    assert with_token(second).get("/api/v1/cases/").status_code == 401
    assert with_token(other).get("/api/v1/cases/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/logout/", "/api/v1/auth/logout-all/"])
def test_logout_needs_a_token_not_a_session(world, api, path):
    AuthToken.objects.create(user=world.staff)
    browser = APIClient()
    browser.force_login(world.staff)
    assert browser.post(path).status_code == 401
    assert APIClient().post(path).status_code == 401
    assert AuthToken.objects.filter(user=world.staff).count() == 1


def test_a_user_with_a_device_must_give_the_code(world, device):
    response = issue()
    assert response.status_code == 400
    assert response.json() == {"otp": [OTP_MISSING]}
    assert not AuthToken.objects.exists()


def test_a_wrong_code_is_refused(world, device):
    wrong = f"{(int(current_code(device)) + 1) % 10**6:06d}"
    response = issue(otp=wrong)
    assert response.status_code == 400
    assert response.json() == {"otp": [OTP_INVALID]}
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the device's own back-off counts it
    assert not AuthToken.objects.exists()


def test_the_current_code_gets_a_token_once(world, device):
    code = current_code(device)
    assert issue(otp=code).status_code == 200
    assert issue(otp=code).status_code == 400  # a code is used once


def test_bad_credentials_are_refused_before_the_code_is_asked(world, device):
    response = issue(password="wrong-password")
    assert response.status_code == 400
    assert "otp" not in response.json()


def test_a_role_that_requires_mfa_gets_no_token_before_enrolment(world, settings):
    settings.MFA_REQUIRED_ROLES = ["staff"]
    response = issue()
    assert response.status_code == 403
    assert response.json() == {"code": "mfa_enrolment_required", "detail": ENROLMENT_REQUIRED}
    assert not AuthToken.objects.exists()
    assert issue("demo_billing").status_code == 200  # billing is not required here


def test_a_role_that_requires_mfa_gets_a_token_with_the_code(world, settings, device):
    settings.MFA_REQUIRED_ROLES = ["staff"]
    assert issue(otp=current_code(device)).status_code == 200


def test_the_token_endpoint_stays_throttled(world, device):
    statuses = [issue(ip="10.9.9.8").status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10  # no code: refused, and still counted
    assert statuses[10] == 429


def test_the_schema_documents_the_token_endpoints(world, api):
    schema = api(world.staff).get("/api/schema/", {"format": "json"}).json()
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    request = token["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request.endswith("/CredentialsRequest")
    assert {"username", "password", "otp"} <= set(
        schema["components"]["schemas"]["CredentialsRequest"]["properties"]
    )
    assert set(schema["components"]["schemas"]["Token"]["properties"]) == {"token", "expiry"}
    assert {"200", "400", "403"} <= set(token["responses"])
    for path in ("/api/v1/auth/logout/", "/api/v1/auth/logout-all/"):
        assert set(schema["paths"][path]["post"]["responses"]) == {"204"}


def test_a_user_with_no_role_gets_no_token_while_a_second_factor_is_required(world, api, settings):
    """A membership granted within the token's life would otherwise read patient data on a
    token no second factor stood behind."""
    from tests.factories import UserFactory

    settings.MFA_REQUIRED_ROLES = ["admin", "billing", "staff", "operator"]
    UserFactory(username="newcomer")
    answer = api().post("/api/v1/auth/token/", {"username": "newcomer", "password": "demo12345"})
    assert answer.status_code == 403
    assert answer.json()["code"] == "mfa_enrolment_required"
