"""Reference data: the insurer directory and the billing-code catalog are read by everyone
signed in and written by the site's operators only; rate policies are each practice's own."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from cases.models import PolicyRate, RatePolicy
from tests.factories import BillingCodeFactory, InsurerFactory, RatePolicyFactory, UserFactory

DIRECTORY_ROUTES = {
    "/api/v1/insurers/": "insurer",
    "/api/v1/billing-codes/": "billingcode",
    "/api/v1/modifiers/": "modifier",
}
REFERENCE_ROUTES = [*DIRECTORY_ROUTES, "/api/v1/rate-policies/"]


def _payload(route, insurer, code):
    return {
        "/api/v1/insurers/": {"name": "New Insurer"},
        "/api/v1/rate-policies/": {
            "insurer": insurer.pk,
            "effective_from": "2030-01-01",
            "kind": "negotiable",
        },
        "/api/v1/billing-codes/": {
            "code": "92507",
            "system": "CPT",
            "short_description": "Speech treatment",
            "category": "treatment",
        },
        "/api/v1/modifiers/": {"code": "GN", "description": "Speech-language pathology plan"},
    }[route]


def operator(*codenames, username="site_operator"):
    """A user who runs the site: Django staff with the named model permissions."""
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize("route", list(DIRECTORY_ROUTES))
def test_directory_and_catalog_writes_are_for_operators_only(world, api, route):
    insurer = InsurerFactory()
    code = BillingCodeFactory()
    # Members of practices, administrators included, never write shared data.
    for user in (world.staff, world.billing, world.admin, world.other_staff):
        response = api(user).post(route, _payload(route, insurer, code), format="json")
        assert response.status_code == 403, (user.username, response.content)
    model = DIRECTORY_ROUTES[route]
    # Staff status alone is not enough: the model permission is needed too.
    no_perm = operator(username="no_perm_operator")
    assert (
        api(no_perm).post(route, _payload(route, insurer, code), format="json").status_code == 403
    )
    allowed = operator(f"add_{model}", f"change_{model}")
    response = api(allowed).post(route, _payload(route, insurer, code), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("route", REFERENCE_ROUTES)
def test_role_matrix_reference_data_read_by_everyone_signed_in(world, api, route):
    InsurerFactory()
    for user in (world.staff, world.billing, world.admin, world.other_staff):
        assert api(user).get(route).status_code == 200
    assert api(None).get(route).status_code == 401


def test_practice_admin_gets_403_patching_or_archiving_an_insurer(world, api):
    insurer = InsurerFactory(name="Acme Health", sca_fax="800-555-0102")
    url = f"/api/v1/insurers/{insurer.pk}/"
    for user in (world.staff, world.billing, world.admin):
        body = {"sca_fax": "900-555-0199", "sca_email": "evil@example.com"}
        assert api(user).patch(url, body, format="json").status_code == 403
        assert api(user).delete(url).status_code == 403
    insurer.refresh_from_db()
    assert insurer.is_active is True and insurer.sca_fax == "800-555-0102"


def test_operator_may_update_and_archive_an_insurer(world, api):
    insurer = InsurerFactory(name="Acme Health")
    url = f"/api/v1/insurers/{insurer.pk}/"
    ops = operator("change_insurer")
    response = api(ops).patch(
        url, {"notes": "call first", "behavioral_health_org": "Acme Behavioral"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert api(ops).delete(url).status_code == 204
    insurer.refresh_from_db()
    assert insurer.is_active is False and insurer.notes == "call first"
    assert insurer.behavioral_health_org == "Acme Behavioral"
    assert insurer.history.first().history_user == ops


def test_practice_admin_gets_403_on_billing_code_writes(world, api):
    code = BillingCodeFactory(code="97153")
    url = f"/api/v1/billing-codes/{code.pk}/"
    assert api(world.admin).patch(url, {"is_aba": False}, format="json").status_code == 403
    assert api(world.admin).delete(url).status_code == 403
    code.refresh_from_db()
    assert code.is_aba is True and code.is_active is True


def test_rate_policy_with_rates_round_trips(world, api):
    insurer = InsurerFactory()
    code = BillingCodeFactory(code="97153")
    body = {
        "insurer": insurer.pk,
        "effective_from": "2026-01-01",
        "effective_to": "2026-12-31",
        "kind": "percent_of_reference",
        "percent": "90.00",
        "reference_schedule": "tricare",
        "min_network_attempts": 2,
        "requires_consent": True,
        "rates": [
            {
                "billing_code": code.pk,
                "modifier": "",
                "highest_network_rate": "15.00",
                "reference_rate": "14.40",
            }
        ],
    }
    response = api(world.admin).post("/api/v1/rate-policies/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["rates"][0]["code"] == "97153"
    assert data["rates"][0]["reference_rate"] == "14.40"
    # replacing the rates
    url = f"/api/v1/rate-policies/{data['id']}/"
    response = api(world.admin).patch(
        url,
        {"rates": [{"billing_code": code.pk, "modifier": "", "highest_network_rate": "16.00"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert PolicyRate.objects.get(policy_id=data["id"]).highest_network_rate == 16


def test_overlapping_policies_are_refused(world, api):
    insurer = InsurerFactory()
    RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        effective_from=dt.date(2026, 1, 1),
        effective_to=dt.date(2026, 12, 31),
    )
    body = {"insurer": insurer.pk, "effective_from": "2026-06-01", "kind": "negotiable"}
    response = api(world.admin).post("/api/v1/rate-policies/", body, format="json")
    assert response.status_code == 400
    assert "overlaps" in response.json()["effective_from"][0]
    # another line of business of the same insurer is its own policy
    medicaid = {**body, "line_of_business": "medicaid"}
    assert (
        api(world.admin).post("/api/v1/rate-policies/", medicaid, format="json").status_code == 201
    )
    assert RatePolicy.objects.filter(insurer=insurer).count() == 2
    # an open-ended earlier policy overlaps everything after it
    other = InsurerFactory()
    RatePolicyFactory(
        practice=world.practice,
        insurer=other,
        effective_from=dt.date(2025, 1, 1),
        effective_to=None,
    )
    body = {"insurer": other.pk, "effective_from": "2030-01-01", "kind": "negotiable"}
    assert api(world.admin).post("/api/v1/rate-policies/", body, format="json").status_code == 400
    # the day after the first one ends is fine
    body = {"insurer": insurer.pk, "effective_from": "2027-01-01", "kind": "negotiable"}
    assert api(world.admin).post("/api/v1/rate-policies/", body, format="json").status_code == 201


def test_policy_update_into_overlap_is_refused_and_changes_nothing(world, api):
    insurer = InsurerFactory()
    RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        effective_from=dt.date(2026, 1, 1),
        effective_to=dt.date(2026, 6, 30),
    )
    later = RatePolicyFactory(
        practice=world.practice,
        insurer=insurer,
        effective_from=dt.date(2026, 7, 1),
        effective_to=None,
    )
    response = api(world.admin).patch(
        f"/api/v1/rate-policies/{later.pk}/", {"effective_from": "2026-06-15"}, format="json"
    )
    assert response.status_code == 400
    later.refresh_from_db()
    assert later.effective_from == dt.date(2026, 7, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "percent_of_reference"}, "non_field_errors"),
        ({"kind": "negotiable", "effective_to": "2025-01-01"}, "non_field_errors"),
        ({"kind": "bogus"}, "kind"),
        ({"kind": "negotiable", "min_network_attempts": -1}, "min_network_attempts"),
    ],
)
def test_rate_policy_validation_names_the_rule(world, api, body, field):
    insurer = InsurerFactory()
    response = api(world.admin).post(
        "/api/v1/rate-policies/",
        {"insurer": insurer.pk, "effective_from": "2026-01-01", **body},
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not RatePolicy.objects.filter(insurer=insurer).exists()


def test_a_bad_rate_line_saves_nothing(world, api):
    insurer = InsurerFactory()
    code = BillingCodeFactory()
    body = {
        "insurer": insurer.pk,
        "effective_from": "2026-01-01",
        "kind": "negotiable",
        "rates": [
            {"billing_code": code.pk, "modifier": "", "highest_network_rate": "15.00"},
            {"billing_code": code.pk, "modifier": "ZZ", "highest_network_rate": "15.00"},
        ],
    }
    response = api(world.admin).post("/api/v1/rate-policies/", body, format="json")
    assert response.status_code == 400
    assert "rates[1].modifier" in response.json()
    assert not RatePolicy.objects.filter(insurer=insurer).exists()


def test_policy_changes_keep_a_history_with_the_author(world, api):
    insurer = InsurerFactory()
    response = api(world.admin).post(
        "/api/v1/rate-policies/",
        {"insurer": insurer.pk, "effective_from": "2026-01-01", "kind": "negotiable"},
        format="json",
    )
    url = f"/api/v1/rate-policies/{response.json()['id']}/"
    api(world.admin).patch(url, {"min_network_attempts": 2}, format="json")
    policy = RatePolicy.objects.get(pk=response.json()["id"])
    history = list(policy.history.order_by("history_date"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert history[-1].history_user == world.admin
    assert history[-1].min_network_attempts == 2 and history[0].min_network_attempts == 3


def test_policy_history_is_visible_in_django_admin(world, client):
    policy = RatePolicyFactory(practice=world.practice)
    world.admin.is_staff = True
    world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    response = client.get(f"/admin/cases/ratepolicy/{policy.pk}/history/")
    assert response.status_code == 200
    assert b"Created" in response.content or b"Added" in response.content
