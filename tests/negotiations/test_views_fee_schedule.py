"""The practice fee schedule page: billing and above maintain the current practice's rates
through the services; other practices' rates are not found."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from negotiations.models import PracticeRate
from tests.factories import (
    BillingCodeFactory,
    MembershipFactory,
    ModifierFactory,
    PracticeRateFactory,
)

URL = "/fee-schedule/"


def rate_data(code, modifier="", usual="18.00", floor="15.00") -> dict:
    return {
        "billing_code": str(code.pk),
        "modifier": modifier,
        "usual_rate": usual,
        "floor_rate": floor,
    }


def test_fee_schedule_url_name():
    assert reverse("negotiations:fee_schedule") == URL


def test_billing_adds_edits_and_deletes_a_rate(world, web, aba_code):
    ModifierFactory(code="HN")
    browser = web(world.billing)
    response = browser.post(URL, rate_data(aba_code, modifier="hn"))
    assert response.status_code == 302
    rate = PracticeRate.objects.get()
    assert (rate.practice, rate.modifier, rate.usual_rate) == (
        world.practice,
        "HN",
        Decimal("18.00"),
    )
    assert rate.history.first().history_user == world.billing
    page = browser.get(URL)
    assert page.status_code == 200
    assert page.context["nav_section"] == "fees"
    assert "97153" in page.text and "$18.00" in page.text

    edit = reverse("negotiations:practicerate_edit", args=[rate.pk])
    assert browser.get(edit).status_code == 200
    response = browser.post(edit, rate_data(aba_code, modifier="HN", usual="21.50"))
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.usual_rate == Decimal("21.50")

    delete = reverse("negotiations:practicerate_delete", args=[rate.pk])
    assert browser.get(delete).status_code == 200  # the confirmation page
    response = browser.post(delete)
    assert response.status_code == 302
    assert not PracticeRate.objects.exists()


def test_admins_may_maintain_the_fee_schedule_too(world, web, aba_code):
    assert web(world.admin).post(URL, rate_data(aba_code)).status_code == 302
    assert PracticeRate.objects.filter(practice=world.practice).count() == 1


def test_staff_may_not_see_the_fee_schedule(world, web, aba_code):
    rate = PracticeRateFactory(practice=world.practice, billing_code=aba_code)
    browser = web(world.staff)
    assert browser.get(URL).status_code == 403
    assert browser.post(URL, rate_data(aba_code, modifier="HN")).status_code == 403
    edit = reverse("negotiations:practicerate_edit", args=[rate.pk])
    assert browser.get(edit).status_code == 403
    assert browser.post(edit, rate_data(aba_code, usual="1.00")).status_code == 403
    delete = reverse("negotiations:practicerate_delete", args=[rate.pk])
    assert browser.post(delete).status_code == 403
    rate.refresh_from_db()
    assert rate.usual_rate == Decimal("18.00")
    assert PracticeRate.objects.count() == 1


def test_another_practices_rate_is_not_found(world, web, aba_code):
    theirs = PracticeRateFactory(practice=world.other_practice, billing_code=aba_code)
    browser = web(world.billing)
    edit = reverse("negotiations:practicerate_edit", args=[theirs.pk])
    delete = reverse("negotiations:practicerate_delete", args=[theirs.pk])
    assert browser.get(edit).status_code == 404
    assert browser.post(edit, rate_data(aba_code, usual="1.00")).status_code == 404
    assert browser.post(delete).status_code == 404
    theirs.refresh_from_db()
    assert theirs.usual_rate == Decimal("18.00")
    # Nor is it listed.
    assert theirs not in web(world.billing).get(URL).context["rates"]


def test_the_schedule_lists_the_current_practice_only(world, web, aba_code):
    MembershipFactory(user=world.billing, practice=world.other_practice, role="billing")
    PracticeRateFactory(practice=world.practice, billing_code=aba_code)
    PracticeRateFactory(
        practice=world.other_practice, billing_code=BillingCodeFactory(code="97155")
    )
    page = web(world.billing).get(URL)
    assert [r.practice_id for r in page.context["rates"]] == [world.practice.pk]


def test_a_code_and_modifier_appear_once_in_a_fee_schedule(world, web, aba_code):
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, modifier="")
    response = web(world.billing).post(URL, rate_data(aba_code, usual="30.00"))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The fee schedule already has this code and modifier."
    ]
    assert "The fee schedule already has this code and modifier." in response.text
    assert PracticeRate.objects.get().usual_rate == Decimal("18.00")


def test_the_floor_rate_is_not_above_the_usual_rate(world, web, aba_code):
    response = web(world.billing).post(URL, rate_data(aba_code, usual="10.00", floor="12.00"))
    assert response.status_code == 400
    assert "The floor rate cannot be above the usual rate." in response.text
    assert not PracticeRate.objects.exists()


def test_rates_are_not_negative(world, web, aba_code):
    response = web(world.billing).post(URL, rate_data(aba_code, usual="-5.00", floor=""))
    assert response.status_code == 400
    assert response.context["form"].errors["usual_rate"] == ["A rate cannot be negative."]
    assert not PracticeRate.objects.exists()


def test_an_unknown_modifier_is_refused_on_the_field(world, web, aba_code):
    response = web(world.billing).post(URL, rate_data(aba_code, modifier="ZZ"))
    assert response.status_code == 400
    assert response.context["form"].errors["modifier"] == ["'ZZ' is not an active modifier."]
    assert not PracticeRate.objects.exists()


def test_fee_schedule_query_count_is_constant(world, web):
    browser = web(world.billing)

    def count() -> int:
        browser.get(URL)  # warm up: the first page of a session remembers the practice
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get(URL).status_code == 200
        return len(ctx.captured_queries)

    PracticeRateFactory(practice=world.practice, billing_code=BillingCodeFactory(code="97151"))
    one = count()
    for n in range(2, 9):
        PracticeRateFactory(
            practice=world.practice, billing_code=BillingCodeFactory(code=f"9715{n}")
        )
    assert count() == one
