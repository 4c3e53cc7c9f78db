"""Readiness by reason (issue 14, DESIGN.md rules 3 and 5): care under way against new
treatment, what remains, the requested period's earliest start, rates by policy, and the
attachments and provider documents a policy names. One test per rule."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.selectors.case import with_readiness
from cases.selectors.readiness import case_readiness
from tests.factories import (
    BillingCodeFactory,
    CaseAttachmentFactory,
    CaseFactory,
    ClientFactory,
    ProviderDocumentFactory,
    ProviderFactory,
    RequestedServiceFactory,
)

TODAY = timezone.localdate


def days(n: int) -> dt.date:
    return TODAY() + dt.timedelta(days=n)


def submit(api, user, case):
    return api(user).post(f"/api/v1/cases/{case.pk}/submit/", {}, format="json")


def failing(case) -> set[str]:
    return {c.code for c in case_readiness(case).failing_errors}


def check(case, code):
    return next(c for c in case_readiness(case).checks if c.code == code)


def under_way(case, *, started=-120, changed=None, remaining=72, reason="provider_transition"):
    """``case`` as care under way: in treatment since ``started`` days from today."""
    case.reason = reason
    case.treatment_started_on = days(started)
    case.coverage_change_on = days(changed) if changed is not None else None
    case.planned_start_date = None
    case.sessions_remaining = remaining
    case.sessions_requested = min(case.sessions_requested or 0, remaining or 0) or None
    case.save()
    return case


def last_march_second() -> dt.date:
    """March 2 of this year, or of last year while this year's is not two months past."""
    today = TODAY()
    march = dt.date(today.year, 3, 2)
    return march if march <= today - dt.timedelta(days=60) else march.replace(year=today.year - 1)


# ----------------------------------------------------------------------------- rule 3


