"""Offers, counters, accept, approve, decline: rules, roles and tenancy."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Case
from negotiations.models import Agreement, ContactLog, Offer, OfferLine
from tests.factories import (
    BillingCodeFactory,
    PolicyRateFactory,
    PracticeRateFactory,
    RequestedServiceFactory,
)


def offers_url(case):
    return f"/api/v1/cases/{case.pk}/offers/"


def accept_body(**extra):
    today = timezone.localdate()
    return {
        "authorization_number": "AUTH-77",
        "start_date": (today + dt.timedelta(days=30)).isoformat(),
        "end_date": (today + dt.timedelta(days=209)).isoformat(),
        "sessions_authorized": 72,
        **extra,
    }


def test_first_insurer_offer_moves_case_to_in_negotiation(world, api, submitted_case, offer_body):
    response = api(world.billing).post(offers_url(submitted_case), offer_body(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "open" and response.json()["lines"][0]["code"] == "97153"
    submitted_case.refresh_from_db()
    assert submitted_case.status == "in_negotiation"
    assert submitted_case.events.filter(kind="offer_received", actor=world.billing).exists()


def test_an_offer_cannot_be_received_in_the_future(world, api, submitted_case, offer_body):
    # One rule on the model field (validate_not_future), as for the desk's form.
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api(world.billing).post(
        offers_url(submitted_case), offer_body(received_on=tomorrow), format="json"
    )
    assert response.status_code == 400
    assert response.json()["received_on"] == ["This date is in the future."]
    assert not Offer.objects.exists()
    submitted_case.refresh_from_db()
    assert submitted_case.status == "submitted"


def test_counter_supersedes_the_open_offer_under_a_negotiable_policy(
    world, api, submitted_case, offer_body
):
    billing = api(world.billing)
    first = billing.post(offers_url(submitted_case), offer_body(), format="json").json()
    counter = billing.post(
        offers_url(submitted_case), offer_body(party="practice", rate="16.00"), format="json"
    )
    assert counter.status_code == 201, counter.content
    assert Offer.objects.get(pk=first["id"]).status == "superseded"
    assert Offer.objects.filter(case=submitted_case, status="open").get().party == "practice"
    listed = billing.get(offers_url(submitted_case)).json()
    assert [o["party"] for o in listed] == ["insurer", "practice"]


@pytest.mark.parametrize("kind", ["highest_network_rate", "percent_of_reference"])
def test_counter_refused_under_non_negotiable_policy_and_nothing_stored(
    world, api, submitted_case, policy, offer_body, kind
):
    policy.kind = kind
    policy.percent = Decimal("90")
    policy.reference_schedule = "tricare"
    policy.save()
    billing = api(world.billing)
    billing.post(offers_url(submitted_case), offer_body(), format="json")
    offers, lines = Offer.objects.count(), OfferLine.objects.count()
    response = billing.post(
        offers_url(submitted_case), offer_body(party="practice", rate="16.00"), format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "rate_not_negotiable"
    assert (Offer.objects.count(), OfferLine.objects.count()) == (offers, lines)
    assert Offer.objects.get(case=submitted_case).status == "open"


def test_counter_before_any_offer_is_a_conflict(world, api, submitted_case, offer_body):
    response = api(world.billing).post(
        offers_url(submitted_case), offer_body(party="practice"), format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_offer_on_a_draft_is_a_conflict(world, api, ready_case, offer_body):
    response = api(world.billing).post(offers_url(ready_case), offer_body(), format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert not Offer.objects.exists()


def test_accept_writes_the_agreement_and_approves(world, api, submitted_case, offer_body):
    billing = api(world.billing)
    offer = billing.post(offers_url(submitted_case), offer_body(), format="json").json()
    response = billing.post(
        f"{offers_url(submitted_case)}{offer['id']}/accept/", accept_body(), format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    agreement = Agreement.objects.get(case=submitted_case)
    line = agreement.lines.get()
    assert (line.rate, line.units_authorized, agreement.authorization_number) == (
        Decimal("14.00"),
        480,
        "AUTH-77",
    )
    assert agreement.flags == {"missing_codes": [], "below_floor": []}
    assert Offer.objects.get(pk=offer["id"]).status == "accepted"
    # accepting again: the offer is no longer open
    again = billing.post(
        f"{offers_url(submitted_case)}{offer['id']}/accept/", accept_body(), format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "offer_not_open"


def test_accepting_a_superseded_offer_is_refused(world, api, submitted_case, offer_body):
    billing = api(world.billing)
    first = billing.post(offers_url(submitted_case), offer_body(), format="json").json()
    billing.post(offers_url(submitted_case), offer_body(rate="15.00"), format="json")
    response = billing.post(
        f"{offers_url(submitted_case)}{first['id']}/accept/", accept_body(), format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "offer_not_open"
    assert not Agreement.objects.exists()


def test_agreement_flags_missing_codes_and_below_floor(
    world, api, submitted_case, offer_body, aba_code
):
    RequestedServiceFactory(case=submitted_case, billing_code=BillingCodeFactory(code="97155"))
    PracticeRateFactory(practice=world.practice, billing_code=aba_code, floor_rate=Decimal("14.50"))
    billing = api(world.billing)
    offer = billing.post(offers_url(submitted_case), offer_body(rate="14.00"), format="json").json()
    billing.post(f"{offers_url(submitted_case)}{offer['id']}/accept/", accept_body(), format="json")
    flags = Agreement.objects.get().flags
    assert flags["missing_codes"] == ["97155"]
    assert flags["below_floor"] == ["97153 (14.00 < 14.50)"]


def test_accept_validation_names_fields(world, api, submitted_case, offer_body):
    billing = api(world.billing)
    offer = billing.post(offers_url(submitted_case), offer_body(), format="json").json()
    url = f"{offers_url(submitted_case)}{offer['id']}/accept/"
    today = timezone.localdate()
    response = billing.post(
        url, accept_body(end_date=today.isoformat(), start_date=today.isoformat()), format="json"
    )
    assert response.status_code == 400 and "end_date" in response.json()
    response = billing.post(url, {"start_date": "2027-01-01"}, format="json")
    assert response.status_code == 400 and "authorization_number" in response.json()
    assert not Agreement.objects.exists()
    assert Case.objects.get(pk=submitted_case.pk).status == "in_negotiation"


def test_approve_as_requested_uses_the_policy_rate_when_not_negotiable(
    world, api, submitted_case, policy, aba_code
):
    policy.kind = "percent_of_reference"
    policy.percent = Decimal("90")
    policy.reference_schedule = "tricare"
    policy.save()
    PolicyRateFactory(policy=policy, billing_code=aba_code, reference_rate=Decimal("14.45"))
    response = api(world.billing).post(
        f"/api/v1/cases/{submitted_case.pk}/approve/", accept_body(), format="json"
    )
    assert response.status_code == 200, response.content
    line = Agreement.objects.get().lines.get()
    assert line.rate == Decimal("13.01") and line.units_authorized == 480


def test_approve_as_requested_under_negotiable_policy_uses_requested_rate(
    world, api, submitted_case
):
    response = api(world.billing).post(
        f"/api/v1/cases/{submitted_case.pk}/approve/", accept_body(), format="json"
    )
    assert response.status_code == 200
    assert Agreement.objects.get().lines.get().rate == Decimal("17.00")
    again = api(world.billing).post(
        f"/api/v1/cases/{submitted_case.pk}/approve/", accept_body(), format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_decline_rejects_the_open_offer(world, api, submitted_case, offer_body):
    billing = api(world.billing)
    billing.post(offers_url(submitted_case), offer_body(), format="json")
    response = billing.post(
        f"/api/v1/cases/{submitted_case.pk}/decline/", {"reason": "Below our floor"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert Offer.objects.get().status == "rejected"
    assert response.json()["decision_reason"] == "Below our floor"


def test_decline_needs_a_reason_and_in_negotiation(world, api, submitted_case):
    url = f"/api/v1/cases/{submitted_case.pk}/decline/"
    assert api(world.billing).post(url, {"reason": ""}, format="json").status_code == 400
    response = api(world.billing).post(url, {"reason": "x"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_contact_log_sets_the_case_follow_up(world, api, submitted_case):
    follow = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = api(world.staff).post(
        f"/api/v1/cases/{submitted_case.pk}/contacts/",
        {
            "direction": "outbound",
            "channel": "phone",
            "contact_name": "Rep",
            "summary": "Called, pending review",
            "follow_up_on": follow,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    submitted_case.refresh_from_db()
    assert submitted_case.follow_up_on.isoformat() == follow
    assert ContactLog.objects.get().created_by == world.staff
    response = api(world.staff).post(
        f"/api/v1/cases/{submitted_case.pk}/contacts/",
        {"direction": "sideways", "channel": "phone", "summary": ""},
        format="json",
    )
    assert response.status_code == 400 and {"direction", "summary"} <= set(response.json())


def test_negotiation_summary_benchmarks_and_suggests(
    world, api, submitted_case, offer_body, policy, aba_code
):
    PolicyRateFactory(
        policy=policy,
        billing_code=aba_code,
        highest_network_rate=Decimal("15.00"),
        reference_rate=Decimal("12.00"),
    )
    PracticeRateFactory(
        practice=world.practice,
        billing_code=aba_code,
        usual_rate=Decimal("18.00"),
        floor_rate=Decimal("14.50"),
    )
    api(world.billing).post(offers_url(submitted_case), offer_body(rate="12.00"), format="json")
    data = api(world.billing).get(f"/api/v1/cases/{submitted_case.pk}/negotiation/").json()
    assert data["negotiable"] is True and data["policy"]["kind"] == "negotiable"
    row = data["rows"][0]
    assert row["requested_rate"] == "17.00" and row["offered_rate"] == "12.00"
    assert row["offer_pct_of_request"] == "70.59" and row["offer_pct_of_reference"] == "100.00"
    assert row["below_floor"] is True
    assert row["suggested_counter"] == "14.50"  # midpoint 14.50, floor 14.50


def test_staff_cannot_record_offers_accept_decline_or_approve(
    world, api, submitted_case, offer_body
):
    staff = api(world.staff)
    assert staff.post(offers_url(submitted_case), offer_body(), format="json").status_code == 403
    offer = api(world.billing).post(offers_url(submitted_case), offer_body(), format="json").json()
    assert (
        staff.post(
            f"{offers_url(submitted_case)}{offer['id']}/accept/", accept_body(), format="json"
        ).status_code
        == 403
    )
    assert (
        staff.post(
            f"/api/v1/cases/{submitted_case.pk}/decline/", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
    assert (
        staff.post(
            f"/api/v1/cases/{submitted_case.pk}/approve/", accept_body(), format="json"
        ).status_code
        == 403
    )
    assert staff.get(offers_url(submitted_case)).status_code == 200  # reading is fine
    assert Offer.objects.get().status == "open"


def test_allowed_actions_follow_role_and_status(world, api, submitted_case):
    assert set(
        api(world.staff).get(f"/api/v1/cases/{submitted_case.pk}/").json()["allowed_actions"]
    ) == {"deny", "withdraw"}
    assert set(
        api(world.billing).get(f"/api/v1/cases/{submitted_case.pk}/").json()["allowed_actions"]
    ) == {"deny", "withdraw", "receive_offer", "approve"}


def test_tenant_isolation_every_negotiation_route_is_404(world, api, submitted_case, offer_body):
    offer = api(world.billing).post(offers_url(submitted_case), offer_body(), format="json").json()
    base = f"/api/v1/cases/{submitted_case.pk}"
    other = api(world.other_staff)
    world.other_staff.memberships.update(role="admin")
    world.other_staff.__dict__.pop("_sca_roles", None)
    routes = [
        ("get", f"{base}/offers/"),
        ("post", f"{base}/offers/"),
        ("get", f"{base}/offers/{offer['id']}/"),
        ("post", f"{base}/offers/{offer['id']}/accept/"),
        ("post", f"{base}/approve/"),
        ("post", f"{base}/decline/"),
        ("get", f"{base}/negotiation/"),
        ("get", f"{base}/contacts/"),
        ("post", f"{base}/contacts/"),
        ("get", f"{base}/utilization/"),
        ("post", f"{base}/utilization/"),
        ("get", f"{base}/utilization/summary/"),
    ]
    for method, url in routes:
        body = (
            None
            if method == "get"
            else {**offer_body(), **accept_body(), "reason": "x", "summary": "x"}
        )
        response = getattr(other, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    assert Offer.objects.get().status == "open"
    assert Case.objects.get(pk=submitted_case.pk).status == "in_negotiation"


def test_huge_sessions_authorized_is_400_not_500(world, api, submitted_case, offer_body):
    billing = api(world.billing)
    offer = billing.post(offers_url(submitted_case), offer_body(), format="json").json()
    url = f"{offers_url(submitted_case)}{offer['id']}/accept/"
    response = billing.post(url, accept_body(sessions_authorized=10**19), format="json")
    assert response.status_code == 400 and "sessions_authorized" in response.json()
    assert not Agreement.objects.exists()


def test_accepting_an_offer_of_another_case_is_404(world, api, submitted_case, offer_body):
    from tests.factories import CaseFactory, OfferFactory

    foreign = OfferFactory(
        case=CaseFactory(
            practice=world.practice, status="in_negotiation", submitted_at=timezone.now()
        )
    )
    api(world.billing).post(offers_url(submitted_case), offer_body(), format="json")
    url = f"{offers_url(submitted_case)}{foreign.pk}/accept/"
    assert api(world.billing).post(url, accept_body(), format="json").status_code == 404


def test_contact_dates_must_be_plausible(world, api, submitted_case):
    url = f"/api/v1/cases/{submitted_case.pk}/contacts/"
    body = {"direction": "outbound", "channel": "phone", "summary": "x"}
    old = api(world.staff).post(url, {**body, "at": "0800-11-02T01:53:25Z"}, format="json")
    assert old.status_code == 400 and "at" in old.json()
    future = api(world.staff).post(url, {**body, "at": "2999-01-01T00:00:00Z"}, format="json")
    assert future.status_code == 400 and "at" in future.json()


def test_agreement_dates_outside_the_century_are_400(world, api, submitted_case):
    # A far end date would break the renewal's start (the day after it) on every page.
    response = api(world.billing).post(
        f"/api/v1/cases/{submitted_case.pk}/approve/",
        accept_body(end_date="9999-12-31"),
        format="json",
    )
    assert response.status_code == 400 and "end_date" in response.json()
    assert not Agreement.objects.exists()
