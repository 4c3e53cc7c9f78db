"""Safe defaults and hardening (issue 17): throttles and sign-in limits that a forged
X-Forwarded-For does not get round, DEBUG off unless asked for, X-Forwarded-Proto believed only
behind a proxy, no-store on every API answer, uploads refused while they stream in, a busy
database answered 503, and the fee schedule's floors kept from staff in the API as on the page."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from cases.models import CaseAttachment
from sca_portal.login import THROTTLED_MESSAGE
from tests.factories import PracticeRateFactory, blank_pdf

ROOT = Path(__file__).resolve().parents[2]


def rate_limit(rate: str) -> int:
    return int(rate.split("/")[0])


# ----------------------------------------------------------------------------- token throttle


@pytest.mark.parametrize(
    ("proxy_count", "forwarded_for"),
    [
        # Reached directly: the socket's address counts, whatever the header says.
        (0, lambda i: f"203.0.113.{i}"),
        # Behind one proxy: the hop it appended counts; what the client wrote before it does not.
        (1, lambda i: f"203.0.113.{i}, 198.51.100.7"),
    ],
)
def test_token_throttle_holds_against_a_rotating_x_forwarded_for(
    world, client, settings, proxy_count, forwarded_for
):
    settings.PROXY_COUNT = proxy_count
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxy_count}
    limit = rate_limit(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"])
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            # a new username each time: axes' lockout (per username and address) stays out of it
            {"username": f"guess{i}", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.7",
            HTTP_X_FORWARDED_FOR=forwarded_for(i),
        ).status_code
        for i in range(40)
    ]
    assert 429 not in statuses[:limit], statuses
    assert statuses[limit:] == [429] * (40 - limit), statuses


# ----------------------------------------------------------------------------- sign-in limits


def sign_in(client, username, password="wrong-password", **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_login_is_limited_per_address_whatever_the_username(world, client, settings):
    limit = rate_limit(settings.LOGIN_RATE_PER_IP)
    assert limit == 20
    statuses = [
        sign_in(client, f"guess{i}", REMOTE_ADDR="10.0.0.8").status_code for i in range(limit + 2)
    ]
    assert 429 not in statuses[:limit] and statuses[limit:] == [429, 429], statuses
    # another address is not held back
    assert sign_in(client, "demo_staff", "demo12345", REMOTE_ADDR="10.0.0.9").status_code == 302


def test_login_is_limited_per_username_whatever_the_address(world, client, settings):
    # Behind a proxy, so that each attempt comes from its own address, for axes too.
    settings.PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 100  # the username limit, not axes' lockout, is under test
    limit = rate_limit(settings.LOGIN_RATE_PER_USER)
    assert limit == 10
    statuses = [
        sign_in(client, "demo_staff", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(limit + 1)
    ]
    assert 429 not in statuses[:limit] and statuses[limit] == 429, statuses
    # the right password does not get through either, from a fresh address
    response = sign_in(client, "Demo_Staff ", "demo12345", HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # another user is not held back
    response = sign_in(client, "demo_billing", "demo12345", HTTP_X_FORWARDED_FOR="203.0.113.201")
    assert response.status_code == 302


def test_login_limit_answers_429_with_a_readable_page_that_does_not_tell_who_exists(
    world, client, settings
):
    settings.LOGIN_RATE_PER_USER = "1/min"
    bodies = {}
    for username in ("demo_staff", "nobody-at-all"):
        sign_in(client, username)
        response = sign_in(client, username)
        assert response.status_code == 429
        assert response["Content-Type"].startswith("text/html")
        assert response["Retry-After"] == "60"
        # the same page either way (the CSRF token aside, which is masked anew each time)
        bodies[username] = re.sub(r'CSRFToken": "\w+"', "", response.content.decode())
        assert THROTTLED_MESSAGE == "Too many sign-in attempts. Wait a minute and try again."
        assert THROTTLED_MESSAGE in bodies[username]
    assert bodies["demo_staff"] == bodies["nobody-at-all"]


def test_axes_lockout_still_works_on_the_login_page(world, client):
    statuses = [sign_in(client, "demo_staff", REMOTE_ADDR="10.0.0.10").status_code for _ in "12345"]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    response = sign_in(client, "demo_staff", "demo12345", REMOTE_ADDR="10.0.0.10")
    assert response.status_code in (403, 429)
    assert THROTTLED_MESSAGE not in response.content.decode()  # axes' refusal, not the limit
    assert "_auth_user_id" not in client.session


# ----------------------------------------------------------------------------- settings


def settings_for(**env) -> dict:
    """Some settings as a fresh process reads them from ``env`` (the test run's own
    deploy variables removed)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
        and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PROXY_COUNT"}
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'DEBUG': s.DEBUG, 'SECURE_PROXY_SSL_HEADER': s.SECURE_PROXY_SSL_HEADER,"
        " 'OPTIONS': s.DATABASES['default'].get('OPTIONS', {})}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "sca_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0:
        return {"error": out.stderr[-2000:]}
    return json.loads(out.stdout)


