"""Shared fixtures: two practices (Bright Path and Harbor) with a user per role, API clients,
and a case that passes every readiness check."""

import os
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from sca_portal.celery import app as celery_app
from tests.factories import (
    BillingCodeFactory,
    CaseFactory,
    InsurerFactory,
    MembershipFactory,
    NetworkSearchFactory,
    PracticeFactory,
    RatePolicyFactory,
    RequestedServiceFactory,
    UserFactory,
)

REQUIRE_SERVICES = os.environ.get("SCA_REQUIRE_SERVICES") == "1"


def require_service(name: str, available: bool) -> None:
    """Skip a test whose service is missing, except in CI where that is a failure."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (SCA_REQUIRE_SERVICES=1) but is not available")
    pytest.skip(f"{name} is not available")


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, settings):
    # A fast hasher for the many test users; uploaded scans to a per-test private directory.
    from django.core.files.storage import storages
    from django.utils.functional import empty

    from cases.models.parts import private_storage

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Sign-in in one step, as in development; the second factor's tests turn it on for the
    # roles they exercise (production requires it of every role: tests/sca_portal/test_deploy).
    settings.MFA_REQUIRED_ROLES = []
    from django.core.cache import cache

    cache.clear()  # throttling counters
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    storages._storages.pop("private", None)
    private_storage._wrapped = empty
    # Tasks run in-process in tests, whatever the broker; the worker tests turn this off.
    celery_app.conf.task_always_eager = True
    yield
    storages._storages.pop("private", None)
    private_storage._wrapped = empty


@dataclass
class World:
    practice: object
    other_practice: object
    staff: object
    billing: object
    admin: object
    other_staff: object


@pytest.fixture
def world(db) -> World:
    practice = PracticeFactory(name="Bright Path ABA")
    other = PracticeFactory(name="Harbor Behavioral Health")
    staff = MembershipFactory(
        practice=practice, role="staff", user=UserFactory(username="demo_staff")
    ).user
    billing = MembershipFactory(
        practice=practice, role="billing", user=UserFactory(username="demo_billing")
    ).user
    admin = MembershipFactory(
        practice=practice, role="admin", user=UserFactory(username="demo_admin")
    ).user
    other_staff = MembershipFactory(
        practice=other, role="staff", user=UserFactory(username="other_staff")
    ).user
    return World(practice, other, staff, billing, admin, other_staff)


@pytest.fixture
def api():
    """api(user) -> an APIClient signed in as ``user`` (None: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def insurer(db):
    return InsurerFactory(name="Evergreen Health Plan")


@pytest.fixture
def policy(world, insurer):
    """Bright Path's own (commercial) policy for the insurer."""
    return RatePolicyFactory(practice=world.practice, insurer=insurer)


@pytest.fixture
def aba_code(db):
    return BillingCodeFactory(code="97153")


@pytest.fixture
def ready_case(world, policy, aba_code):
    """A draft case at Bright Path that passes every readiness check."""
    case = CaseFactory(practice=world.practice, insurer=policy.insurer, created_by=world.staff)
    RequestedServiceFactory(case=case, billing_code=aba_code)
    NetworkSearchFactory.create_batch(3, case=case)
    return case


@pytest.fixture
def web(client):
    """web(user) -> a Django test client signed in as ``user`` for the browser pages."""
    from django.test import Client

    def make(user=None) -> Client:
        browser = Client()
        if user is not None:
            browser.force_login(user)
        return browser

    return make
