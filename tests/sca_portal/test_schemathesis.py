"""Property-based API testing with schemathesis against the app's own live OpenAPI schema,
as demo_admin, demo_staff and Harbor's other_admin (an administrator of another practice, who
must meet 404s and 403s, never 500s, on Bright Path's data and the shared directory): no server
errors, no response that breaks the schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sca_portal.wsgi import application
from tests.factories import MembershipFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 6


@pytest.fixture
def demo_tokens(world, ready_case, settings):
    # Bright Path with its demo users and one complete draft case; tokens for the two roles.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "10000/min"},
    }
    other_admin = MembershipFactory(
        practice=world.other_practice, role="admin", user=UserFactory(username="other_admin")
    ).user
    tokens = {
        user.username: Token.objects.create(user=user).key
        for user in (world.admin, world.staff, other_admin)
    }
    # Calls go straight to the WSGI handler; like Django's test client, keep it from closing
    # the test's database connection at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield tokens
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("user", ["demo_admin", "demo_staff", "other_admin"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_api_conforms_to_its_schema(case, user, demo_tokens):
    case.call_and_validate(headers={"Authorization": f"Token {demo_tokens[user]}"}, checks=CHECKS)
