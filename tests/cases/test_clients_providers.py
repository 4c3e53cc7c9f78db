"""Clients and providers: validation a billing office relies on, roles and tenant isolation."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Client, Provider
from cases.validators import make_npi
from tests.factories import ClientFactory, InsurerFactory, MembershipFactory, ProviderFactory


def client_body(insurer, **overrides):
    body = {
        "first_name": "Ava",
        "last_name": "Martinez",
        "date_of_birth": "2019-03-14",
        "insurer": insurer.pk,
        "member_id": "EVG100201",
        "diagnosis_codes": ["F84.0"],
        "state": "NY",
        "zip_code": "12207",
        "phone": "518-555-0150",
    }
    body.update(overrides)
    return body


def test_staff_creates_a_client_in_their_practice(world, api):
    insurer = InsurerFactory()
    response = api(world.staff).post("/api/v1/clients/", client_body(insurer), format="json")
    assert response.status_code == 201, response.content
    client = Client.objects.get(pk=response.json()["id"])
    assert client.practice == world.practice
    assert client.diagnosis_codes == ["F84.0"]
    assert client.history.first().history_user == world.staff


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"diagnosis_codes": ["F84"]}, "diagnosis_codes"),
        ({"diagnosis_codes": ["F84.1"]}, "diagnosis_codes"),  # WHO ICD-10 only, not ICD-10-CM
        ({"diagnosis_codes": ["84.0"]}, "diagnosis_codes"),
        ({"diagnosis_codes": ["F84.0", "F84.0"]}, "diagnosis_codes"),
        ({"state": "XX"}, "state"),
        ({"zip_code": "1220"}, "zip_code"),
        ({"zip_code": "12207-12"}, "zip_code"),
        ({"member_id": ""}, "member_id"),
        ({"phone": "555-0150"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "14/03/2019"}, "date_of_birth"),
    ],
)
def test_client_validation_rejects_bad_input_naming_the_field(world, api, overrides, field):
    insurer = InsurerFactory()
    response = api(world.staff).post(
        "/api/v1/clients/", client_body(insurer, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Client.objects.exists()


def test_date_of_birth_today_is_accepted_tomorrow_is_not(world, api):
    insurer = InsurerFactory()
    today = timezone.localdate()
    ok = api(world.staff).post(
        "/api/v1/clients/", client_body(insurer, date_of_birth=today.isoformat()), format="json"
    )
    assert ok.status_code == 201
    bad = api(world.staff).post(
        "/api/v1/clients/",
        client_body(
            insurer, date_of_birth=(today + dt.timedelta(days=1)).isoformat(), member_id="X2"
        ),
        format="json",
    )
    assert bad.status_code == 400 and "date_of_birth" in bad.json()


def test_member_id_not_required_without_insurer(world, api):
    response = api(world.staff).post(
        "/api/v1/clients/",
        {"first_name": "A", "last_name": "B", "date_of_birth": "2019-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_update_that_breaks_a_rule_leaves_the_client_unchanged(world, api):
    client = ClientFactory(practice=world.practice, member_id="KEEP1")
    response = api(world.staff).patch(
        f"/api/v1/clients/{client.pk}/", {"member_id": "", "zip_code": "bad"}, format="json"
    )
    assert response.status_code == 400
    client.refresh_from_db()
    assert client.member_id == "KEEP1"


def provider_body(**overrides):
    body = {
        "first_name": "Morgan",
        "last_name": "Reyes",
        "credential": "BCBA",
        "npi": "1234567893",
        "license_state": "NY",
        "taxonomy_code": "103K00000X",
    }
    body.update(overrides)
    return body


def test_staff_creates_a_provider_with_a_valid_npi(world, api):
    response = api(world.staff).post("/api/v1/providers/", provider_body(), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"npi": "1234567890"}, "npi"),  # fails the Luhn check with prefix 80840
        ({"npi": "123456789"}, "npi"),
        ({"npi": "12345678AB"}, "npi"),
        ({"credential": "PhD"}, "credential"),
        ({"license_state": "ZZ"}, "license_state"),
        ({"taxonomy_code": "103K0000"}, "taxonomy_code"),
    ],
)
def test_provider_validation_rejects_bad_input_naming_the_field(world, api, overrides, field):
    response = api(world.staff).post(
        "/api/v1/providers/", provider_body(**overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Provider.objects.exists()


def test_provider_npi_unique_within_a_practice(world, api):
    ProviderFactory(practice=world.practice, npi="1234567893")
    response = api(world.staff).post("/api/v1/providers/", provider_body(), format="json")
    assert response.status_code == 400
    assert "NPI" in str(response.json())
    # another practice may have the same provider
    assert (
        api(world.other_staff)
        .post("/api/v1/providers/", provider_body(), format="json")
        .status_code
        == 201
    )


def test_practice_tax_id_must_be_nine_digits(world, api):
    url = f"/api/v1/practices/{world.practice.pk}/"
    response = api(world.admin).patch(url, {"tax_id": "12345"}, format="json")
    assert response.status_code == 400 and "tax_id" in response.json()
    response = api(world.admin).patch(url, {"tax_id": "45-1234568"}, format="json")
    assert response.status_code == 200 and response.json()["tax_id"] == "451234568"
    assert api(world.staff).patch(url, {"phone": "518-555-0199"}, format="json").status_code == 403


def test_tenant_isolation_other_practice_clients_and_providers_are_404(world, api):
    clients = ClientFactory.create_batch(3, practice=world.practice)
    providers = ProviderFactory.create_batch(2, practice=world.practice)
    other = api(world.other_staff)
    for c in clients:
        for method in ("get", "patch", "put", "delete"):
            response = getattr(other, method)(f"/api/v1/clients/{c.pk}/", {}, format="json")
            assert response.status_code == 404, (method, response.status_code)
    for p in providers:
        for method in ("get", "patch", "put", "delete"):
            response = getattr(other, method)(f"/api/v1/providers/{p.pk}/", {}, format="json")
            assert response.status_code == 404
    assert other.get("/api/v1/clients/").json()["results"] == []
    assert other.get("/api/v1/providers/").json()["results"] == []
    assert other.get(f"/api/v1/practices/{world.practice.pk}/").status_code == 404
    assert [p["name"] for p in other.get("/api/v1/practices/").json()["results"]] == [
        "Harbor Behavioral Health"
    ]
    # and nothing was changed or archived
    assert Client.objects.filter(practice=world.practice, is_active=True).count() == 3


def test_cannot_create_a_client_in_another_practice(world, api):
    insurer = InsurerFactory()
    response = api(world.other_staff).post(
        "/api/v1/clients/", client_body(insurer, practice=world.practice.pk), format="json"
    )
    assert response.status_code == 400 and "practice" in response.json()
    assert not Client.objects.filter(practice=world.practice).exists()


def test_user_in_two_practices_must_name_the_practice(world, api):
    MembershipFactory(practice=world.other_practice, user=world.staff, role="staff")
    insurer = InsurerFactory()
    response = api(world.staff).post("/api/v1/clients/", client_body(insurer), format="json")
    assert response.status_code == 400 and "practice" in response.json()
    response = api(world.staff).post(
        "/api/v1/clients/", client_body(insurer, practice=world.other_practice.pk), format="json"
    )
    assert response.status_code == 201


def test_delete_archives_a_client(world, api):
    client = ClientFactory(practice=world.practice)
    assert api(world.staff).delete(f"/api/v1/clients/{client.pk}/").status_code == 204
    client.refresh_from_db()
    assert client.is_active is False


def test_client_search_and_filter(world, api):
    ClientFactory(practice=world.practice, first_name="Zed", last_name="Quill", member_id="ZQ1")
    ClientFactory(practice=world.practice, first_name="Amy", last_name="Pond", member_id="AP1")
    response = api(world.staff).post("/api/v1/clients/search/", {"q": "Quill"}, format="json")
    assert [c["member_id"] for c in response.json()["results"]] == ["ZQ1"]
    response = api(world.staff).get("/api/v1/clients/", {"ordering": "-last_name"})
    assert [c["last_name"] for c in response.json()["results"]] == ["Quill", "Pond"]


def test_anonymous_gets_401(db, api):
    assert api(None).get("/api/v1/clients/").status_code == 401


def test_make_npi_produces_valid_npis():
    from cases.validators import validate_npi

    for base in ("123456789", "987654321", "100000000"):
        validate_npi(make_npi(base))