SAFE = {"SECRET_KEY": "s" * 20 + "-hardening-test-0123456789abcdef", "ALLOWED_HOSTS": "example.org"}


def test_debug_is_off_unless_set_even_on_the_embedded_sqlite_default():
    assert settings_for(**SAFE)["DEBUG"] is False
    assert settings_for(**SAFE, DEBUG="true")["DEBUG"] is True
    # off, so production mode's refusals hold on SQLite too
    assert "SECRET_KEY" in settings_for(ALLOWED_HOSTS="example.org")["error"]
    assert settings_for(DEBUG="true")["DEBUG"] is True  # development needs nothing else


def test_make_run_and_migrate_turn_debug_on_for_every_command():
    """`make run` works in one command on the embedded default: each step sets DEBUG."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    commands = [line for line in lines if "manage.py" in line and "collectstatic" not in line]
    commands += [line for line in lines if "celery -A" in line]
    assert commands
    for line in commands:
        assert 'DEBUG="$${DEBUG:-true}"' in line, line


def test_forwarded_proto_is_believed_only_behind_a_proxy():
    assert settings_for(**SAFE)["SECURE_PROXY_SSL_HEADER"] is None
    assert settings_for(**SAFE, PROXY_COUNT="1")["SECURE_PROXY_SSL_HEADER"] == [
        "HTTP_X_FORWARDED_PROTO",
        "https",
    ]


def test_sqlite_waits_for_the_write_lock_and_logs_ahead():
    options = settings_for(**SAFE)["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] == 20
    assert "journal_mode=WAL" in options["init_command"]
    postgres = settings_for(**SAFE, DATABASE_URL="postgres://u@127.0.0.1:5432/db")["OPTIONS"]
    assert "transaction_mode" not in postgres


# ----------------------------------------------------------------------------- no-store


def test_every_api_answer_says_no_store_errors_included(world, api, client, ready_case):
    answers = {
        "list": api(world.staff).get("/api/v1/cases/"),
        "unauthenticated": client.get("/api/v1/cases/"),
        "not found": api(world.staff).get("/api/v1/nowhere/"),
        "invalid": api(world.staff).post("/api/v1/cases/", {}, format="json"),
        "forbidden": api(world.staff).get("/api/v1/practice-rates/"),
    }
    for name, response in answers.items():
        assert "no-store" in response.get("Cache-Control", ""), name
    # a download keeps what it said
    upload = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/attachments/",
        {"kind": "assessment", "file": SimpleUploadedFile("a.pdf", blank_pdf())},
        format="multipart",
    )
    download = api(world.staff).get(upload.json()["download"])
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    # outside /api/ the answers keep their own rule
    assert "no-store" not in client.get("/favicon.ico").get("Cache-Control", "")


# ----------------------------------------------------------------------------- uploads


def test_an_api_upload_over_the_limit_is_refused_naming_the_limit(world, api, ready_case, settings):
    settings.UPLOAD_MAX_BYTES = 4096
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/attachments/",
        {"kind": "assessment", "file": SimpleUploadedFile("a.pdf", blank_pdf() + b"0" * 8192)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 4 KB."]}
    assert not CaseAttachment.objects.exists()


def test_an_upload_request_longer_than_any_allowed_is_refused_before_it_is_read(
    world, api, ready_case, settings
):
    settings.UPLOAD_MAX_BYTES = 4096
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/attachments/",
        {"kind": "assessment", "file": SimpleUploadedFile("a.pdf", b"0" * 200_000)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 4 KB."]}


def test_a_page_upload_over_the_limit_is_refused_beside_its_field_keeping_the_input(
    world, web, ready_case, settings
):
    settings.UPLOAD_MAX_BYTES = 4096
    url = reverse("cases:attachments", args=[ready_case.pk])
    response = web(world.staff).post(
        url,
        {
            "att-kind": "treatment_plan",
            "att-title": "Plan",
            "att-file": SimpleUploadedFile("plan.pdf", blank_pdf() + b"0" * 8192),
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["file"] == ["The file is larger than 4 KB."]
    assert form["title"].value() == "Plan"  # the typed input comes back
    assert not CaseAttachment.objects.exists()


def test_an_upload_within_the_limit_still_goes_through(world, api, ready_case):
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/attachments/",
        {"kind": "assessment", "file": SimpleUploadedFile("a.pdf", blank_pdf(2))},
        format="multipart",
    )
    assert response.status_code == 201, response.content


def test_a_json_body_over_data_upload_max_memory_size_is_refused_unread(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api(world.staff).post("/api/v1/cases/", {"notes": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


# ----------------------------------------------------------------------------- a busy database


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


def test_a_locked_database_is_a_503_with_retry_after_in_the_api(world, api, monkeypatch):
    from cases.api.case import CaseViewSet

    monkeypatch.setattr(CaseViewSet, "list", locked)
    response = api(world.staff).get("/api/v1/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_busy"


def test_a_locked_database_is_a_plain_503_page(world, web, monkeypatch):
    from sca_portal.dashboard import DashboardView

    monkeypatch.setattr(DashboardView, "get", locked)
    response = web(world.staff).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Try again" in response.content.decode()


# ----------------------------------------------------------------------------- fee schedule


def test_staff_cannot_read_the_fee_schedule_floors_through_the_api(world, api, web):
    rate = PracticeRateFactory(practice=world.practice)
    assert api(world.staff).get("/api/v1/practice-rates/").status_code == 403
    assert api(world.staff).get(f"/api/v1/practice-rates/{rate.pk}/").status_code == 403
    # the page says the same
    assert web(world.staff).get(reverse("negotiations:fee_schedule")).status_code == 403
    billing = api(world.billing).get("/api/v1/practice-rates/")
    assert billing.status_code == 200 and "floor_rate" in billing.json()["results"][0]


def test_signing_in_often_never_locks_a_user_out(world, client, settings):
    """Only failures count per username: a user who signs in twelve times a minute is fine."""
    limit = rate_limit(settings.LOGIN_RATE_PER_USER)
    statuses = [sign_in(client, "demo_staff", "demo12345").status_code for _ in range(limit + 2)]
    assert statuses == [302] * (limit + 2)


def test_axes_counts_each_client_behind_the_proxy_not_the_proxy(world, client, settings):
    """Behind one proxy, five wrong passwords from one client do not lock the user out for
    another client (axes reads the address through PROXY_COUNT, as the app does)."""
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "demo_staff", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    response = sign_in(
        client, "demo_staff", "demo12345", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
    )
    assert response.status_code == 302
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_token_endpoint_holds_the_per_username_limit_across_addresses(world, api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "1000/min"},  # the per-address throttle aside
    }
    settings.PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 100
    limit = rate_limit(settings.LOGIN_RATE_PER_USER)
    client = api()
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "demo_staff", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(limit + 1)
    ]
    assert statuses == [400] * limit + [429]
    right = client.post(
        "/api/v1/auth/token/",
        {"username": "demo_staff", "password": "demo12345"},
        HTTP_X_FORWARDED_FOR="203.0.113.250",
    )
    assert right.status_code == 429


def test_a_locked_database_in_a_middleware_is_a_503_not_a_500(world, settings, monkeypatch):
    """The session's query runs in a middleware, before any view: the 500 handler maps it."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    browser = Client(raise_request_exception=False)
    browser.force_login(world.staff)

    def locked(self, *args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(SessionStore, "load", locked)
    page = browser.get("/")
    api = browser.get("/api/v1/cases/")
    assert (page.status_code, api.status_code) == (503, 503)
    assert page["Retry-After"] and api.json()["code"] == "database_busy"


def test_the_browsable_api_is_off_in_production(world, web):
    """Its forms list related records (every client's name in a case's form), unlogged."""
    answer = web(world.staff).get("/api/v1/cases/", HTTP_ACCEPT="text/html")
    assert answer.status_code == 406 or answer["Content-Type"].startswith("application/json")


def test_manage_py_on_an_unconfigured_machine_is_development_and_a_deploy_is_not():
    """`python manage.py <command>` with nothing configured runs as `make run` does; one
    deploy setting (here ALLOWED_HOSTS) and production mode's refusals hold."""
    if (ROOT / ".env").exists():
        pytest.skip("a .env file configures this checkout")
    bare = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}

    def manage(*args, **env):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env={**bare, **env}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    assert manage("makemigrations", "--check", "--dry-run").returncode == 0
    deploy = manage("check", ALLOWED_HOSTS="example.org")
    assert deploy.returncode != 0 and "SECRET_KEY must be set" in deploy.stderr
    # A developer's local PostgreSQL is no deploy; and makemigrations, which only writes the
    # project's files, runs in development mode whatever the environment holds.
    local = "sqlite:///" + str(ROOT / "var" / "manage-test.sqlite3")
    assert manage("check", DATABASE_URL=local).returncode == 0
    writes = manage("makemigrations", "--check", "--dry-run", ALLOWED_HOSTS="example.org")
    assert writes.returncode == 0, writes.stderr
