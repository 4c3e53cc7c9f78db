"""Lockout, idle timeout, token throttling, security headers and `check --deploy`."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def token(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_lockout_after_five_failed_logins_per_user_and_address(world, client):
    for _ in range(5):
        assert token(client, "demo_staff", "wrong-password").status_code == 400
    # the right password no longer works from that address for 15 minutes
    assert token(client, "demo_staff", "demo12345").status_code != 200
    # another address, or another user from the same address, is not locked
    assert token(client, "demo_staff", "demo12345", ip="10.0.0.2").status_code == 200
    assert token(client, "demo_billing", "demo12345").status_code == 200


def test_lockout_cools_off_after_fifteen_minutes(world, client):
    from axes.models import AccessAttempt

    for _ in range(5):
        token(client, "demo_staff", "wrong-password")
    assert token(client, "demo_staff", "demo12345").status_code != 200
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert token(client, "demo_staff", "demo12345").status_code == 200


def test_admin_login_is_locked_out_too(world, client):
    world.admin.is_staff = True
    world.admin.save()
    for _ in range(5):
        client.post("/admin/login/", {"username": "demo_admin", "password": "nope"})
    response = client.post("/admin/login/", {"username": "demo_admin", "password": "demo12345"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_sessions_time_out_after_idle_minutes_and_slide_with_activity(world, client, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    settings.SESSION_REFRESH_SECONDS = 0  # every request slides the expiry
    client.force_login(world.staff)
    assert client.get("/api/v1/cases/").status_code == 200
    session = Session.objects.get()
    first_expiry = session.expire_date
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert client.get("/api/v1/cases/").status_code == 200  # activity slides the expiry
    assert Session.objects.get().expire_date >= first_expiry - dt.timedelta(seconds=5)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/cases/").status_code == 401  # idle too long: signed out


def test_an_active_session_is_written_at_most_once_a_minute(world, client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert settings.SESSION_REFRESH_SECONDS == 60
    client.force_login(world.staff)
    client.get("/cases/")  # the first request marks the refresh
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=29))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/cases/").status_code == 200
    assert not any("django_session" in q["sql"] and "UPDATE" in q["sql"] for q in ctx)
    # Within the minute the expiry stays where it was (test above: past it, it slides).
    assert Session.objects.get().expire_date < timezone.now() + dt.timedelta(minutes=29, seconds=5)


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [("redis://127.0.0.1:6379/1", "cached_db"), ("locmemcache://", "db"), (None, "db")],
)
def test_sessions_are_read_through_the_cache_only_when_it_is_shared(cache_url, engine):
    """A per-process cache would keep a signed-out session alive in the other processes."""
    env = production_env(**({"CACHE_URL": cache_url} if cache_url else {}))
    if cache_url is None:
        env.pop("CACHE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " print(settings.SESSION_ENGINE)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "sca_portal.settings"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.stdout.strip() == f"django.contrib.sessions.backends.{engine}", out.stderr[-2000:]


def test_with_redis_a_page_reads_no_session_row_and_signing_out_ends_the_session(world, settings):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.sca_portal.test_health import _redis_up

    require_service("Redis", _redis_up())
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    browser = Client()
    browser.force_login(world.staff)
    assert browser.get("/cases/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get("/cases/").status_code == 200
    assert not any("django_session" in q["sql"] for q in ctx), "the session came from Redis"
    cookie = browser.cookies["sessionid"].value
    browser.post("/logout/")
    stale = Client()
    stale.cookies["sessionid"] = cookie
    assert stale.get("/cases/").status_code == 302  # gone from Redis and the database
    assert not Session.objects.filter(session_key=cookie).exists()


def test_token_endpoint_is_throttled(world, client, settings):
    statuses = [
        token(client, "demo_staff", "demo12345", ip="10.9.9.9").status_code for _ in range(11)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_security_headers(world, client):
    response = client.get("/healthz")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_password_validators_refuse_weak_passwords(world):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password1", "12345678901", "demo_staff1"):
        try:
            validate_password(weak, user=world.staff)
        except ValidationError:
            continue
        raise AssertionError(f"{weak} was accepted")


def production_env(**extra):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
        and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return {
        **clean,
        "DEBUG": "false",
        "SECRET_KEY": "p" * 20 + "roduction-secret-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "sca.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://u@127.0.0.1:5432/db"),
        **extra,
    }


def test_check_deploy_passes_with_production_settings():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_check_deploy_fails_when_https_is_turned_off():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "SECURE_SSL_REDIRECT" in out.stderr + out.stdout
