"""Renewal that knows what it renews (DESIGN.md rules 5 and 9, issue 15): the new draft asks
for the agreed codes, units and rates, names the authorization it renews with what was used of
it, and readiness asks a renewal for a progress report and, when the policy says so, a fresh
in-network search. The confirmation page, and the rate policy's appeal and renewal fields."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, NetworkSearch, RatePolicy
from cases.selectors.readiness import case_readiness
from cases.services.renewal import case_renew
from negotiations.models import UtilizationEntry
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    BillingCodeFactory,
    CaseAttachmentFactory,
    NetworkSearchFactory,
    RequestedServiceFactory,
)

TODAY = timezone.localdate


def decide(case: Case, status: str, *, submitted_days_ago: int = 200) -> Case:
    Case.objects.filter(pk=case.pk).update(
        status=status,
        submitted_at=timezone.now() - dt.timedelta(days=submitted_days_ago),
        decided_at=timezone.now() - dt.timedelta(days=submitted_days_ago - 20),
    )
    case.refresh_from_db()
    return case


def use(agreement, code, *, days: int, units: int) -> None:
    """``days`` sessions of ``units`` units each, one per day from the agreement's start."""
    for day in range(days):
        UtilizationEntry.objects.create(
            agreement=agreement,
            billing_code=code,
            units=units,
            service_date=agreement.start_date + dt.timedelta(days=day),
        )


@pytest.fixture
def supervision_code(db):
    return BillingCodeFactory(code="97155", short_description="Protocol modification by BCBA")


@pytest.fixture
def approved_case(ready_case, aba_code, supervision_code):
    """Requested 480 units of 97153 at $17.00 and 10 a week of 97155 at $22.00; agreed 400 at
    $15.00 and 8 a week at $20.00 (authorization AUTH-7781, 40 sessions); 5 sessions of 4
    units of 97153 used so far."""
    RequestedServiceFactory(
        case=ready_case,
        billing_code=supervision_code,
        units=10,
        unit_period="per_week",
        requested_rate=Decimal("22.00"),
    )
    decide(ready_case, "approved")
    start = TODAY() - dt.timedelta(days=150)
    agreement = AgreementFactory(
        case=ready_case,
        authorization_number="AUTH-7781",
        start_date=start,
        end_date=start + dt.timedelta(days=181),  # 26 weeks
        sessions_authorized=40,
    )
    AgreementLineFactory(
        agreement=agreement, billing_code=aba_code, rate=Decimal("15.00"), units_authorized=400
    )
    AgreementLineFactory(
        agreement=agreement,
        billing_code=supervision_code,
        rate=Decimal("20.00"),
        units_authorized=8,
        unit_period="per_week",
    )
    use(agreement, aba_code, days=5, units=4)
    return ready_case


def renew(api, user, case):
    return api(user).post(f"/api/v1/cases/{case.pk}/renew/", {}, format="json")


def lines(case: Case) -> dict:
    return {s.billing_code.code: s for s in case.services.select_related("billing_code")}


# ----------------------------------------------------------------------------- what it carries


def test_renewal_copies_agreed_rates_not_requested(world, api, approved_case):
    response = renew(api, world.staff, approved_case)
    assert response.status_code == 201, response.content
    new = Case.objects.get(pk=response.json()["id"])
    carried = lines(new)
    assert set(carried) == {"97153", "97155"}
    assert (carried["97153"].units, carried["97153"].unit_period) == (400, "total")
    assert carried["97153"].requested_rate == Decimal("15.00")
    assert (carried["97155"].units, carried["97155"].unit_period) == (8, "per_week")
    assert carried["97155"].requested_rate == Decimal("20.00")
    # the provider and the client (whose diagnosis codes the draft reads) carry over
    assert (new.provider_id, new.client_id) == (approved_case.provider_id, approved_case.client_id)
    # the new period starts the day after the agreement ends
    assert new.requested_start == approved_case.agreement.end_date + dt.timedelta(days=1)
    assert response.json()["status"] == "draft"


def test_renewal_leaves_out_requested_codes_the_agreement_left_out(world, api, approved_case):
    RequestedServiceFactory(case=approved_case, billing_code=BillingCodeFactory(code="97156"))
    new = Case.objects.get(pk=renew(api, world.staff, approved_case).json()["id"])
    assert set(lines(new)) == {"97153", "97155"}


