"""The Django admin writes through the services the API and the pages call, and only reads
what a service alone may write (issue 18, item 4)."""

import pytest
from django.urls import reverse

import cases.admin
from cases.models import (
    Case,
    CaseEvent,
    Client,
    Consent,
    Insurer,
    InsurerContact,
    Practice,
    Provider,
    RatePolicy,
)
from tests.factories import (
    CaseFactory,
    ClientFactory,
    ConsentFactory,
    InsurerFactory,
    MembershipFactory,
    PracticeFactory,
    ProviderFactory,
    RatePolicyFactory,
    UserFactory,
)


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_site(client, operator):
    client.force_login(operator)
    return client


def spy(monkeypatch, module, name):
    """Record the calls of ``module.name`` and still run it."""
    calls = []
    real = getattr(module, name)

    def recording(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(module, name, recording)
    return calls


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# ----------------------------------------------------------------------------- through services


def test_a_practice_changes_through_practice_update(admin_site, operator, monkeypatch):
    practice = PracticeFactory(name="Bright Path ABA")
    calls = spy(monkeypatch, cases.admin, "practice_update")
    body = {
        "name": "Bright Path Autism Services",
        "npi": practice.npi,
        "tax_id": practice.tax_id,
        "state": "NY",
        "is_active": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = admin_site.post(url(Practice, "change", practice.pk), body)
    assert response.status_code == 302
    assert calls and calls[0]["actor"] == operator
    practice.refresh_from_db()
    assert practice.name == "Bright Path Autism Services"
    assert practice.history.first().history_user == operator


def test_an_operator_switches_a_practice_off_through_practice_set_active(
    admin_site, operator, monkeypatch
):
    """Unticking "active" locks the practice's members out (their roles count active
    practices only); it is the operators' switch, not in the practice's own settings."""
    from cases.permissions import user_roles

    member = MembershipFactory(role="admin")
    practice = member.practice
    calls = spy(monkeypatch, cases.admin, "practice_set_active")
    body = {"name": practice.name, "npi": practice.npi, "tax_id": practice.tax_id}
    body |= members_body((member.pk, member.user, "admin", False), initial=1)
    response = admin_site.post(url(Practice, "change", practice.pk), body)
    assert response.status_code == 302, response.content
    assert calls and calls[0]["is_active"] is False and calls[0]["actor"] == operator
    practice.refresh_from_db()
    assert not practice.is_active
    assert user_roles(member.user) == {}
    assert practice.history.first().history_user == operator
    admin_site.post(url(Practice, "change", practice.pk), body | {"is_active": "on"})
    practice.refresh_from_db()
    assert practice.is_active


def members_body(*rows, initial=0):
    """The Membership inline's management form and rows: (id or None, user, role, delete)."""
    body = {"memberships-TOTAL_FORMS": str(len(rows)), "memberships-INITIAL_FORMS": str(initial)}
    for n, (pk, user, role, delete) in enumerate(rows):
        body |= {f"memberships-{n}-user": user.pk, f"memberships-{n}-role": role}
        if pk is not None:
            body[f"memberships-{n}-id"] = pk
        if delete:
            body[f"memberships-{n}-DELETE"] = "on"
    return body


def test_a_practice_is_added_through_practice_create_with_its_first_admin(
    admin_site, operator, monkeypatch
):
    created = spy(monkeypatch, cases.admin, "practice_create")
    added = spy(monkeypatch, cases.admin, "membership_add")
    owner = UserFactory(username="owner")
    body = {"name": "New Leaf ABA", "state": "NY", "is_active": "on"} | members_body(
        (None, owner, "admin", False)
    )
    response = admin_site.post(url(Practice, "add"), body)
    assert response.status_code == 302, response.content
    practice = Practice.objects.get(name="New Leaf ABA")
    assert practice.is_active
    assert created and created[0]["actor"] == operator
    assert [(c["user"], c["role"]) for c in added] == [(owner, "admin")]
    assert practice.memberships.get().user == owner
    assert practice.history.first().history_user == operator


def test_the_last_admin_rule_shows_on_the_practice_form(admin_site):
    admin_member = MembershipFactory(role="admin")
    practice = admin_member.practice
    body = {
        "name": practice.name,
        "npi": practice.npi,
        "tax_id": practice.tax_id,
        "is_active": "on",
    }
    body |= members_body((admin_member.pk, admin_member.user, "staff", False), initial=1)
    response = admin_site.post(url(Practice, "change", practice.pk), body)
    assert response.status_code == 200
    assert "needs at least one administrator" in response.content.decode()
    admin_member.refresh_from_db()
    assert admin_member.role == "admin"


def test_handing_the_admin_role_over_in_one_save_is_allowed(admin_site):
    old = MembershipFactory(role="admin")
    new = MembershipFactory(practice=old.practice, role="staff")
    practice = old.practice
    body = {
        "name": practice.name,
        "npi": practice.npi,
        "tax_id": practice.tax_id,
        "is_active": "on",
    }
    body |= members_body(
        (old.pk, old.user, "staff", False), (new.pk, new.user, "admin", False), initial=2
    )
    response = admin_site.post(url(Practice, "change", practice.pk), body)
    assert response.status_code == 302, response.content
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.role, new.role) == ("staff", "admin")


def test_a_membership_is_added_changed_and_removed_through_its_services(admin_site, monkeypatch):
    calls = {
        name: spy(monkeypatch, cases.admin, name)
        for name in ("membership_add", "membership_update", "membership_remove")
    }
    first = MembershipFactory(role="admin")
    practice, user = first.practice, UserFactory(username="joiner")
    model = type(first)
    body = {"user": user.pk, "practice": practice.pk, "role": "staff"}
    assert admin_site.post(url(model, "add"), body).status_code == 302
    joined = model.objects.get(user=user)
    assert calls["membership_add"][0]["role"] == "staff"
    response = admin_site.post(url(model, "change", joined.pk), {"role": "billing"})
    assert response.status_code == 302
    joined.refresh_from_db()
    assert joined.role == "billing" and calls["membership_update"]
    response = admin_site.post(url(model, "delete", joined.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not model.objects.filter(pk=joined.pk).exists() and calls["membership_remove"]


def test_the_last_admin_rule_shows_on_the_membership_form(admin_site):
    only = MembershipFactory(role="admin")
    model = type(only)
    response = admin_site.post(url(model, "change", only.pk), {"role": "staff"})
    assert response.status_code == 200
    assert "needs at least one administrator" in response.content.decode()
    only.refresh_from_db()
    assert only.role == "admin"
    response = admin_site.post(url(model, "delete", only.pk), {"post": "yes"}, follow=True)
    assert "needs at least one administrator" in response.content.decode()
    assert model.objects.filter(pk=only.pk).exists()


def client_body(practice, insurer, **extra):
    return {
        "practice": practice.pk,
        "first_name": "Ava",
        "last_name": "Martinez",
        "date_of_birth": "2019-03-14",
        "insurer": insurer.pk,
        "member_id": "M00000001",
        "line_of_business": "commercial",
        "diagnosis_codes": '["F84.0"]',
        "is_active": "on",
        **extra,
    }


def test_a_client_is_created_through_client_create(admin_site, operator, monkeypatch):
    practice, insurer = PracticeFactory(), InsurerFactory()
    calls = spy(monkeypatch, cases.admin, "client_create")
    response = admin_site.post(url(Client, "add"), client_body(practice, insurer))
    assert response.status_code == 302
    assert calls[0]["practice"] == practice and calls[0]["actor"] == operator
    client = Client.objects.get(practice=practice)
    assert client.history.first().history_user == operator


def test_the_client_service_refusal_shows_on_the_form(admin_site):
    """An archived insurer is refused by client_create (not by the model): the form says so."""
    practice = PracticeFactory()
    archived = InsurerFactory(name="Old Mutual Health", is_active=False)
    response = admin_site.post(url(Client, "add"), client_body(practice, archived))
    assert response.status_code == 200
    assert "Old Mutual Health is archived in the insurer directory." in response.content.decode()
    assert response.context["adminform"].form.errors["insurer"]
    assert not Client.objects.exists()


def test_a_client_changes_through_client_update_and_stays_in_its_practice(
    admin_site, operator, monkeypatch
):
    client = ClientFactory()
    elsewhere = PracticeFactory()
    calls = spy(monkeypatch, cases.admin, "client_update")
    body = client_body(elsewhere, client.insurer, first_name="Avery", member_id=client.member_id)
    response = admin_site.post(url(Client, "change", client.pk), body)
    assert response.status_code == 302
    assert calls[0]["client"].pk == client.pk and "practice" not in calls[0]
    client.refresh_from_db()
    assert client.first_name == "Avery" and client.practice != elsewhere
    assert admin_site.get(url(Client, "delete", client.pk)).status_code == 403  # archived only


def test_a_provider_is_created_and_changed_through_its_services(admin_site, monkeypatch):
    practice = PracticeFactory()
    created = spy(monkeypatch, cases.admin, "provider_create")
    updated = spy(monkeypatch, cases.admin, "provider_update")
    body = {
        "practice": practice.pk,
        "first_name": "Morgan",
        "last_name": "Reyes",
        "credential": "BCBA",
        "npi": ProviderFactory.build().npi,
        "is_active": "on",
    }
    assert admin_site.post(url(Provider, "add"), body).status_code == 302
    provider = practice.providers.get()
    body["last_name"] = "Reyes-Lee"
    assert admin_site.post(url(Provider, "change", provider.pk), body).status_code == 302
    assert len(created) == 1 and len(updated) == 1
    provider.refresh_from_db()
    assert provider.last_name == "Reyes-Lee"


def test_an_insurer_is_created_and_changed_through_its_services(admin_site, monkeypatch):
    created = spy(monkeypatch, cases.admin, "insurer_create")
    updated = spy(monkeypatch, cases.admin, "insurer_update")
    body = {"name": "Evergreen Health Plan", "sca_fax": "518-555-0199", "is_active": "on"}
    assert admin_site.post(url(Insurer, "add"), body).status_code == 302
    insurer = Insurer.objects.get(name="Evergreen Health Plan")
    body["is_active"] = ""  # archived
    assert admin_site.post(url(Insurer, "change", insurer.pk), body).status_code == 302
    assert len(created) == 1 and len(updated) == 1
    insurer.refresh_from_db()
    assert not insurer.is_active
    assert admin_site.get(url(Insurer, "delete", insurer.pk)).status_code == 403


def test_a_service_refusal_on_a_field_the_form_lacks_shows_at_the_top(admin_site, monkeypatch):
    """A refusal naming no field of the form, or a DomainError, is a message on the form."""
    from core.exceptions import DomainError

    def refuse(**kwargs):
        raise DomainError(code="insurer_locked", detail="The directory is being updated.")

    monkeypatch.setattr(cases.admin, "insurer_create", refuse)
    response = admin_site.post(url(Insurer, "add"), {"name": "Evergreen Health Plan"})
    assert response.status_code == 200
    assert "The directory is being updated." in response.content.decode()
    assert not Insurer.objects.exists()


# ----------------------------------------------------------------------------- read-only


def _case_objects():
    case = CaseFactory()
    return {
        Case: case,
        Consent: ConsentFactory(case=case),
        CaseEvent: CaseEvent.objects.create(case=case, kind="created", message="Created."),
        RatePolicy: RatePolicyFactory(),
        InsurerContact: InsurerContact.objects.create(
            insurer=InsurerFactory(), practice=case.practice, fax="207-555-0100"
        ),
    }


@pytest.mark.parametrize("model", [Case, Consent, CaseEvent, RatePolicy, InsurerContact])
def test_what_only_a_service_writes_is_read_only(admin_site, model):
    obj = _case_objects()[model]
    assert admin_site.get(url(model, "add")).status_code == 403
    page = admin_site.get(url(model, "change", obj.pk))
    assert page.status_code == 200
    assert b'type="submit" value="Save"' not in page.content
    assert admin_site.post(url(model, "change", obj.pk), {}).status_code == 403
    assert admin_site.get(url(model, "delete", obj.pk)).status_code == 403
    assert b"delete_selected" not in admin_site.get(url(model, "changelist")).content


def test_the_history_revert_form_does_not_save_a_read_only_record(admin_site):
    """simple-history's revert form posts to save_model without asking for the change
    permission; a read-only admin refuses that POST."""
    policy = RatePolicyFactory(min_network_attempts=3)
    version = policy.history.first()
    revert = reverse("admin:cases_ratepolicy_simple_history", args=[policy.pk, version.pk])
    assert admin_site.get(revert).status_code == 200
    assert admin_site.post(revert, {"min_network_attempts": 9}).status_code == 403
    policy.refresh_from_db()
    assert policy.min_network_attempts == 3


def test_reverting_a_version_goes_through_the_service_and_shows_its_refusal(
    admin_site, monkeypatch
):
    """simple-history's revert form saves with save_model: the service checks it like any
    change (here: the client's insurer was archived since that version)."""
    client = ClientFactory()
    version = client.history.first()
    client.insurer.is_active = False
    client.insurer.save()
    other = InsurerFactory()
    Client.objects.filter(pk=client.pk).update(insurer=other)
    revert = reverse("admin:cases_client_simple_history", args=[client.pk, version.pk])
    body = client_body(client.practice, client.insurer, member_id=client.member_id)
    calls = spy(monkeypatch, cases.admin, "client_update")
    response = admin_site.post(revert, body)
    assert response.status_code == 200 and calls
    assert "is archived in the insurer directory." in response.content.decode()
    client.refresh_from_db()
    assert client.insurer == other
