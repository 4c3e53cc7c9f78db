"""The billing report against a hand-computed fixture; the fee schedule's roles."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from negotiations.models import PracticeRate
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    CaseFactory,
    InsurerFactory,
    MembershipFactory,
    PracticeRateFactory,
    RequestedServiceFactory,
)


def decided(world, insurer, status, days, submitted=None):
    submitted = submitted or timezone.now() - dt.timedelta(days=60)
    return CaseFactory(
        practice=world.practice,
        insurer=insurer,
        status=status,
        submitted_at=submitted,
        decided_at=submitted + dt.timedelta(days=days),
    )


def test_report_numbers_match_a_hand_computed_fixture(world, api):
    today = timezone.localdate()
    alpha, beta = InsurerFactory(name="Alpha Health"), InsurerFactory(name="Beta Care")
    code = BillingCodeFactory(code="97153")
    c1 = decided(world, alpha, "approved", 10)
    decided(world, alpha, "denied", 20)
    c3 = decided(world, alpha, "expired", 6)
    decided(world, beta, "declined", 4)
    CaseFactory(practice=world.practice, insurer=alpha)  # draft
    CaseFactory(
        practice=world.practice, insurer=beta, status="submitted", submitted_at=timezone.now()
    )
    CaseFactory(
        practice=world.other_practice,
        insurer=alpha,
        status="approved",
        submitted_at=timezone.now(),
        decided_at=timezone.now(),
    )  # another practice: never counted
    RequestedServiceFactory(case=c1, billing_code=code, requested_rate=Decimal("20.00"), units=100)
    RequestedServiceFactory(case=c3, billing_code=code, requested_rate=Decimal("18.00"), units=50)
    a1 = AgreementFactory(
        case=c1, end_date=today + dt.timedelta(days=10), authorization_number="A-1"
    )
    AgreementLineFactory(
        agreement=a1, billing_code=code, rate=Decimal("15.00"), units_authorized=100
    )
    a3 = AgreementFactory(
        case=c3, start_date=today - dt.timedelta(days=200), end_date=today - dt.timedelta(days=5)
    )
    AgreementLineFactory(
        agreement=a3, billing_code=code, rate=Decimal("18.00"), units_authorized=50
    )

    data = api(world.billing).get("/api/v1/reports/summary/").json()
    assert data["cases_by_status"] == {
        "draft": 1,
        "submitted": 1,
        "in_negotiation": 0,
        "approved": 1,
        "denied": 1,
        "appealed": 0,
        "declined": 1,
        "withdrawn": 0,
        "expired": 1,
    }
    assert data["insurers"] == [
        {
            "insurer": alpha.pk,
            "insurer_name": "Alpha Health",
            "decided": 3,
            "approved": 2,
            "approval_rate": "66.67",
            "median_days_to_decision": "10.0",
        },
        {
            "insurer": beta.pk,
            "insurer_name": "Beta Care",
            "decided": 1,
            "approved": 0,
            "approval_rate": "0.00",
            "median_days_to_decision": "4.0",
        },
    ]
    # (15 x 100 + 18 x 50) / (20 x 100 + 18 x 50) = 2400 / 2900
    assert data["achieved_rate_pct_of_requested"] == "82.76"
    assert [a["authorization_number"] for a in data["agreements_expiring_30_days"]] == ["A-1"]
    assert data["appeals_by_insurer"] == []  # tests/negotiations/test_appeal_outcomes_report.py


def test_report_is_for_billing_and_admin_only(world, api):
    assert api(world.staff).get("/api/v1/reports/summary/").status_code == 403
    assert api(world.other_staff).get("/api/v1/reports/summary/").status_code == 403
    assert api(world.admin).get("/api/v1/reports/summary/").status_code == 200
    assert api(None).get("/api/v1/reports/summary/").status_code == 401


def test_report_query_count_is_constant(world, api, django_assert_max_num_queries):
    for i in range(20):
        decided(world, InsurerFactory(), "approved", i + 1)
    with django_assert_max_num_queries(8):
        api(world.billing).get("/api/v1/reports/summary/")


def test_fee_schedule_billing_edits_and_reads_staff_are_refused(world, api, aba_code):
    body = {
        "billing_code": aba_code.pk,
        "modifier": "",
        "usual_rate": "18.00",
        "floor_rate": "14.50",
    }
    assert api(world.staff).post("/api/v1/practice-rates/", body, format="json").status_code == 403
    response = api(world.billing).post("/api/v1/practice-rates/", body, format="json")
    assert response.status_code == 201, response.content
    rate_id = response.json()["id"]
    assert (
        api(world.billing).get("/api/v1/practice-rates/").json()["results"][0]["usual_rate"]
        == "18.00"
    )
    # the floors are billing's, in the API as on the page (tests/sca_portal/test_hardening)
    assert api(world.staff).get("/api/v1/practice-rates/").status_code == 403
    assert api(world.staff).get(f"/api/v1/practice-rates/{rate_id}/").status_code == 403
    assert (
        api(world.staff)
        .patch(f"/api/v1/practice-rates/{rate_id}/", {"usual_rate": "1.00"}, format="json")
        .status_code
        == 403
    )
    assert api(world.other_staff).get(f"/api/v1/practice-rates/{rate_id}/").status_code == 404
    other_billing = MembershipFactory(practice=world.other_practice, role="billing").user
    assert api(other_billing).get(f"/api/v1/practice-rates/{rate_id}/").status_code == 404
    assert api(other_billing).get("/api/v1/practice-rates/").json()["results"] == []
    # duplicate code and modifier
    dup = api(world.billing).post("/api/v1/practice-rates/", body, format="json")
    assert dup.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"usual_rate": "10.00", "floor_rate": "12.00"}, "non_field_errors"),
        ({"usual_rate": "-1.00"}, "usual_rate"),
        ({"usual_rate": "10.00", "modifier": "ZZ"}, "modifier"),
    ],
)
def test_fee_schedule_validation(world, api, aba_code, body, field):
    response = api(world.billing).post(
        "/api/v1/practice-rates/", {"billing_code": aba_code.pk, **body}, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert not PracticeRate.objects.exists()


def test_practice_rate_history(world):
    rate = PracticeRateFactory(practice=world.practice)
    assert rate.history.count() == 1


def test_report_is_cached_per_practice_set_for_a_minute(
    world, api, settings, django_assert_max_num_queries
):
    from django.core.cache import cache

    billing = api(world.billing)
    first = billing.get("/api/v1/reports/summary/").json()
    decided(world, InsurerFactory(name="Gamma"), "approved", 3)
    with django_assert_max_num_queries(1):  # memberships only
        assert billing.get("/api/v1/reports/summary/").json() == first
    cache.clear()  # what the minute's expiry does
    assert billing.get("/api/v1/reports/summary/").json()["cases_by_status"]["approved"] == 1