def test_renewal_records_prior_authorization_and_units_used(world, api, approved_case):
    new = Case.objects.get(pk=renew(api, world.staff, approved_case).json()["id"])
    assert new.prior_authorization_number == "AUTH-7781"
    assert (new.prior_sessions_authorized, new.prior_sessions_used) == (40, 5)
    carried = lines(new)
    assert (carried["97153"].prior_units_authorized, carried["97153"].prior_units_used) == (400, 20)
    # 8 a week over the agreement's 26 weeks
    assert (carried["97155"].prior_units_authorized, carried["97155"].prior_units_used) == (208, 0)
    # new treatment is not limited to what remains
    assert carried["97153"].units_remaining is None
    event = new.events.get()
    assert "AUTH-7781" in event.message and event.data["agreed_terms"] is True


def test_renewal_of_care_under_way_carries_units_remaining(world, api, approved_case):
    Case.objects.filter(pk=approved_case.pk).update(
        reason="continuity_of_care",
        treatment_started_on=TODAY() - dt.timedelta(days=400),
        sessions_remaining=40,
    )
    new = Case.objects.get(pk=renew(api, world.staff, approved_case).json()["id"])
    carried = lines(new)
    assert carried["97153"].units_remaining == 400 - 20
    assert carried["97155"].units_remaining == 208
    assert new.treatment_started_on == TODAY() - dt.timedelta(days=400)


def test_renewal_units_remaining_never_below_zero(world, api, approved_case, supervision_code):
    Case.objects.filter(pk=approved_case.pk).update(reason="provider_transition")
    UtilizationEntry.objects.create(
        agreement=approved_case.agreement,
        billing_code=supervision_code,
        units=300,
        service_date=approved_case.agreement.start_date,
        over_authorized=True,
    )
    new = Case.objects.get(pk=renew(api, world.staff, approved_case).json()["id"])
    supervision = lines(new)["97155"]
    assert (supervision.prior_units_used, supervision.units_remaining) == (300, 0)


def test_renewal_without_agreement_copies_requested(world, api, ready_case):
    decide(ready_case, "denied")
    response = renew(api, world.staff, ready_case)
    assert response.status_code == 201, response.content
    new = Case.objects.get(pk=response.json()["id"])
    service = new.services.get()
    assert (service.units, service.requested_rate) == (480, Decimal("17.00"))
    assert (service.prior_units_authorized, service.prior_units_used) == (None, None)
    assert new.prior_authorization_number == ""
    assert (new.prior_sessions_authorized, new.prior_sessions_used) == (None, None)
    assert new.requested_start == ready_case.requested_end + dt.timedelta(days=1)


def test_an_expired_case_renews_with_its_agreed_terms(world, api, approved_case):
    Case.objects.filter(pk=approved_case.pk).update(status="expired")
    new = Case.objects.get(pk=renew(api, world.staff, approved_case).json()["id"])
    assert lines(new)["97153"].requested_rate == Decimal("15.00")
    assert new.prior_authorization_number == "AUTH-7781"


# ----------------------------------------------------------------------------- readiness


def check(case: Case, code: str):
    fresh = Case.objects.get(pk=case.pk)
    found = [c for c in case_readiness(fresh).checks if c.code == code]
    return found[0] if found else None


def test_renewal_readiness_needs_progress_report(world, approved_case):
    new = case_renew(case_id=approved_case.pk, actor=world.staff)
    missing = check(new, "progress_report_missing")
    assert missing is not None and not missing.ok and missing.severity == "error"
    assert "progress report" in missing.detail.lower()
    archived = CaseAttachmentFactory(case=new, kind="progress_report", uploaded_by=world.staff)
    archived.archived_at = timezone.now()
    archived.save()
    assert not check(new, "progress_report_missing").ok  # an archived one is not current
    CaseAttachmentFactory(case=new, kind="progress_report", uploaded_by=world.staff)
    assert check(new, "progress_report_missing").ok
    # a first request is no renewal: no such check
    assert check(approved_case, "progress_report_missing") is None


