"""The catalog's admin writes through the catalog's services (issue 18, item 4): the service's
format rule shows on the form, the change history names the operator, nothing is deleted."""

import pytest
from django.urls import reverse

from billing_codes.models import BillingCode, Modifier
from tests.factories import BillingCodeFactory, UserFactory


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_site(client, operator):
    client.force_login(operator)
    return client


def code_body(**extra):
    return {
        "code": "97155",
        "system": "CPT",
        "short_description": "Adaptive behavior treatment with protocol modification",
        "category": "treatment",
        "unit_minutes": "15",
        "is_aba": "on",
        "typical_credential": "BCBA",
        "is_active": "on",
        **extra,
    }


def test_a_code_added_in_the_admin_is_saved_by_the_service(admin_site, operator):
    response = admin_site.post(reverse("admin:billing_codes_billingcode_add"), code_body())
    assert response.status_code == 302
    code = BillingCode.objects.get(code="97155")
    assert code.history.get().history_user == operator


def test_the_services_code_format_rule_shows_on_the_admin_form(admin_site):
    # A CPT code is five digits: the rule lives in billing_code_save, not on the model.
    response = admin_site.post(
        reverse("admin:billing_codes_billingcode_add"), code_body(code="9715")
    )
    assert response.status_code == 200
    assert "&#x27;9715&#x27; is not a valid CPT code." in response.content.decode()
    assert "9715" in response.content.decode()  # what was typed is kept
    assert not BillingCode.objects.filter(code="9715").exists()


def test_a_code_changed_in_the_admin_is_normalised_and_recorded(admin_site, operator):
    code = BillingCodeFactory(code="97153")
    response = admin_site.post(
        reverse("admin:billing_codes_billingcode_change", args=[code.pk]),
        code_body(code="97153", short_description="Renamed", is_active=""),
    )
    assert response.status_code == 302
    code.refresh_from_db()
    assert code.short_description == "Renamed" and not code.is_active
    assert code.history.first().history_user == operator


def test_a_modifier_added_in_the_admin_is_checked_by_the_service(admin_site):
    url = reverse("admin:billing_codes_modifier_add")
    refused = admin_site.post(url, {"code": "H", "description": "Bad", "is_active": "on"})
    assert refused.status_code == 200
    assert "A modifier is two letters or digits." in refused.content.decode()
    ok = admin_site.post(url, {"code": "hn", "description": "Bachelor's level", "is_active": "on"})
    assert ok.status_code == 302
    assert Modifier.objects.get().code == "HN"  # normalised by the service


def test_the_catalog_is_never_deleted_from_the_admin(admin_site):
    code = BillingCodeFactory()
    delete = admin_site.post(
        reverse("admin:billing_codes_billingcode_delete", args=[code.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert BillingCode.objects.filter(pk=code.pk).exists()