def test_transition_in_treatment_since_last_march_is_submitted_through_the_api_with_no_false_date(
    world, api, policy, aba_code
):
    """The issue's case: her provider left the network a few weeks ago; she has been in
    treatment since March. Entered as it is, it is submitted."""
    client = ClientFactory(practice=world.practice, insurer=policy.insurer)
    provider = ProviderFactory(practice=world.practice)
    started, changed = last_march_second(), days(-21)
    staff = api(world.staff)
    created = staff.post(
        "/api/v1/cases/",
        {
            "client": client.pk,
            "provider": provider.pk,
            "insurer": policy.insurer_id,
            "reason": "provider_transition",
            "service_type": "aba",
            "treatment_started_on": started.isoformat(),
            "coverage_change_on": changed.isoformat(),
            "requested_start": changed.isoformat(),
            "requested_end": (changed + dt.timedelta(days=179)).isoformat(),
            "sessions_requested": 40,
            "sessions_remaining": 40,
            "clinical_justification": "In ABA since March; her BCBA left the network.",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    service = staff.post(
        f"/api/v1/cases/{case_id}/services/",
        {"billing_code": aba_code.pk, "units": 160, "unit_period": "total",
         "requested_rate": "17.00", "units_remaining": 200},
        format="json",
    )  # fmt: skip
    assert service.status_code == 201, service.content
    case = Case.objects.get(pk=case_id)
    assert case_readiness(case).ready, case_readiness(case).failing_errors

    response = submit(api, world.staff, case)
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == "submitted"
    assert case.planned_start_date is None  # no start date invented
    assert (case.treatment_started_on, case.requested_start) == (started, changed)
    detail = staff.get(f"/api/v1/cases/{case_id}/").json()
    assert detail["treatment_started_on"] == started.isoformat()
    assert detail["coverage_change_on"] == changed.isoformat()


@pytest.mark.parametrize("reason", ["provider_transition", "continuity_of_care"])
def test_treatment_start_missing(world, api, ready_case, reason):
    ready_case.reason = reason
    ready_case.sessions_remaining = 72
    ready_case.save()
    response = submit(api, world.staff, ready_case)
    assert response.status_code == 400
    codes = {e["code"] for e in response.json()["errors"]}
    assert "treatment_start_missing" in codes
    # A care reason never asks for a planned start in the future.
    assert "treatment_already_started" not in codes
    under_way(ready_case, reason=reason)
    assert "treatment_start_missing" not in failing(ready_case)


def test_treatment_already_started_follows_the_policy_not_the_service_type(
    world, api, ready_case, policy
):
    """An ABA case of new treatment may start today when the policy does not require a
    request before treatment."""
    ready_case.planned_start_date = TODAY()
    ready_case.requested_start = TODAY()
    ready_case.save()
    assert "treatment_already_started" in failing(ready_case)
    policy.requires_pre_treatment = False
    policy.save()
    assert check(ready_case, "treatment_already_started").ok
    assert submit(api, world.staff, ready_case).status_code == 200


def test_treatment_already_started_defaults_to_required_without_a_policy(world, ready_case, policy):
    policy.delete()
    ready_case.service_type = "speech"
    ready_case.planned_start_date = TODAY()
    ready_case.save()
    assert "treatment_already_started" in failing(ready_case)


def test_treatment_already_started_does_not_apply_to_care_under_way(world, ready_case):
    under_way(ready_case, reason="specialized_expertise")
    result = check(ready_case, "treatment_already_started")
    assert result.ok and "Care under way" in result.detail
    # Under way for any reason is limited to what remains.
    ready_case.sessions_remaining = None
    ready_case.save()
    assert "remaining_missing" in failing(ready_case)


# ----------------------------------------------------------------------------- rule 5


def test_remaining_missing(world, api, ready_case, aba_code):
    under_way(ready_case, reason="continuity_of_care", remaining=None)
    assert "remaining_missing" in failing(ready_case)
    service = ready_case.services.get()
    service.units_remaining = 500
    service.save()
    assert "remaining_missing" not in failing(ready_case)  # units per code are enough
    RequestedServiceFactory(case=ready_case, billing_code=BillingCodeFactory(code="97155"))
    result = check(ready_case, "remaining_missing")
    assert not result.ok and "97155" in result.detail and "97153" not in result.detail
    ready_case.sessions_remaining = 72
    ready_case.save()
    assert check(ready_case, "remaining_missing").ok  # or the sessions remaining


def test_sessions_exceed_remaining_for_continuity_of_care(world, api, ready_case):
    under_way(ready_case, reason="continuity_of_care", remaining=10)
    ready_case.sessions_requested = 11
    ready_case.save()
    assert "sessions_exceed_remaining" in failing(ready_case)


def test_units_exceed_remaining_names_each_code(world, ready_case):
    under_way(ready_case)
    service = ready_case.services.get()  # 97153, 480 units in total
    service.units_remaining = 400
    service.save()
    RequestedServiceFactory(
        case=ready_case, billing_code=BillingCodeFactory(code="97155"), units=40, units_remaining=40
    )
    result = check(ready_case, "units_exceed_remaining")
    assert not result.ok
    assert "97153: 480 units, 400 remain" in result.detail and "97155" not in result.detail
    service.units_remaining = 480
    service.save()
    assert check(ready_case, "units_exceed_remaining").ok


def test_units_exceed_remaining_counts_units_per_week_over_the_requested_period(world, ready_case):
    under_way(ready_case)
    ready_case.requested_start = days(7)
    ready_case.requested_end = days(7 + 90)  # 91 days: 13 weeks
    ready_case.save()
    service = ready_case.services.get()
    service.units, service.unit_period, service.units_remaining = 20, "per_week", 259
    service.save()
    result = check(ready_case, "units_exceed_remaining")
    assert not result.ok
    assert "20 per week over 13.0 weeks (91 days) is 260 units, 259 remain" in result.detail
    service.units_remaining = 260
    service.save()
    assert check(ready_case, "units_exceed_remaining").ok


def test_units_exceed_remaining_counts_calendar_months(world, ready_case):
    under_way(ready_case)
    first = (TODAY().replace(day=1) + dt.timedelta(days=32)).replace(day=1)  # next month
    after = first
    for _ in range(3):
        after = (after + dt.timedelta(days=32)).replace(day=1)
    ready_case.requested_start, ready_case.requested_end = first, after - dt.timedelta(days=1)
    ready_case.save()
    service = ready_case.services.get()
    service.units, service.unit_period, service.units_remaining = 100, "per_month", 300
    service.save()
    assert check(ready_case, "units_exceed_remaining").ok  # three calendar months: 300
    service.units_remaining = 299
    service.save()
    assert "per month over 3.0 months" in check(ready_case, "units_exceed_remaining").detail


# ----------------------------------------------------------------------------- the period


def test_period_already_started_for_new_treatment(world, api, ready_case, policy):
    policy.requires_pre_treatment = False
    policy.save()
    ready_case.requested_start = days(-1)
    ready_case.save()
    response = submit(api, world.staff, ready_case)
    assert response.status_code == 400
    error = next(e for e in response.json()["errors"] if e["code"] == "period_already_started")
    assert f"earliest start allowed is {TODAY().isoformat()}" in error["detail"]
    assert "enter the day it began" in error["detail"]  # the true date, not a later one


def test_retro_days_let_new_treatment_start_in_the_past(world, ready_case, policy):
    policy.requires_pre_treatment = False
    policy.retro_days = 5
    policy.save()
    ready_case.requested_start = days(-5)
    ready_case.save()
    assert check(ready_case, "period_already_started").ok
    ready_case.requested_start = days(-6)
    ready_case.save()
    result = check(ready_case, "period_already_started")
    assert (
        not result.ok and days(-5).isoformat() in result.detail and "5 days back" in result.detail
    )


def test_care_under_way_starts_at_the_coverage_change(world, ready_case):
    under_way(ready_case, changed=-30)
    ready_case.requested_start = days(-30)
    ready_case.save()
    assert check(ready_case, "period_already_started").ok
    ready_case.requested_start = days(-31)
    ready_case.save()
    result = check(ready_case, "period_already_started")
    assert not result.ok and f"coverage change ({days(-30).isoformat()})" in result.detail


def test_continuity_days_bound_how_far_back_care_under_way_starts(world, ready_case, policy):
    under_way(ready_case, started=-300, changed=-120)
    ready_case.requested_start = days(-120)
    ready_case.save()
    result = check(ready_case, "period_already_started")
    assert not result.ok  # the default window is 90 days
    assert days(-90).isoformat() in result.detail and "90 days at most" in result.detail
    ready_case.requested_start = days(-90)
    ready_case.save()
    assert check(ready_case, "period_already_started").ok
    policy.continuity_days = 150
    policy.save()
    ready_case.requested_start = days(-120)
    ready_case.save()
    assert check(ready_case, "period_already_started").ok
    policy.delete()  # no policy: 90 days
    assert not check(ready_case, "period_already_started").ok


# ----------------------------------------------------------------------------- rates


def test_rate_missing_is_an_error_under_a_negotiable_policy(world, api, ready_case, policy):
    RequestedServiceFactory(
        case=ready_case, billing_code=BillingCodeFactory(code="97155"), requested_rate=None
    )
    response = submit(api, world.staff, ready_case)
    assert response.status_code == 400
    error = next(e for e in response.json()["errors"] if e["code"] == "rate_missing")
    assert "97155" in error["detail"]


@pytest.mark.parametrize(
    "kind, says",
    [("highest_network_rate", "highest in-network rate"), ("percent_of_reference", "90% of")],
)
def test_rate_missing_passes_when_the_policy_sets_the_rate(
    world, api, ready_case, policy, kind, says
):
    policy.kind, policy.percent, policy.reference_schedule = kind, Decimal("90.00"), "tricare"
    policy.save()
    service = ready_case.services.get()
    service.requested_rate = None
    service.save()
    result = check(ready_case, "rate_missing")
    assert result.ok and "policy sets the rate" in result.detail and says in result.detail
    assert submit(api, world.staff, ready_case).status_code == 200


def test_rate_missing_stays_a_warning_without_a_policy(world, ready_case, policy):
    policy.delete()
    service = ready_case.services.get()
    service.requested_rate = None
    service.save()
    result = check(ready_case, "rate_missing")
    assert (result.ok, result.severity) == (False, "warning")
    assert case_readiness(ready_case).ready


# ----------------------------------------------------------------------------- packet contents


def test_attachment_missing_names_each_kind(world, api, ready_case, policy):
    policy.required_attachments = ["assessment", "treatment_plan"]
    policy.save()
    response = submit(api, world.staff, ready_case)
    assert response.status_code == 400
    error = next(e for e in response.json()["errors"] if e["code"] == "attachment_missing")
    assert "Assessment" in error["detail"] and "Treatment plan" in error["detail"]
    CaseAttachmentFactory(case=ready_case, kind="assessment")
    CaseAttachmentFactory(case=ready_case, kind="treatment_plan", archived_at=timezone.now())
    result = check(ready_case, "attachment_missing")
    assert not result.ok and "Treatment plan" in result.detail and "Assessment" not in result.detail
    CaseAttachmentFactory(case=ready_case, kind="treatment_plan")
    assert submit(api, world.staff, ready_case).status_code == 200


def test_provider_document_missing(world, api, ready_case, policy):
    policy.required_provider_documents = ["bcba_certificate", "w9"]
    policy.save()
    assert "provider_document_missing" in failing(ready_case)
    # Another provider's certificate and another practice's W-9 do not count.
    ProviderDocumentFactory(
        practice=world.practice,
        provider=ProviderFactory(practice=world.practice),
        kind="bcba_certificate",
    )
    ProviderDocumentFactory(practice=world.other_practice, kind="w9")
    result = check(ready_case, "provider_document_missing")
    assert not result.ok and "BCBA certificate" in result.detail and "W-9" in result.detail
    # The treating provider's own certificate, the practice's W-9.
    ProviderDocumentFactory(
        practice=world.practice, provider=ready_case.provider, kind="bcba_certificate"
    )
    ProviderDocumentFactory(practice=world.practice, kind="w9", archived_at=timezone.now())
    assert "W-9" in check(ready_case, "provider_document_missing").detail  # archived
    ProviderDocumentFactory(practice=world.practice, kind="w9")
    assert submit(api, world.staff, ready_case).status_code == 200


def test_provider_document_expiring_warns_and_provider_document_expired_refuses(
    world, api, ready_case, policy
):
    policy.required_provider_documents = ["license"]
    policy.save()
    document = ProviderDocumentFactory(
        practice=world.practice, provider=ready_case.provider, kind="license", expires_on=days(30)
    )
    expiring = check(ready_case, "provider_document_expiring")
    assert (expiring.ok, expiring.severity) == (False, "warning")
    assert days(30).isoformat() in expiring.detail
    assert case_readiness(ready_case).ready
    document.expires_on = days(31)
    document.save()
    assert check(ready_case, "provider_document_expiring").ok
    document.expires_on = days(-1)
    document.save()
    response = submit(api, world.staff, ready_case)
    assert response.status_code == 400
    codes = {e["code"] for e in response.json()["errors"]}
    assert "provider_document_expired" in codes and "provider_document_missing" not in codes
    # A renewed license (or one that never expires) is the one the packet encloses.
    ProviderDocumentFactory(
        practice=world.practice, provider=ready_case.provider, kind="license", expires_on=None
    )
    assert case_readiness(ready_case).ready


def _readiness_queries(case) -> int:
    case = Case.objects.select_related("insurer").get(pk=case.pk)
    with CaptureQueriesContext(connection) as ctx:
        case_readiness(case)
    return len(ctx.captured_queries)


def test_readiness_runs_a_fixed_number_of_queries_with_attachments_and_documents(
    world, ready_case, policy
):
    before = _readiness_queries(ready_case)
    policy.required_attachments = ["assessment"]
    policy.required_provider_documents = ["w9", "license"]
    policy.save()
    one = _readiness_queries(ready_case)
    assert one == before + 2  # the attachments, the provider documents
    for _ in range(5):
        CaseAttachmentFactory(case=ready_case)
        ProviderDocumentFactory(practice=world.practice, kind="w9")
        ProviderDocumentFactory(
            practice=world.practice, provider=ready_case.provider, kind="license"
        )
    assert _readiness_queries(ready_case) == one


def test_with_readiness_prefetches_attachments_and_documents_for_many_cases(world, policy):
    policy.required_attachments = ["assessment"]
    policy.required_provider_documents = ["w9"]
    policy.save()

    def queries(n: int) -> int:
        for _ in range(n):
            case = CaseFactory(practice=world.practice, insurer=policy.insurer)
            CaseAttachmentFactory(case=case)
            ProviderDocumentFactory(practice=world.practice, provider=case.provider, kind="w9")
        cases = list(
            Case.objects.filter(practice=world.practice).select_related("insurer", "client")
        )
        with CaptureQueriesContext(connection) as ctx:
            results = with_readiness(cases, on=TODAY())
        assert all(r.policy == policy for _, r in results)
        assert all(
            next(c for c in r.checks if c.code == "attachment_missing").ok for _, r in results
        )
        return len(ctx.captured_queries)

    assert queries(1) == queries(5)


# ----------------------------------------------------------------------------- bad values


def test_api_refuses_a_treatment_start_in_the_future(world, api, ready_case):
    response = api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/",
        {"version": ready_case.version, "treatment_started_on": days(1).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "treatment_started_on" in response.json()


def test_api_refuses_a_coverage_change_before_treatment_began(world, api, ready_case):
    response = api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/",
        {"version": ready_case.version, "treatment_started_on": days(-10).isoformat(),
         "coverage_change_on": days(-20).isoformat()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "coverage_change_on" in response.json()
    ready_case.refresh_from_db()
    assert ready_case.treatment_started_on is None


@pytest.mark.parametrize("value", [-1, 100001, "many"])
def test_api_refuses_bad_units_remaining(world, api, ready_case, value):
    service = ready_case.services.get()
    response = api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/services/{service.pk}/",
        {"units_remaining": value},
        format="json",
    )
    assert response.status_code == 400
    assert "units_remaining" in response.json()


@pytest.mark.parametrize(
    "field, value",
    [
        ("retro_days", 366),
        ("continuity_days", -1),
        ("required_attachments", ["x_ray"]),
        ("required_attachments", "assessment"),
        ("required_provider_documents", ["w9", "w9"]),
    ],
)
def test_api_refuses_bad_policy_protocol_values(world, api, policy, field, value):
    response = api(world.admin).patch(
        f"/api/v1/rate-policies/{policy.pk}/", {field: value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_api_saves_the_policy_protocol(world, api, policy):
    body = {
        "retro_days": 14,
        "continuity_days": 120,
        "required_attachments": ["assessment", "treatment_plan"],
        "required_provider_documents": ["bcba_certificate"],
    }
    response = api(world.admin).patch(f"/api/v1/rate-policies/{policy.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in body} == body


# ----------------------------------------------------------------------------- pages


def test_the_details_step_takes_the_care_under_way_dates(world, web, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "details"])
    browser = web(world.staff)
    page = browser.get(step).content.decode()
    assert 'name="treatment_started_on"' in page and 'name="coverage_change_on"' in page
    form = {
        "version": ready_case.version, "insurer": ready_case.insurer_id,
        "provider": ready_case.provider_id, "reason": "provider_transition",
        "initiated_by": "patient", "service_type": "aba",
        "requested_start": days(-14).isoformat(), "requested_end": days(150).isoformat(),
        "sessions_requested": "30", "sessions_remaining": "30",
        "clinical_justification": "Continuing care.",
    }  # fmt: skip
    future = browser.post(step, form | {"treatment_started_on": days(2).isoformat()})
    assert future.status_code == 400 and "This date is in the future." in future.content.decode()
    form |= {"treatment_started_on": days(-200).isoformat(), "coverage_change_on": days(-14)}
    assert browser.post(step, form).status_code == 302
    ready_case.refresh_from_db()
    assert ready_case.treatment_started_on == days(-200)
    assert ready_case.coverage_change_on == days(-14)
    assert case_readiness(ready_case).ready


def test_the_services_step_and_the_review_show_what_remains(world, web, ready_case, aba_code):
    under_way(ready_case, remaining=30)
    ready_case.sessions_requested = 30
    ready_case.save()
    step = reverse("cases:request_step", args=[ready_case.pk, "services"])
    browser = web(world.staff)
    assert 'name="svc-units_remaining"' in browser.get(step).content.decode()
    code = BillingCodeFactory(code="97155")
    response = browser.post(
        step,
        {"svc-billing_code": code.pk, "svc-units": "40", "svc-unit_period": "total",
         "svc-requested_rate": "30.00", "svc-units_remaining": "60"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ready_case.services.get(billing_code=code).units_remaining == 60
    review = browser.get(reverse("cases:request_step", args=[ready_case.pk, "review"]))
    html = review.content.decode()
    assert "30 remaining" in html and "(60 units remaining)" in html
    assert "In treatment since" in html


def test_the_policy_form_ticks_required_attachments_and_documents(world, web, policy):
    from tests.cases.test_views_reference import policy_post

    policy.effective_from = days(10)  # not yet in force: edited in place, not revised
    policy.save()
    browser = web(world.admin)
    edit = reverse("cases:policy_edit", args=[policy.pk])
    page = browser.get(edit).content.decode()
    assert 'type="checkbox" name="required_attachments" value="assessment"' in page
    data = policy_post(
        policy,
        retro_days="7",
        continuity_days="60",
        required_attachments=["assessment", "referral"],
        required_provider_documents=["w9"],
    )
    response = browser.post(edit, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy.refresh_from_db()
    assert (policy.retro_days, policy.continuity_days) == (7, 60)
    assert policy.required_attachments == ["assessment", "referral"]
    assert policy.required_provider_documents == ["w9"]


def test_a_date_outside_this_century_is_refused_on_its_field(world, api, ready_case):
    # 9999-12-31 once passed and then broke every page of the case (the period's sums overflow).
    url = f"/api/v1/cases/{ready_case.pk}/"
    for field in ("requested_end", "requested_start", "planned_start_date", "coverage_change_on"):
        body = {"version": ready_case.version, field: "9999-12-31"}
        response = api(world.staff).patch(url, body, format="json")
        assert response.status_code == 400, (field, response.json())
        assert field in response.json()
    assert api(world.staff).get(f"{url}readiness/").status_code == 200