def test_renewal_readiness_needs_fresh_searches_when_policy_says_so(world, policy, approved_case):
    new = case_renew(case_id=approved_case.pk, actor=world.staff)
    submitted_on = timezone.localdate(approved_case.submitted_at)
    NetworkSearchFactory.create_batch(3, case=new, contacted_on=submitted_on)  # not after it
    assert check(new, "network_search_stale").ok  # the policy does not ask

    RatePolicy.objects.filter(pk=policy.pk).update(renewal_requires_searches=True)
    stale = check(new, "network_search_stale")
    assert not stale.ok and stale.severity == "error"
    assert submitted_on.isoformat() in stale.detail and "0 so far" in stale.detail
    assert check(new, "network_search_incomplete").ok  # three attempts, but old ones

    NetworkSearchFactory.create_batch(2, case=new, contacted_on=TODAY() - dt.timedelta(days=3))
    NetworkSearchFactory(case=new, contacted_on=TODAY() - dt.timedelta(days=2), outcome="accepted")
    assert not check(new, "network_search_stale").ok  # an accepted referral does not count
    NetworkSearchFactory(case=new, contacted_on=TODAY() - dt.timedelta(days=1))
    assert check(new, "network_search_stale").ok

    # only network inadequacy documents a search
    Case.objects.filter(pk=new.pk).update(reason="specialized_expertise")
    NetworkSearch.objects.filter(case=new).delete()
    assert check(new, "network_search_stale").ok


def test_renewal_readiness_reads_the_renewed_case_once_for_many(world, policy, approved_case):
    from cases.selectors.case import with_readiness

    RatePolicy.objects.filter(pk=policy.pk).update(renewal_requires_searches=True)
    new = case_renew(case_id=approved_case.pk, actor=world.staff)
    cases = list(
        Case.objects.select_related("client", "insurer").filter(pk__in=[new.pk, approved_case.pk])
    )
    with CaptureQueriesContext(connection) as queries:
        results = {c.pk: r for c, r in with_readiness(cases, on=TODAY())}
    counted = len(queries)
    stale = [c for c in results[new.pk].checks if c.code == "network_search_stale"][0]
    assert not stale.ok
    # a second renewal adds no query
    other = case_renew(case_id=decide(_another_case(world, policy), "denied").pk, actor=world.staff)
    cases = list(
        Case.objects.select_related("client", "insurer").filter(
            pk__in=[new.pk, approved_case.pk, other.pk]
        )
    )
    with CaptureQueriesContext(connection) as queries:
        with_readiness(cases, on=TODAY())
    assert len(queries) == counted


def _another_case(world, policy):
    from tests.factories import CaseFactory

    case = CaseFactory(practice=world.practice, insurer=policy.insurer, created_by=world.staff)
    RequestedServiceFactory(case=case)
    return case


# ----------------------------------------------------------------------------- the page


def test_renew_confirm_page_shows_agreed_terms(
    world, web, approved_case, django_assert_max_num_queries
):
    url = reverse("cases:renew_confirm", args=[approved_case.pk])
    browser = web(world.staff)
    # 20 for the page, the session's second-factor check (once a minute) and the access log's
    # write (the entry and its subjects, in a savepoint): 24.
    with django_assert_max_num_queries(24):
        response = browser.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "$15.00" in html and "$20.00" in html
    assert "$17.00" not in html and "$22.00" not in html
    assert "AUTH-7781" in html
    assert "20 of 400" in html and "5 of 40 used" in html
    start = approved_case.agreement.end_date + dt.timedelta(days=1)
    assert start.strftime("%b") in html and str(start.year) in html
    assert "Start the renewal" in html and "Cancel" in html
    assert response["Cache-Control"].count("no-store") == 1
    assert not Case.objects.filter(renewal_of=approved_case).exists()  # a GET starts nothing


def test_renew_confirm_page_query_count_is_constant(world, web, approved_case, aba_code):
    url = reverse("cases:renew_confirm", args=[approved_case.pk])
    browser = web(world.staff)
    browser.get(url)
    with CaptureQueriesContext(connection) as few:
        browser.get(url)
    agreement = approved_case.agreement
    for code in ("97156", "97158"):
        AgreementLineFactory(agreement=agreement, billing_code=BillingCodeFactory(code=code))
    use(agreement, aba_code, days=20, units=2)
    with CaptureQueriesContext(connection) as many:
        browser.get(url)
    assert len(many) == len(few)


def test_renew_confirm_starts_the_draft_and_opens_its_details(world, web, approved_case):
    response = web(world.staff).post(reverse("cases:renew_confirm", args=[approved_case.pk]))
    renewal = Case.objects.get(renewal_of=approved_case)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:request_step", args=[renewal.pk, "details"])
    assert lines(renewal)["97153"].requested_rate == Decimal("15.00")


