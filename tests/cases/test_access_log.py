"""The access log's one write per request (sca_portal.middleware.AccessLogMiddleware): what an
entry records, the refusal of a read that cannot be logged, and the data migration that gave
the entries written before issue 17 their subject rows."""

import pytest
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cases.models import AccessLog, AccessLogSubject
from tests.factories import CaseFactory, ClientFactory


def _case(world, **kw):
    return CaseFactory(practice=world.practice, created_by=world.staff, **kw)


def test_a_read_records_user_route_address_and_user_agent(world, api):
    case = _case(world)
    answer = api(world.staff).get(
        f"/api/v1/cases/{case.pk}/", HTTP_USER_AGENT="Mozilla/5.0 (test)", REMOTE_ADDR="10.1.2.3"
    )
    assert answer.status_code == 200
    entry = AccessLog.objects.get()
    assert entry.user == world.staff and entry.practice == world.practice
    assert entry.route == "case-detail" and entry.method == "GET"
    assert entry.ip == "10.1.2.3" and entry.user_agent == "Mozilla/5.0 (test)"
    assert list(entry.subjects.values_list("client_id", "case_id")) == [(case.client_id, case.pk)]


def test_address_is_read_through_the_declared_proxies_only(world, api, settings):
    case = _case(world)
    forged = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7", "REMOTE_ADDR": "10.0.0.2"}
    settings.PROXY_COUNT = 0  # nobody in front: the socket's address, the header ignored
    api(world.staff).get(f"/api/v1/cases/{case.pk}/", **forged)
    settings.PROXY_COUNT = 1  # one proxy: the address it appended (the rightmost)
    api(world.staff).get(f"/api/v1/cases/{case.pk}/", **forged)
    assert list(AccessLog.objects.order_by("id").values_list("ip", flat=True)) == [
        "10.0.0.2",
        "203.0.113.7",
    ]


def test_unloggable_read_is_refused_with_503(world, api, monkeypatch):
    case = _case(world, client=ClientFactory(practice=world.practice, last_name="Zwicky"))

    def broken(**kwargs):
        raise DatabaseError("the log's table is locked")

    monkeypatch.setattr("sca_portal.middleware.access_log_write", broken)
    answer = api(world.staff).get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 503
    assert answer["Retry-After"] and answer.json()["code"] == "access_log_unavailable"
    assert b"Zwicky" not in answer.content


def test_unloggable_page_is_refused_with_503(world, web, monkeypatch):
    case = _case(world, client=ClientFactory(practice=world.practice, last_name="Zwicky"))

    def broken(**kwargs):
        raise DatabaseError("the log's table is locked")

    monkeypatch.setattr("sca_portal.middleware.access_log_write", broken)
    page = web(world.staff).get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 503 and b"Zwicky" not in page.content


def test_a_list_page_is_one_entry_with_a_subject_per_row(world, api):
    cases = [_case(world) for _ in range(3)]
    api(world.staff).get("/api/v1/cases/")
    entry = AccessLog.objects.get()
    assert entry.client is None and entry.case is None
    assert set(entry.subjects.values_list("client_id", "case_id")) == {
        (c.client_id, c.pk) for c in cases
    }


def test_an_update_answering_with_the_record_is_a_read(world, api):
    """An empty PATCH answers with the whole stored record: it must not read it unlogged."""
    case = _case(world)
    client = case.client
    api(world.staff).patch(f"/api/v1/clients/{client.pk}/", {}, format="json")
    api(world.staff).patch(f"/api/v1/cases/{case.pk}/", {"version": case.version}, format="json")
    assert [
        list(e.subjects.values_list("client_id", "case_id"))
        for e in AccessLog.objects.order_by("id")
    ] == [
        [(client.pk, None)],
        [(client.pk, case.pk)],
    ]


def test_a_delete_is_not_a_read(world, api):
    client = ClientFactory(practice=world.practice)
    assert api(world.staff).delete(f"/api/v1/clients/{client.pk}/").status_code == 204
    assert not AccessLog.objects.exists()


