"""Audit: who changed what (history) and who read patient data (access log)."""

import datetime as dt

from django.utils import timezone

from cases.models import AccessLog
from tests.factories import ClientFactory


def test_reads_of_patient_data_are_logged(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    staff = api(world.staff)
    staff.get(f"/api/v1/clients/{ready_case.client_id}/")
    staff.get(f"/api/v1/cases/{ready_case.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        doc = staff.post(
            f"/api/v1/cases/{ready_case.pk}/documents/", {"kind": "consent_form"}, format="json"
        )
    staff.get(f"/api/v1/documents/{doc.json()['id']}/download/")
    staff.get("/api/v1/cases/")  # a list page: a read of the cases it shows
    rows = list(
        AccessLog.objects.order_by("id").values_list(
            "user__username", "action", "client_id", "case_id"
        )
    )
    assert rows == [
        ("demo_staff", "view_client", ready_case.client_id, None),
        ("demo_staff", "view_case", ready_case.client_id, ready_case.pk),
        ("demo_staff", "download_document", ready_case.client_id, ready_case.pk),
        ("demo_staff", "read", ready_case.client_id, ready_case.pk),  # its one row
    ]


def test_a_denied_read_is_not_logged_as_access(world, api, ready_case):
    api(world.other_staff).get(f"/api/v1/cases/{ready_case.pk}/")
    assert not AccessLog.objects.exists()


def test_admins_browse_the_access_log_filtered_by_user_client_and_date(world, api, ready_case):
    other_client = ClientFactory(practice=world.practice)
    api(world.staff).get(f"/api/v1/cases/{ready_case.pk}/")
    api(world.billing).get(f"/api/v1/clients/{other_client.pk}/")
    admin = api(world.admin)
    all_rows = admin.get("/api/v1/audit/access-log/").json()["results"]
    assert [r["username"] for r in all_rows] == ["demo_billing", "demo_staff"]
    by_user = admin.get("/api/v1/audit/access-log/", {"user": world.staff.pk}).json()["results"]
    assert [r["action"] for r in by_user] == ["view_case"]
    by_client = admin.get("/api/v1/audit/access-log/", {"client": other_client.pk}).json()[
        "results"
    ]
    assert [r["username"] for r in by_client] == ["demo_billing"]
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert admin.get("/api/v1/audit/access-log/", {"date_from": tomorrow}).json()["results"] == []
    assert api(world.staff).get("/api/v1/audit/access-log/").status_code == 403
    assert api(world.billing).get("/api/v1/audit/changes/", {"model": "case"}).status_code == 403


def test_access_log_of_another_practice_is_invisible(world, api, ready_case):
    from tests.factories import MembershipFactory

    api(world.staff).get(f"/api/v1/cases/{ready_case.pk}/")
    other_admin = MembershipFactory(practice=world.other_practice, role="admin").user
    assert api(other_admin).get("/api/v1/audit/access-log/").json()["results"] == []


def test_change_history_says_who_changed_what(world, api, ready_case):
    api(world.staff).patch(
        f"/api/v1/cases/{ready_case.pk}/", {"version": 1, "sessions_requested": 60}, format="json"
    )
    client = ready_case.client
    api(world.billing).patch(
        f"/api/v1/clients/{client.pk}/", {"plan_name": "Gold PPO"}, format="json"
    )
    admin = api(world.admin)
    rows = admin.get("/api/v1/audit/changes/", {"model": "case", "object": ready_case.pk}).json()[
        "results"
    ]
    change = rows[0]
    assert change["action"] == "changed" and change["user"] == "demo_staff"
    fields = {c["field"]: (c["old"], c["new"]) for c in change["changes"]}
    assert fields["sessions_requested"] == ("72", "60")
    rows = admin.get(
        "/api/v1/audit/changes/", {"model": "client", "client": client.pk, "user": world.billing.pk}
    ).json()["results"]
    assert rows[0]["changes"] == [{"field": "plan_name", "old": "", "new": "Gold PPO"}]
    assert admin.get("/api/v1/audit/changes/", {"model": "bogus"}).status_code == 400
    assert (
        admin.get("/api/v1/audit/changes/", {"model": "case", "date_from": "soon"}).status_code
        == 400
    )


def test_offer_and_agreement_changes_are_audited(world, api):
    rows = api(world.admin).get("/api/v1/audit/changes/", {"model": "offer"})
    assert rows.status_code == 200
    assert api(world.admin).get("/api/v1/audit/changes/", {"model": "agreement"}).status_code == 200


def test_change_history_page_costs_the_same_queries_however_many_changes_it_shows(world, api):
    # Each changed row is diffed against the version before it; those are loaded for the whole
    # page at once (not one query per row, as simple-history's prev_record would).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = api(world.admin)

    def page_queries(edits: int) -> tuple[int, list]:
        client = ClientFactory(practice=world.practice, plan_name="Plan 0")
        for n in range(1, edits + 1):
            admin.patch(f"/api/v1/clients/{client.pk}/", {"plan_name": f"Plan {n}"}, format="json")
        with CaptureQueriesContext(connection) as queries:
            rows = admin.get(
                "/api/v1/audit/changes/", {"model": "client", "object": client.pk}
            ).json()["results"]
        return len(queries), rows

    few, few_rows = page_queries(2)
    many, many_rows = page_queries(8)
    assert few == many
    assert [r["changes"] for r in many_rows[:2]] == [
        [{"field": "plan_name", "old": "Plan 7", "new": "Plan 8"}],
        [{"field": "plan_name", "old": "Plan 6", "new": "Plan 7"}],
    ]
    assert few_rows[-1]["action"] == "created" and few_rows[-1]["changes"] == []
