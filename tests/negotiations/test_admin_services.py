"""The negotiations admin: contacts and the fee schedule through their services; offers,
agreements and notifications read-only (issue 18, item 4)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

import negotiations.admin
from cases.models import CaseEvent
from negotiations.models import Agreement, ContactLog, Notification, Offer, PracticeRate
from tests.factories import (
    AgreementLineFactory,
    BillingCodeFactory,
    CaseFactory,
    OfferLineFactory,
    PracticeFactory,
    PracticeRateFactory,
    UserFactory,
)


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_site(client, operator):
    client.force_login(operator)
    return client


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# ----------------------------------------------------------------------------- contacts


def contact_body(case, at: dt.datetime, **extra):
    at = timezone.localtime(at)
    return {
        "case": case.pk,
        "at_0": at.date().isoformat(),
        "at_1": at.strftime("%H:%M:%S"),
        "direction": "outbound",
        "channel": "phone",
        "summary": "Asked for the SCA's status.",
        **extra,
    }


def test_a_contact_is_logged_through_contact_log(admin_site, operator):
    """The service's case event and the case's follow-up date come with it."""
    case = CaseFactory()
    follow_up = timezone.localdate() + dt.timedelta(days=7)
    body = contact_body(case, timezone.now() - dt.timedelta(hours=1), follow_up_on=follow_up)
    response = admin_site.post(url(ContactLog, "add"), body)
    assert response.status_code == 302
    entry = ContactLog.objects.get(case=case)
    assert entry.created_by == operator
    event = CaseEvent.objects.get(case=case, kind="contact_logged")
    assert event.actor == operator and event.data == {"contact": entry.pk}
    case.refresh_from_db()
    assert case.follow_up_on == follow_up


def test_the_contact_service_refusal_shows_on_the_form(admin_site):
    """A contact in the future is the service's rule, not the model's."""
    case = CaseFactory()
    body = contact_body(case, timezone.now() + dt.timedelta(days=2))
    response = admin_site.post(url(ContactLog, "add"), body)
    assert response.status_code == 200
    assert "A contact cannot be in the future." in response.content.decode()
    assert not ContactLog.objects.exists()
    assert not CaseEvent.objects.filter(kind="contact_logged").exists()


def test_a_logged_contact_is_neither_changed_nor_deleted(admin_site):
    case = CaseFactory()
    entry = ContactLog.objects.create(
        case=case, at=timezone.now(), direction="inbound", channel="fax", summary="Fax received."
    )
    assert admin_site.post(url(ContactLog, "change", entry.pk), {}).status_code == 403
    assert admin_site.get(url(ContactLog, "delete", entry.pk)).status_code == 403


# ----------------------------------------------------------------------------- fee schedule


def rate_body(practice, code, **extra):
    return {
        "practice": practice.pk,
        "billing_code": code.pk,
        "modifier": "",
        "usual_rate": "18.00",
        "floor_rate": "14.50",
        **extra,
    }


def test_a_practice_rate_is_saved_through_practice_rate_save(admin_site, operator, monkeypatch):
    practice, code = PracticeFactory(), BillingCodeFactory(code="97153")
    calls = []
    real = negotiations.admin.practice_rate_save

    def recording(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(negotiations.admin, "practice_rate_save", recording)
    assert admin_site.post(url(PracticeRate, "add"), rate_body(practice, code)).status_code == 302
    rate = PracticeRate.objects.get(practice=practice)
    body = rate_body(PracticeFactory(), code, usual_rate="19.00")
    assert admin_site.post(url(PracticeRate, "change", rate.pk), body).status_code == 302
    assert [c["instance"] for c in calls] == [None, rate]
    rate.refresh_from_db()
    assert (
        rate.usual_rate == Decimal("19.00") and rate.practice == practice
    )  # stays in its practice
    assert rate.history.first().history_user == operator


def test_the_practice_rate_service_refusal_shows_on_the_form(admin_site):
    """An unknown modifier is refused by the service (the model takes any two letters)."""
    practice, code = PracticeFactory(), BillingCodeFactory()
    response = admin_site.post(url(PracticeRate, "add"), rate_body(practice, code, modifier="ZZ"))
    assert response.status_code == 200
    assert "&#x27;ZZ&#x27; is not an active modifier." in response.content.decode()
    assert not PracticeRate.objects.exists()


def test_a_practice_rate_is_deleted_through_practice_rate_delete(admin_site, operator):
    rate = PracticeRateFactory()
    assert admin_site.post(url(PracticeRate, "delete", rate.pk), {"post": "yes"}).status_code == 302
    assert not PracticeRate.objects.exists()
    assert rate.history.first().history_type == "-"
    assert rate.history.first().history_user == operator
    # One at a time, on the rate's own page: no bulk delete around the service.
    assert b"delete_selected" not in admin_site.get(url(PracticeRate, "changelist")).content


# ----------------------------------------------------------------------------- read-only


def _objects():
    case = CaseFactory()
    return {
        Offer: OfferLineFactory(offer__case=case).offer,
        Agreement: AgreementLineFactory().agreement,
        Notification: Notification.objects.create(
            user=UserFactory(), case=case, kind="follow_up", key="k", message="Follow up."
        ),
    }


@pytest.mark.parametrize("model", [Offer, Agreement, Notification])
def test_what_only_a_service_writes_is_read_only(admin_site, model):
    obj = _objects()[model]
    assert admin_site.get(url(model, "add")).status_code == 403
    page = admin_site.get(url(model, "change", obj.pk))
    assert page.status_code == 200
    assert b'type="submit" value="Save"' not in page.content
    assert admin_site.post(url(model, "change", obj.pk), {"status": "accepted"}).status_code == 403
    assert admin_site.get(url(model, "delete", obj.pk)).status_code == 403
    assert b"delete_selected" not in admin_site.get(url(model, "changelist")).content


def test_an_offer_is_not_reverted_from_its_history(admin_site):
    offer = OfferLineFactory().offer
    version = offer.history.first()
    revert = reverse("admin:negotiations_offer_simple_history", args=[offer.pk, version.pk])
    assert admin_site.post(revert, {"status": "accepted"}).status_code == 403
    offer.refresh_from_db()
    assert offer.status == "open"