def test_no_code_path_deletes_the_access_log():
    """Entries are kept at least six years (§164.316(b)(2)): no line of the app that names
    the log deletes from it, and its subject rows cannot be removed from under an entry."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    packages = ["core", "sca_portal", "billing_codes", "cases", "negotiations"]
    offenders = [
        f"{path}:{number}"
        for package in packages
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "AccessLog" in line and ".delete(" in line
    ]
    assert offenders == []
    assert AccessLogSubject._meta.get_field("entry").remote_field.on_delete.__name__ == "PROTECT"


# ----------------------------------------------------------------------------- data migration

BEFORE = "0016_denials_appeals_renewal_terms"


@pytest.fixture
def executor(transactional_db):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    yield latest
    MigrationExecutor(connection).migrate(latest)


def test_entries_before_subjects_get_their_subject_row(world, executor):
    case = _case(world)
    client_only = ClientFactory(practice=world.practice)
    old_case = AccessLog.objects.create(
        user=world.staff, practice=world.practice, client_id=case.client_id, case=case,
        object_type="case", object_id=case.pk, action="view_case",
    )  # fmt: skip
    old_client = AccessLog.objects.create(
        user=world.staff, practice=world.practice, client=client_only,
        object_type="client", object_id=client_only.pk, action="view_client",
    )  # fmt: skip
    export = AccessLog.objects.create(
        user=world.staff, practice=world.practice, object_type="case_export", object_id=0,
        action="export_cases",
    )  # fmt: skip
    targets = [n for n in executor if n[0] != "cases"] + [("cases", BEFORE)]
    MigrationExecutor(connection).migrate(targets)
    MigrationExecutor(connection).migrate(executor)
    subjects = {(s.entry_id, s.client_id, s.case_id) for s in AccessLogSubject.objects.all()}
    assert subjects == {
        (old_case.pk, case.client_id, case.pk),
        (old_client.pk, client_only.pk, None),
    }
    assert AccessLog.objects.get(pk=export.pk).subjects.count() == 0


def test_a_refused_client_edit_is_logged(world, web):
    client = ClientFactory(practice=world.practice)
    page = web(world.staff).post(reverse("cases:client_edit", args=[client.pk]), {"first_name": ""})
    assert page.status_code == 400
    entry = AccessLog.objects.get()
    assert list(entry.subjects.values_list("client_id", "case_id")) == [(client.pk, None)]


def test_an_operators_admin_reads_are_logged_without_a_practice(world, client):
    from django.contrib.auth.models import User

    operator = User.objects.create_superuser("operator", "op@example.org", "x" * 12)
    patient = ClientFactory(practice=world.practice)
    case = _case(world, client=patient)
    client.force_login(operator)
    assert client.get("/admin/cases/client/").status_code == 200
    assert client.get(f"/admin/cases/client/{patient.pk}/change/").status_code == 200
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 200
    entries = list(AccessLog.objects.order_by("id"))
    assert [e.practice_id for e in entries] == [None, None, None]
    assert [e.route for e in entries] == [
        "admin:cases_client_changelist",
        "admin:cases_client_change",
        "admin:cases_case_change",
    ]
    assert (patient.pk, None) in set(entries[0].subjects.values_list("client_id", "case_id"))
    assert list(entries[2].subjects.values_list("client_id", "case_id")) == [(patient.pk, case.pk)]


def test_the_admin_searches_clients_by_number_not_by_name(world, client):
    from django.contrib.auth.models import User

    operator = User.objects.create_superuser("operator", "op@example.org", "x" * 12)
    patient = ClientFactory(practice=world.practice, last_name="Zwicky")
    client.force_login(operator)
    by_name = client.get("/admin/cases/client/", {"q": "Zwicky"})
    by_number = client.get("/admin/cases/client/", {"q": str(patient.pk)})
    assert list(by_name.context["cl"].result_list) == []
    assert list(by_number.context["cl"].result_list) == [patient]
