"""The transition matrix of DESIGN.md section 5, through the API."""

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import TRANSITIONS, Case, CaseEvent, CaseStatus
from tests.factories import CaseFactory

# The actions issue 3 exposes, with the body each needs.
ACTIONS = {
    "submit": {},
    "deny": {"reason": "Network adequate", "reason_category": "in_network_available"},
    "withdraw": {"reason": "Family moved"},
    "renew": {},
}
EXPECTED = {  # DESIGN.md: what each action does from each status (None: refused)
    "submit": {"draft": "submitted"},
    "deny": {"submitted": "denied", "in_negotiation": "denied"},
    "withdraw": {
        "draft": "withdrawn",
        "submitted": "withdrawn",
        "in_negotiation": "withdrawn",
        "appealed": "withdrawn",
    },
    "renew": {"approved": "approved", "denied": "denied", "expired": "expired"},
}


def put_in_status(case: Case, status: str) -> Case:
    case.status = status
    if status not in ("draft", "withdrawn"):
        case.submitted_at = timezone.now()
    case.save()
    return case


@pytest.mark.parametrize("status", CaseStatus.values)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_matrix(world, api, ready_case, status, action):
    case = put_in_status(ready_case, status)
    before = Case.objects.values().get(pk=case.pk)
    events_before = CaseEvent.objects.filter(case=case).count()
    response = api(world.staff).post(
        f"/api/v1/cases/{case.pk}/{action}/", ACTIONS[action], format="json"
    )
    expected = EXPECTED[action].get(status)
    if expected is None:
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "invalid_transition"
        assert Case.objects.values().get(pk=case.pk) == before
        assert CaseEvent.objects.filter(case=case).count() == events_before
        return
    assert response.status_code in (200, 201), response.content
    case.refresh_from_db()
    assert case.status == expected
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.actor == world.staff
    assert (
        event.kind
        == {"submit": "submitted", "deny": "denied", "withdraw": "withdrawn", "renew": "renewed"}[
            action
        ]
    )


def test_transitions_table_matches_the_design():
    # The table itself: the one place the lifecycle is written.
    assert TRANSITIONS["submit"] == (frozenset({"draft"}), "submitted")
    assert TRANSITIONS["approve"] == (frozenset({"submitted", "appealed"}), "approved")
    assert TRANSITIONS["receive_offer"] == (
        frozenset({"submitted", "in_negotiation", "appealed"}),
        "in_negotiation",
    )
    assert TRANSITIONS["deny"] == (frozenset({"submitted", "in_negotiation"}), "denied")
    assert TRANSITIONS["appeal"] == (frozenset({"denied"}), "appealed")
    assert TRANSITIONS["uphold"] == (frozenset({"appealed"}), "denied")
    assert TRANSITIONS["accept"] == (frozenset({"in_negotiation"}), "approved")
    assert TRANSITIONS["decline"] == (frozenset({"in_negotiation"}), "declined")
    assert TRANSITIONS["expire"] == (frozenset({"approved"}), "expired")


def test_deny_and_withdraw_need_a_reason(world, api, ready_case):
    put_in_status(ready_case, "submitted")
    for action in ("deny", "withdraw"):
        body = {"reason": "", **({"reason_category": "other"} if action == "deny" else {})}
        response = api(world.staff).post(
            f"/api/v1/cases/{ready_case.pk}/{action}/", body, format="json"
        )
        assert response.status_code == 400 and "reason" in response.json()
    ready_case.refresh_from_db()
    assert ready_case.status == "submitted"