def test_renew_twice_is_409_already_renewed(world, web, api, approved_case):
    url = reverse("cases:renew_confirm", args=[approved_case.pk])
    browser = web(world.staff)
    assert browser.post(url).status_code == 302
    again = browser.post(url)
    assert again.status_code == 409
    renewal = Case.objects.get(renewal_of=approved_case)
    assert f"already has a renewal (case #{renewal.pk})" in again.content.decode()
    assert Case.objects.filter(renewal_of=approved_case).count() == 1
    # the page says so before anyone presses the button
    page = browser.get(url).content.decode()
    assert "Start the renewal" not in page and f"SCA #{renewal.pk}" in page
    # and the API as before
    response = renew(api, world.staff, approved_case)
    assert response.status_code == 409 and response.json()["code"] == "already_renewed"


def test_renew_confirm_shows_a_refused_status_or_archived_insurer(world, web, ready_case):
    url = reverse("cases:renew_confirm", args=[ready_case.pk])
    browser = web(world.staff)
    assert "Start the renewal" not in browser.get(url).content.decode()  # a draft
    refused = browser.post(url)
    assert refused.status_code == 409 and "cannot be renewed" in refused.content.decode()
    decide(ready_case, "denied")
    ready_case.insurer.is_active = False
    ready_case.insurer.save()
    archived = browser.post(url)
    assert archived.status_code == 400 and "is archived" in archived.content.decode()
    assert not Case.objects.filter(renewal_of=ready_case).exists()


def test_renew_confirm_other_practice_404(world, web, approved_case):
    url = reverse("cases:renew_confirm", args=[approved_case.pk])
    browser = web(world.other_staff)
    assert browser.get(url).status_code == 404
    assert browser.post(url).status_code == 404
    assert not Case.objects.filter(renewal_of=approved_case).exists()


def test_renew_confirm_needs_a_sign_in(db, web, approved_case):
    response = web().get(reverse("cases:renew_confirm", args=[approved_case.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# ----------------------------------------------------------------------------- the policy fields


def test_policy_appeal_days_are_1_to_365_or_the_line_of_business_rule(world, api, policy):
    url = f"/api/v1/rate-policies/{policy.pk}/"
    for bad in (0, 366):
        response = api(world.admin).patch(url, {"appeal_days": bad}, format="json")
        assert response.status_code == 400 and "appeal_days" in response.json()
    response = api(world.admin).patch(
        url, {"appeal_days": 60, "renewal_requires_searches": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["appeal_days"], response.json()["renewal_requires_searches"]) == (
        60,
        True,
    )
    response = api(world.admin).patch(url, {"appeal_days": None}, format="json")
    assert response.status_code == 200 and response.json()["appeal_days"] is None


def test_policy_revise_changes_appeal_days_from_a_date(world, api, policy):
    response = api(world.admin).post(
        f"/api/v1/rate-policies/{policy.pk}/revise/",
        {
            "effective_from": (TODAY() + dt.timedelta(days=1)).isoformat(),
            "reason": "Appeals window confirmed by phone",
            "appeal_days": 90,
            "renewal_requires_searches": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    new = RatePolicy.objects.get(pk=response.json()["id"])
    assert (new.appeal_days, new.renewal_requires_searches) == (90, True)
    policy.refresh_from_db()
    assert (policy.appeal_days, policy.renewal_requires_searches) == (None, False)


def test_policy_page_keeps_appeal_days_and_renewal_searches(world, web, insurer):
    from tests.cases.test_views_reference import policy_post

    new = RatePolicy(
        line_of_business="medicaid",
        effective_from=TODAY(),
        kind="negotiable",
        min_network_attempts=2,
        requires_pre_treatment=True,
        submission_channel="fax",
    )
    url = reverse("cases:policy_create", args=[insurer.pk])
    page = web(world.admin).get(url).content.decode()
    assert "Days to file the first appeal" in page
    assert "A renewal documents a fresh in-network search" in page
    refused = web(world.admin).post(url, policy_post(new, appeal_days="400"))
    assert refused.status_code == 400 and not insurer.policies.exists()
    assert refused.context["form"].errors["appeal_days"]
    response = web(world.admin).post(
        url, policy_post(new, appeal_days="45", renewal_requires_searches="on")
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    created = insurer.policies.get()
    assert (created.appeal_days, created.renewal_requires_searches) == (45, True)


def test_renewal_attachments_step_asks_for_the_progress_report(world, web, approved_case):
    new = case_renew(case_id=approved_case.pk, actor=world.staff)
    url = reverse("cases:request_step", args=[new.pk, "attachments"])
    html = web(world.staff).get(url).content.decode()
    assert "Attach a current progress report" in html
    CaseAttachmentFactory(case=new, kind="progress_report", uploaded_by=world.staff)
    html = web(world.staff).get(url).content.decode()
    assert "Attach a current progress report" not in html
