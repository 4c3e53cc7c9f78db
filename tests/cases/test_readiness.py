"""One test per readiness rule (DESIGN.md section 6), through the submit endpoint."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Case, Consent
from cases.selectors.readiness import case_readiness
from tests.factories import (
    BillingCodeFactory,
    ConsentFactory,
    NetworkSearchFactory,
    PolicyRateFactory,
    RatePolicyFactory,
    RequestedServiceFactory,
)

TODAY = timezone.localdate


def submit(api, user, case):
    return api(user).post(f"/api/v1/cases/{case.pk}/submit/", {}, format="json")


def codes(response):
    return {e["code"] for e in response.json()["errors"]}


def assert_refused_with(api, world, case, code):
    response = submit(api, world.staff, case)
    assert response.status_code == 400, response.content
    assert code in codes(response)
    case.refresh_from_db()
    assert case.status == "draft" and case.submitted_at is None


def check(case, code):
    return next(c for c in case_readiness(case).checks if c.code == code)


def test_ready_case_submits(world, api, ready_case):
    response = submit(api, world.staff, ready_case)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"


def test_no_services(world, api, ready_case):
    ready_case.services.all().delete()
    assert_refused_with(api, world, ready_case, "no_services")


def test_network_search_incomplete(world, api, ready_case):
    ready_case.network_searches.first().delete()  # 2 of the 3 the policy needs
    assert_refused_with(api, world, ready_case, "network_search_incomplete")
    assert "2 so far" in check(ready_case, "network_search_incomplete").detail


def test_network_search_incomplete_counts_only_unsuccessful_attempts(world, api, ready_case):
    search = ready_case.network_searches.first()
    search.outcome = "available"
    search.save()
    assert_refused_with(api, world, ready_case, "network_search_incomplete")


def test_network_search_follows_the_policy_minimum(world, api, ready_case, policy):
    ready_case.network_searches.first().delete()
    policy.min_network_attempts = 2
    policy.save()
    assert check(ready_case, "network_search_incomplete").ok


def test_network_search_not_needed_for_continuity_of_care(world, ready_case):
    ready_case.network_searches.all().delete()
    ready_case.reason = "continuity_of_care"
    ready_case.save()
    assert check(ready_case, "network_search_incomplete").ok


def test_network_search_defaults_to_three_without_a_policy(world, ready_case, policy):
    policy.delete()
    ready_case.network_searches.first().delete()
    result = check(ready_case, "network_search_incomplete")
    assert not result.ok and "3" in result.detail


@pytest.mark.parametrize("days", [0, -5])
def test_treatment_already_started(world, api, ready_case, days):
    ready_case.planned_start_date = TODAY() + dt.timedelta(days=days)
    ready_case.save()
    assert_refused_with(api, world, ready_case, "treatment_already_started")


def test_treatment_start_rule_relaxed_for_non_aba_when_policy_allows(world, ready_case, policy):
    ready_case.service_type = "speech"
    ready_case.planned_start_date = TODAY() - dt.timedelta(days=10)
    ready_case.save()
    policy.requires_pre_treatment = False
    policy.save()
    assert check(ready_case, "treatment_already_started").ok
    policy.requires_pre_treatment = True
    policy.save()
    assert not check(ready_case, "treatment_already_started").ok


def test_consent_missing_when_practice_initiates(world, api, ready_case):
    ready_case.initiated_by = "practice"
    ready_case.save()
    assert_refused_with(api, world, ready_case, "consent_missing")
    ConsentFactory(case=ready_case, acknowledges_costs=False)
    assert_refused_with(api, world, ready_case, "consent_missing")
    ConsentFactory(case=ready_case, acknowledges_costs=True)
    assert submit(api, world.staff, ready_case).status_code == 200


def test_consent_missing_when_policy_requires_it(world, api, ready_case, policy):
    policy.requires_consent = True
    policy.save()
    assert_refused_with(api, world, ready_case, "consent_missing")


def test_consent_defaults_without_policy_only_when_practice_initiates(world, ready_case, policy):
    policy.delete()
    assert check(ready_case, "consent_missing").ok
    ready_case.initiated_by = "practice"
    ready_case.save()
    assert not check(ready_case, "consent_missing").ok


def test_remaining_missing(world, api, ready_case):
    ready_case.reason = "provider_transition"
    ready_case.treatment_started_on = TODAY() - dt.timedelta(days=60)
    ready_case.sessions_remaining = None
    ready_case.save()
    assert_refused_with(api, world, ready_case, "remaining_missing")


def test_sessions_exceed_remaining(world, api, ready_case):
    ready_case.reason = "provider_transition"
    ready_case.treatment_started_on = TODAY() - dt.timedelta(days=60)
    ready_case.sessions_remaining = 10
    ready_case.sessions_requested = 11
    ready_case.save()
    assert_refused_with(api, world, ready_case, "sessions_exceed_remaining")
    ready_case.sessions_requested = 10
    ready_case.save()
    assert submit(api, world.staff, ready_case).status_code == 200


def test_code_not_aba(world, api, ready_case):
    RequestedServiceFactory(
        case=ready_case,
        billing_code=BillingCodeFactory(code="90837", is_aba=False, category="other"),
    )
    assert_refused_with(api, world, ready_case, "code_not_aba")
    assert "90837" in check(ready_case, "code_not_aba").detail


def test_code_inactive(world, api, ready_case):
    RequestedServiceFactory(
        case=ready_case, billing_code=BillingCodeFactory(code="0359T", is_active=False)
    )
    assert_refused_with(api, world, ready_case, "code_inactive")


def test_period_invalid(world, api, ready_case):
    ready_case.requested_end = ready_case.requested_start
    ready_case.save()
    assert_refused_with(api, world, ready_case, "period_invalid")
    ready_case.requested_end = None
    ready_case.save()
    assert_refused_with(api, world, ready_case, "period_invalid")


def test_period_too_long(world, api, ready_case, policy):
    policy.max_agreement_days = 90
    policy.save()
    assert_refused_with(api, world, ready_case, "period_too_long")
    ready_case.requested_end = ready_case.requested_start + dt.timedelta(days=89)
    ready_case.save()
    assert check(ready_case, "period_too_long").ok


def test_provider_missing(world, api, ready_case):
    ready_case.provider = None
    ready_case.save()
    assert_refused_with(api, world, ready_case, "provider_missing")


def test_justification_missing(world, api, ready_case):
    ready_case.clinical_justification = "   "
    ready_case.save()
    assert_refused_with(api, world, ready_case, "justification_missing")


def test_several_failing_rules_come_back_together_in_one_400(world, api, ready_case):
    ready_case.services.all().delete()
    ready_case.network_searches.all().delete()
    ready_case.initiated_by = "practice"
    ready_case.planned_start_date = TODAY()
    ready_case.requested_end = ready_case.requested_start - dt.timedelta(days=1)
    ready_case.save()
    response = submit(api, world.staff, ready_case)
    assert response.status_code == 400
    body = response.json()
    assert codes(response) == {
        "no_services",
        "network_search_incomplete",
        "treatment_already_started",
        "consent_missing",
        "period_invalid",
    }
    assert body["code"] in codes(response)
    assert "5 check(s) failed" in body["detail"]
    assert all(e["detail"] for e in body["errors"])


def test_warnings_do_not_block(world, api, ready_case, policy):
    policy.kind = "highest_network_rate"  # a blank rate is right (negotiable: rate_missing)
    policy.save()
    service = ready_case.services.get()
    service.requested_rate = Decimal("10.00")
    service.save()
    PolicyRateFactory(
        policy=policy, billing_code=service.billing_code, highest_network_rate=Decimal("15.00")
    )
    RequestedServiceFactory(
        case=ready_case, billing_code=BillingCodeFactory(code="97155"), requested_rate=None
    )
    response = api(world.staff).get(f"/api/v1/cases/{ready_case.pk}/readiness/")
    data = response.json()
    warnings = {c["code"]: c for c in data["checks"] if c["severity"] == "warning"}
    assert data["ready"] is True
    assert warnings["rate_below_network"]["ok"] is False
    assert "97153" in warnings["rate_below_network"]["detail"]
    rate = next(c for c in data["checks"] if c["code"] == "rate_missing")
    assert rate["ok"] is True and "97155" in rate["detail"]  # the policy sets the rate
    assert warnings["no_policy_in_force"]["ok"] is True
    assert submit(api, world.staff, ready_case).status_code == 200


def test_no_policy_in_force_is_a_warning(world, ready_case, policy):
    policy.effective_to = TODAY() - dt.timedelta(days=1)
    policy.effective_from = TODAY() - dt.timedelta(days=30)
    policy.save()
    result = check(ready_case, "no_policy_in_force")
    assert result.severity == "warning" and not result.ok
    assert case_readiness(ready_case).ready


def test_policy_in_force_on_submission_date_is_used(world, ready_case, policy):
    policy.effective_to = TODAY() - dt.timedelta(days=1)
    policy.save()
    RatePolicyFactory(
        practice=world.practice,
        insurer=policy.insurer,
        effective_from=TODAY(),
        min_network_attempts=4,
    )
    result = check(ready_case, "network_search_incomplete")
    assert not result.ok and "4" in result.detail
    NetworkSearchFactory(case=ready_case)
    assert check(ready_case, "network_search_incomplete").ok


def test_readiness_endpoint_shape(world, api, ready_case):
    data = api(world.staff).get(f"/api/v1/cases/{ready_case.pk}/readiness/").json()
    assert set(data) == {"ready", "checks"}
    assert data["ready"] is True
    for c in data["checks"]:
        assert set(c) == {"code", "ok", "severity", "detail"}
        assert c["severity"] in {"error", "warning"}


def test_submit_sets_channel_and_follow_up_from_policy(world, api, ready_case, policy):
    response = submit(api, world.staff, ready_case)
    case = Case.objects.get(pk=ready_case.pk)
    assert case.submission_channel == "fax"
    assert case.follow_up_on == TODAY() + dt.timedelta(days=14)
    assert response.json()["version"] == 2
    assert not Consent.objects.exists()
