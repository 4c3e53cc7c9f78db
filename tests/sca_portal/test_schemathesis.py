"""Property-based API testing with schemathesis against the app's own live OpenAPI schema: no
server errors, no response that breaks the schema. Every operation runs as demo_admin with all of
schemathesis's phases, and as demo_staff and Harbor's other_admin (an administrator of another
practice, who must meet 404s and 403s, never 500s, on Bright Path's data and the shared
directory) with the schema's examples and the fuzzing phase.

The coverage phase runs as demo_admin only. It is neither random nor bounded by ``max_examples``
(``EXAMPLES`` only sizes the fuzzing phase): for each operation it sends a fixed list of variants
derived from the schema alone, each field missing, of the wrong type, out of range, unexpected
methods and content types, up to 750 per operation and 16,000-odd for the API, the same list for
every user. Run for the three users it was over 95% of the file's 51,000 requests. The admin
passes every role check, so its variants reach each handler's validation as deep as any user's
can. Staff's and the other practice's copies ran that same validation where their role allows the
operation, and elsewhere met the 403 of a role or the 404 of another practice's row, which the
API decides before it reads the body or the query (permission classes, ``get_object``,
``CaseChildMixin.initial``): the list asked nothing new of them. Measured on PostgreSQL, same
load: 51,429 requests and 6.5 min before, 18,715 and 3.1 min after."""

import copy

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from sca_portal.wsgi import application
from tests.factories import MembershipFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The same document (generated once) without the coverage phase, for staff and other_admin.
schema_without_coverage = schemathesis.openapi.from_dict(
    copy.deepcopy(schema.raw_schema),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)
schema_without_coverage.app = application
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 6
HYPOTHESIS_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def demo_tokens(world, ready_case, settings):
    # Bright Path with its demo users and one complete draft case; a token for each user.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "10000/min"},
    }
    other_admin = MembershipFactory(
        practice=world.other_practice, role="admin", user=UserFactory(username="other_admin")
    ).user
    tokens = {}
    for user in (world.admin, world.staff, other_admin):
        _instance, key = AuthToken.objects.create(user=user)
        tokens[user.username] = key
    # Calls go straight to the WSGI handler; like Django's test client, keep it from closing
    # the test's database connection at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield tokens
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The one-value parameter keeps the operation in each item's node id ([GET /api/...][demo_admin]),
# which schemathesis's items lose under pytest 9 when nothing else parametrizes them.
@pytest.mark.parametrize("user", ["demo_admin"])
@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_api_conforms_to_its_schema(case, user, demo_tokens):
    case.call_and_validate(headers={"Authorization": f"Token {demo_tokens[user]}"}, checks=CHECKS)


@pytest.mark.parametrize("user", ["demo_staff", "other_admin"])
@schema_without_coverage.parametrize()
@HYPOTHESIS_SETTINGS
def test_api_conforms_to_its_schema_for_staff_and_another_practice(case, user, demo_tokens):
    case.call_and_validate(headers={"Authorization": f"Token {demo_tokens[user]}"}, checks=CHECKS)