def test_renew_copies_the_case_and_links_it(world, api, ready_case):
    put_in_status(ready_case, "approved")
    response = api(world.billing).post(f"/api/v1/cases/{ready_case.pk}/renew/", {}, format="json")
    assert response.status_code == 201, response.content
    new = Case.objects.get(pk=response.json()["id"])
    assert new.status == "draft" and new.renewal_of_id == ready_case.pk
    assert (new.client_id, new.provider_id, new.insurer_id) == (
        ready_case.client_id,
        ready_case.provider_id,
        ready_case.insurer_id,
    )
    assert new.clinical_justification == ready_case.clinical_justification
    assert list(new.services.values_list("billing_code__code", "units")) == list(
        ready_case.services.values_list("billing_code__code", "units")
    )
    assert new.events.get().kind == "created"
    # a second renewal of the same case is a conflict
    again = api(world.billing).post(f"/api/v1/cases/{ready_case.pk}/renew/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_renewed"


def test_renew_carries_sessions_remaining_for_a_transition(world, api, ready_case):
    ready_case.reason = "provider_transition"
    ready_case.sessions_remaining = 12
    ready_case.sessions_requested = 12
    put_in_status(ready_case, "denied")
    response = api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/renew/", {}, format="json")
    new = Case.objects.get(pk=response.json()["id"])
    assert new.sessions_remaining == 12 and new.sessions_requested == 12


def test_renewal_keeps_care_under_way_dates_for_a_transition(world, api, ready_case):
    today = timezone.localdate()
    started, changed = today - dt.timedelta(days=270), today - dt.timedelta(days=60)
    ready_case.reason = "provider_transition"
    ready_case.treatment_started_on, ready_case.coverage_change_on = started, changed
    ready_case.sessions_remaining = ready_case.sessions_requested = 12
    put_in_status(ready_case, "denied")
    response = api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/renew/", {}, format="json")
    new = Case.objects.get(pk=response.json()["id"])
    assert (new.treatment_started_on, new.coverage_change_on) == (started, changed)


def test_renewal_of_new_treatment_sets_no_care_under_way_dates(world, api, ready_case):
    # network inadequacy: not carried
    ready_case.treatment_started_on = timezone.localdate() - dt.timedelta(days=270)
    put_in_status(ready_case, "denied")
    response = api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/renew/", {}, format="json")
    new = Case.objects.get(pk=response.json()["id"])
    assert new.treatment_started_on is None and new.coverage_change_on is None


def test_draft_parts_are_frozen_after_submit(world, api, ready_case):
    api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/submit/", {}, format="json")
    base = f"/api/v1/cases/{ready_case.pk}"
    service = ready_case.services.get()
    for url, body in (
        (
            f"{base}/services/",
            {"billing_code": service.billing_code_id, "modifier": "HN", "units": 4},
        ),
        (
            f"{base}/network-searches/",
            {
                "provider_name": "X",
                "contacted_on": "2026-01-01",
                "method": "phone",
                "outcome": "no_response",
            },
        ),
        (
            f"{base}/consents/",
            {
                "signer_name": "P",
                "signer_relationship": "parent",
                "signed_on": "2026-01-01",
                "acknowledges_costs": True,
            },
        ),
    ):
        response = api(world.staff).post(url, body, format="json")
        assert response.status_code == 409 and response.json()["code"] == "case_not_draft"
    response = api(world.staff).delete(f"{base}/services/{service.pk}/")
    assert response.status_code == 409
    assert ready_case.services.count() == 1
    # the request itself is frozen, but tracking fields are not
    response = api(world.staff).patch(
        f"{base}/", {"version": 2, "clinical_justification": "new"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "case_not_draft"
    response = api(world.staff).patch(
        f"{base}/",
        {"version": 2, "follow_up_on": "2030-01-01", "assigned_to": world.billing.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assigned_to"] == world.billing.pk


def test_stale_version_gets_409_and_the_case_is_unchanged(world, api, ready_case):
    url = f"/api/v1/cases/{ready_case.pk}/"
    first = api(world.staff).patch(url, {"version": 1, "sessions_requested": 60}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = api(world.billing).patch(url, {"version": 1, "sessions_requested": 10}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    ready_case.refresh_from_db()
    assert ready_case.sessions_requested == 60 and ready_case.version == 2


def test_update_without_version_is_refused(world, api, ready_case):
    response = api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/", {"sessions_requested": 5}, format="json"
    )
    assert response.status_code == 400 and "version" in response.json()


def test_update_records_changed_fields_in_the_timeline(world, api, ready_case):
    api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/",
        {"version": 1, "sessions_requested": 60, "clinical_justification": "Longer text"},
        format="json",
    )
    event = ready_case.events.get(kind="updated")
    assert event.actor == world.staff
    assert event.data["changed"]["sessions_requested"] == [72, 60]
    assert event.data["changed"]["clinical_justification"] == ["(edited)"]


def test_assignee_must_belong_to_the_practice(world, api, ready_case):
    response = api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/",
        {"version": 1, "assigned_to": world.other_staff.pk},
        format="json",
    )
    assert response.status_code == 400 and "assigned_to" in response.json()


def test_case_for_another_practices_client_is_refused(world, api, insurer):
    other_case = CaseFactory(practice=world.other_practice)
    response = api(world.staff).post(
        "/api/v1/cases/",
        {"client": other_case.client_id, "insurer": insurer.pk, "reason": "network_inadequacy"},
        format="json",
    )
    assert response.status_code == 400 and "client" in response.json()


def test_put_repeating_the_request_on_a_submitted_case_changes_tracking_fields(
    world, api, ready_case
):
    api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/submit/", {}, format="json")
    detail = api(world.staff).get(f"/api/v1/cases/{ready_case.pk}/").json()
    body = {
        k: detail[k]
        for k in (
            "client",
            "provider",
            "insurer",
            "reason",
            "initiated_by",
            "service_type",
            "planned_start_date",
            "requested_start",
            "requested_end",
            "sessions_requested",
            "clinical_justification",
        )
    }
    body.update(version=detail["version"], follow_up_on="2030-02-01")
    response = api(world.staff).put(f"/api/v1/cases/{ready_case.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["follow_up_on"] == "2030-02-01"


def test_renewal_of_a_transition_carries_the_sessions_not_yet_used(
    world, api, ready_case, aba_code
):
    from negotiations.models import UtilizationEntry
    from tests.factories import AgreementFactory, AgreementLineFactory

    ready_case.reason = "provider_transition"
    ready_case.sessions_remaining = 12
    put_in_status(ready_case, "approved")
    agreement = AgreementFactory(case=ready_case, sessions_authorized=12)
    AgreementLineFactory(agreement=agreement, billing_code=aba_code)
    for day in range(5):
        UtilizationEntry.objects.create(
            agreement=agreement,
            billing_code=aba_code,
            units=4,
            service_date=agreement.start_date + dt.timedelta(days=day),
        )
    response = api(world.staff).post(f"/api/v1/cases/{ready_case.pk}/renew/", {}, format="json")
    new = Case.objects.get(pk=response.json()["id"])
    assert new.sessions_remaining == 7 and new.sessions_requested == 7
