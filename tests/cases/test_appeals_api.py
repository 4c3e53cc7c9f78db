"""The denial and appeals through the API: ``deny`` with its category and dates, ``appeal``,
``appeals/`` and ``appeals/{id}/decide/``, the case detail's appeal fields, roles and tenants."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Appeal, Case, CaseStatus
from tests.factories import CaseFactory

TODAY = timezone.localdate


def ago(days: int) -> dt.date:
    return TODAY() - dt.timedelta(days=days)


def submitted(case: Case, days_ago=1) -> Case:
    case.status = "submitted"
    case.submitted_at = timezone.now() - dt.timedelta(days=days_ago)
    case.save()
    return case


def deny_body(**extra):
    return {"reason_category": "not_medically_necessary", "reason": "Not necessary.", **extra}


def deny(api, world, case: Case, **extra):
    response = api(world.staff).post(
        f"/api/v1/cases/{case.pk}/deny/", deny_body(**extra), format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def appeal(api, user, case: Case, **body):
    return api(user).post(
        f"/api/v1/cases/{case.pk}/appeal/", {"level": "internal_1", **body}, format="json"
    )


@pytest.fixture
def denied_case(world, api, ready_case):
    submitted(ready_case, days_ago=20)
    deny(api, world, ready_case, received_on=ago(10).isoformat())
    return ready_case


# ----------------------------------------------------------------------------- deny


def test_deny_records_category_date_and_address(world, api, ready_case):
    submitted(ready_case, days_ago=20)
    address = "Appeals Unit\nPO Box 1150\nHartford, CT 06101"
    detail = deny(
        api,
        world,
        ready_case,
        received_on=ago(10).isoformat(),
        appeal_address=address,
        reason="The hours exceed medical necessity.",
    )
    assert detail["status"] == "denied"
    assert detail["denial_category"] == "not_medically_necessary"
    assert detail["denial_received_on"] == ago(10).isoformat()
    assert detail["denial_appeal_address"] == address
    assert detail["decision_reason"] == "The hours exceed medical necessity."
    assert detail["appealable"] is True
    due = (ago(10) + dt.timedelta(days=180)).isoformat()
    assert detail["appeal_deadline"] == due
    assert detail["appeal_options"] == [
        {
            "level": "internal_1",
            "label": "Internal appeal (first level)",
            "due_on": due,
            "optional": False,
        }
    ]
    assert "appeal" not in detail["allowed_actions"]  # staff: filing is billing's
    as_billing = api(world.billing).get(f"/api/v1/cases/{ready_case.pk}/").json()
    assert "appeal" in as_billing["allowed_actions"]
    event = ready_case.events.latest("id")
    assert event.kind == "denied" and event.data["category"] == "not_medically_necessary"


def test_deny_received_on_defaults_to_today(world, api, ready_case):
    submitted(ready_case)
    assert deny(api, world, ready_case)["denial_received_on"] == TODAY().isoformat()


def test_deny_without_category_is_400(world, api, ready_case):
    submitted(ready_case)
    url = f"/api/v1/cases/{ready_case.pk}/deny/"
    for body in ({"reason": "No."}, {"reason": "No.", "reason_category": "bogus"}):
        response = api(world.staff).post(url, body, format="json")
        assert response.status_code == 400 and list(response.json()) == ["reason_category"]
    ready_case.refresh_from_db()
    assert ready_case.status == "submitted" and ready_case.denial_category == ""


def test_deny_received_in_future_is_400(world, api, ready_case):
    submitted(ready_case, days_ago=5)
    url = f"/api/v1/cases/{ready_case.pk}/deny/"
    for received in (TODAY() + dt.timedelta(days=1), ago(6), "2026-02-30"):
        body = deny_body(received_on=str(received))
        response = api(world.staff).post(url, body, format="json")
        assert response.status_code == 400, received
        assert list(response.json()) == ["received_on"]
    ready_case.refresh_from_db()
    assert ready_case.status == "submitted"


def test_deny_bounds_the_reason_and_the_address(world, api, ready_case):
    submitted(ready_case)
    url = f"/api/v1/cases/{ready_case.pk}/deny/"
    for body, field in (
        (deny_body(reason="x" * 2001), "reason"),
        (deny_body(reason=""), "reason"),
        (deny_body(appeal_address="x" * 1001), "appeal_address"),
    ):
        response = api(world.staff).post(url, body, format="json")
        assert response.status_code == 400 and field in response.json()


def test_withdraw_and_decline_still_take_a_reason_only(world, api, ready_case):
    submitted(ready_case)
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/withdraw/", {"reason": "Family moved."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


# ----------------------------------------------------------------------------- appeal


def test_appeal_answers_the_appeal_with_its_warnings(world, api, denied_case):
    response = appeal(
        api, world.billing, denied_case, channel="fax", reference="APL-9", notes="Faxed."
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id", "level", "level_display", "filed_on", "channel", "reference", "expedited",
        "due_on", "late", "decided_on", "outcome", "notes", "created_at", "warnings",
    }  # fmt: skip
    assert body["level_display"] == "Internal appeal (first level)"
    assert (body["filed_on"], body["due_on"]) == (
        TODAY().isoformat(),
        (ago(10) + dt.timedelta(days=180)).isoformat(),
    )
    assert (body["outcome"], body["late"], body["reference"]) == ("pending", False, "APL-9")
    assert body["warnings"] == [
        {
            "code": "authorized_representative_missing",
            "severity": "warning",
            "detail": body["warnings"][0]["detail"],
        }
    ]
    detail = api(world.staff).get(f"/api/v1/cases/{denied_case.pk}/").json()
    assert detail["status"] == "appealed"
    assert detail["appeal_deadline"] is None and detail["appeal_options"] == []


def test_appeal_moves_denied_to_appealed(world, api, denied_case):
    assert appeal(api, world.billing, denied_case).status_code == 201
    denied_case.refresh_from_db()
    assert denied_case.status == "appealed"


@pytest.mark.parametrize("status", [s for s in CaseStatus.values if s != "denied"])
def test_appeal_on_case_not_denied_is_409_invalid_transition(world, api, ready_case, status):
    ready_case.status = status
    if status not in ("draft", "withdrawn"):
        ready_case.submitted_at = timezone.now()
    ready_case.save()
    response = appeal(api, world.billing, ready_case)
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert not Appeal.objects.exists()


def test_appeal_level_used_is_409(world, api, denied_case):
    first = appeal(api, world.billing, denied_case, filed_on=ago(5).isoformat()).json()
    decided = api(world.billing).post(
        f"/api/v1/cases/{denied_case.pk}/appeals/{first['id']}/decide/",
        {"outcome": "upheld"},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    response = appeal(api, world.billing, denied_case)
    assert response.status_code == 409 and response.json()["code"] == "appeal_level_used"
    assert Appeal.objects.count() == 1


def test_level_not_in_line_of_business_is_400(world, api, denied_case):
    for level in ("state_fair_hearing", "reconsideration"):  # commercial coverage
        response = appeal(api, world.billing, denied_case, level=level)
        assert response.status_code == 400 and list(response.json()) == ["level"]
        assert "internal appeal (first level)" in response.json()["level"][0]
    response = appeal(api, world.billing, denied_case, level="bogus")
    assert response.status_code == 400 and list(response.json()) == ["level"]
    assert not Appeal.objects.exists()


def test_level_out_of_order_is_400(world, api, denied_case):
    for level in ("internal_2", "external_review"):
        response = appeal(api, world.billing, denied_case, level=level)
        assert response.status_code == 400 and list(response.json()) == ["level"]
    denied_case.refresh_from_db()
    assert denied_case.status == "denied" and not Appeal.objects.exists()


def test_appeal_filed_in_the_future_or_before_the_denial_is_400(world, api, denied_case):
    for filed in (TODAY() + dt.timedelta(days=1), ago(11)):
        response = appeal(api, world.billing, denied_case, filed_on=filed.isoformat())
        assert response.status_code == 400 and list(response.json()) == ["filed_on"]
    assert not Appeal.objects.exists()


def test_late_appeal_allowed_and_flagged_appeal_late(world, api, ready_case):
    ready_case.client.line_of_business = "medicaid"
    ready_case.client.save()
    submitted(ready_case, days_ago=90)
    deny(api, world, ready_case, received_on=ago(80).isoformat())
    response = appeal(api, world.billing, ready_case)
    assert response.status_code == 201
    body = response.json()
    assert body["late"] is True and body["due_on"] == ago(20).isoformat()
    assert "appeal_late" in {w["code"] for w in body["warnings"]}
    events = api(world.staff).get(f"/api/v1/cases/{ready_case.pk}/events/").json()["results"]
    (filed,) = [e for e in events if e["kind"] == "appealed"]
    assert "appeal_late" in filed["message"] and filed["data"]["late"] is True


def test_contract_refused_is_not_appealable(world, api, ready_case):
    submitted(ready_case)
    detail = deny(api, world, ready_case, reason_category="contract_refused")
    assert detail["appealable"] is False
    assert detail["appeal_options"] == [] and detail["appeal_deadline"] is None
    response = appeal(api, world.billing, ready_case)
    assert response.status_code == 409 and response.json()["code"] == "not_appealable"


def test_appeal_needs_billing_role(world, api, denied_case):
    response = appeal(api, world.staff, denied_case)
    assert response.status_code == 403
    assert not Appeal.objects.exists()
    filed = appeal(api, world.billing, denied_case).json()
    response = api(world.staff).post(
        f"/api/v1/cases/{denied_case.pk}/appeals/{filed['id']}/decide/",
        {"outcome": "upheld"},
        format="json",
    )
    assert response.status_code == 403
    assert Appeal.objects.get().outcome == "pending"
    # reading is every member's
    assert api(world.staff).get(f"/api/v1/cases/{denied_case.pk}/appeals/").status_code == 200
    assert appeal(api, world.admin, CaseFactory(practice=world.practice)).status_code == 409


def test_other_practice_appeals_404(world, api, denied_case):
    filed = appeal(api, world.billing, denied_case).json()
    other = api(world.other_staff)
    base = f"/api/v1/cases/{denied_case.pk}"
    assert other.get(f"{base}/appeals/").status_code == 404
    assert other.get(f"{base}/appeals/{filed['id']}/").status_code == 404
    assert other.post(f"{base}/appeal/", {"level": "internal_1"}, format="json").status_code == 404
    decide = f"{base}/appeals/{filed['id']}/decide/"
    assert other.post(decide, {"outcome": "upheld"}, format="json").status_code == 404
    assert Appeal.objects.get().outcome == "pending"


def test_unknown_appeal_is_404(world, api, denied_case):
    filed = appeal(api, world.billing, denied_case).json()
    # another case of the same practice, with an appeal of its own
    other_case = CaseFactory(practice=world.practice, insurer=denied_case.insurer)
    billing = api(world.billing)
    for case_id, appeal_id in ((denied_case.pk, filed["id"] + 1000), (other_case.pk, filed["id"])):
        url = f"/api/v1/cases/{case_id}/appeals/{appeal_id}/decide/"
        assert billing.post(url, {"outcome": "upheld"}, format="json").status_code == 404
        assert billing.get(f"/api/v1/cases/{case_id}/appeals/{appeal_id}/").status_code == 404


def test_repeated_appeal_post_makes_no_second_record(world, api, denied_case):
    assert appeal(api, world.billing, denied_case, reference="APL-1").status_code == 201
    again = appeal(api, world.billing, denied_case, reference="APL-1")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert Appeal.objects.count() == 1
    assert denied_case.events.filter(kind="appealed").count() == 1


def test_authorized_representative_warning(world, api, denied_case):
    from tests.factories import CaseAttachmentFactory

    CaseAttachmentFactory(case=denied_case, kind="authorized_representative")
    body = appeal(api, world.billing, denied_case).json()
    assert body["warnings"] == []


def test_medicaid_continuation_of_benefits_warning(world, api, ready_case):
    ready_case.client.line_of_business = "medicaid"
    ready_case.client.save()
    submitted(ready_case, days_ago=20)
    deny(api, world, ready_case, received_on=ago(15).isoformat())
    body = appeal(api, world.billing, ready_case).json()
    codes = [w["code"] for w in body["warnings"]]
    assert codes == ["authorized_representative_missing", "continuation_of_benefits"]


# ----------------------------------------------------------------------------- the levels


def test_appeals_are_listed_oldest_first_and_decided(world, api, denied_case):
    billing = api(world.billing)
    base = f"/api/v1/cases/{denied_case.pk}"
    first = appeal(api, world.billing, denied_case, filed_on=ago(8).isoformat()).json()
    decided = billing.post(
        f"{base}/appeals/{first['id']}/decide/",
        {"outcome": "upheld", "decided_on": ago(2).isoformat(), "notes": "Upheld by letter."},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["outcome"] == "upheld"
    assert decided.json()["decided_on"] == ago(2).isoformat()
    detail = billing.get(f"{base}/").json()
    assert detail["status"] == "denied"
    assert [o["level"] for o in detail["appeal_options"]] == ["internal_2", "external_review"]
    assert detail["appeal_deadline"] == (ago(2) + dt.timedelta(days=60)).isoformat()
    second = appeal(api, world.billing, denied_case, level="internal_2").json()
    listed = billing.get(f"{base}/appeals/").json()
    assert [a["id"] for a in listed] == [first["id"], second["id"]]
    assert [a["outcome"] for a in listed] == ["upheld", "pending"]
    assert billing.get(f"{base}/appeals/{second['id']}/").json()["level"] == "internal_2"


def test_upheld_returns_case_to_denied_and_next_level_may_be_filed(world, api, denied_case):
    first = appeal(api, world.billing, denied_case).json()
    url = f"/api/v1/cases/{denied_case.pk}/appeals/{first['id']}/decide/"
    assert api(world.billing).post(url, {"outcome": "upheld"}, format="json").status_code == 200
    denied_case.refresh_from_db()
    assert denied_case.status == "denied"
    response = appeal(api, world.billing, denied_case, level="external_review")
    assert response.status_code == 201 and response.json()["level"] == "external_review"


def test_decide_refuses_what_it_does_not_record(world, api, denied_case):
    first = appeal(api, world.billing, denied_case).json()
    url = f"/api/v1/cases/{denied_case.pk}/appeals/{first['id']}/decide/"
    billing = api(world.billing)
    for body, field in (
        ({"outcome": "overturned"}, "outcome"),
        ({"outcome": "pending"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "upheld", "decided_on": (TODAY() + dt.timedelta(days=1)).isoformat()},
         "decided_on"),
        ({"outcome": "upheld", "decided_on": ago(30).isoformat()}, "decided_on"),
    ):  # fmt: skip
        response = billing.post(url, body, format="json")
        assert response.status_code == 400 and list(response.json()) == [field], body
    assert billing.post(url, {"outcome": "withdrawn"}, format="json").status_code == 200
    again = billing.post(url, {"outcome": "upheld"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "appeal_decided"


@pytest.mark.parametrize("upheld", [0, 2])
def test_denied_case_detail_query_count_is_constant(world, api, denied_case, upheld):
    billing = api(world.billing)
    base = f"/api/v1/cases/{denied_case.pk}"
    for level in ("internal_1", "internal_2")[:upheld]:
        filed = appeal(api, world.billing, denied_case, level=level).json()
        billing.post(f"{base}/appeals/{filed['id']}/decide/", {"outcome": "upheld"}, format="json")
    staff = api(type(world.staff).objects.get(pk=world.staff.pk))  # roles not yet loaded
    with CaptureQueriesContext(connection) as queries:
        detail = staff.get(f"{base}/").json()
    assert len(detail["appeal_options"]) == 1
    # the draft's five (memberships, case, services, searches, consents), the appeals and the
    # policy with its rates, then the access log's write (the entry and its subject, in a
    # savepoint: four statements here, two outside the test's transaction)
    assert len(queries.captured_queries) == 12
