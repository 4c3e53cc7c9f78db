"""The access log for practice administrators: the API, its CSV export and the /audit/ page;
reading the change history is logged, reading the access log is not; the log is never
deleted, not even from the Django admin (issue 17)."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, AccessLogSubject, Client
from cases.services.audit import access_log_write
from core.access import PracticeRead
from tests.factories import (
    CaseFactory,
    ClientFactory,
    MembershipFactory,
    OfferFactory,
    ProviderFactory,
    UserFactory,
)

LOG = "/api/v1/audit/access-log/"
EXPORT = "/api/v1/audit/access-log/export/"
HISTORY = "/api/v1/audit/changes/"


def note(user, practice, pairs=(), *, action="read", route="cases:list", days_ago=0, **extra):
    """An entry as the middleware writes it (``days_ago`` moves it back in time)."""
    read = PracticeRead(action=action, pairs=set(pairs))
    defaults = {"method": "GET", "ip": "203.0.113.7", "user_agent": "Firefox"}
    (entry,) = access_log_write(
        user=user, reads={practice.pk: read}, route=route, **{**defaults, **extra}
    )
    if days_ago:
        AccessLog.objects.filter(pk=entry.pk).update(
            at=timezone.now() - dt.timedelta(days=days_ago)
        )
    return entry


def csv_rows(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def cases(world):
    return [CaseFactory(practice=world.practice) for _ in range(3)]


# ----------------------------------------------------------------------------- API


def test_access_log_api_shows_where_from_and_the_clients_and_cases_carried(world, api, cases):
    a, b, _c = cases
    note(world.staff, world.practice, [(a.client_id, a.pk), (b.client_id, b.pk)], ip="198.51.100.4")
    (row,) = api(world.admin).get(LOG).json()["results"]
    assert row["username"] == "demo_staff" and row["practice"] == world.practice.pk
    assert (row["route"], row["method"], row["ip"], row["user_agent"]) == (
        "cases:list", "GET", "198.51.100.4", "Firefox",
    )  # fmt: skip
    assert row["action"] == "read" and row["action_label"] == "Read patient data"
    assert row["clients"] == sorted([a.client_id, b.client_id])
    assert row["cases"] == sorted([a.pk, b.pk])
    assert row["client"] is None and row["case"] is None  # a list, not a single read


def test_access_log_api_filters_client_and_case_by_what_the_answer_carried(world, api, cases):
    a, b, c = cases
    listed = note(world.staff, world.practice, [(a.client_id, a.pk), (b.client_id, b.pk)])
    single = note(world.billing, world.practice, [(b.client_id, b.pk)], action="view_case")
    note(world.billing, world.practice, [(c.client_id, c.pk)], action="view_case")
    admin = api(world.admin)

    def ids(**params):
        return [r["id"] for r in admin.get(LOG, params).json()["results"]]

    assert ids(client=b.client_id) == [single.pk, listed.pk]
    assert ids(case=a.pk) == [listed.pk]
    assert ids(case=b.pk, user=world.billing.pk) == [single.pk]
    # Two subject rows of one client: the entry is still listed once.
    twice = note(world.staff, world.practice, [(a.client_id, a.pk), (a.client_id, None)])
    assert ids(client=a.client_id) == [twice.pk, listed.pk]


def test_access_log_api_filters_by_action_route_and_dates(world, api, cases):
    a = cases[0]
    old = note(world.staff, world.practice, [(a.client_id, a.pk)], days_ago=10)
    new = note(world.staff, world.practice, [(a.client_id, a.pk)], action="view_case",
               route="cases:detail")  # fmt: skip
    admin = api(world.admin)

    def ids(**params):
        response = admin.get(LOG, params)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    today = timezone.localdate()
    assert ids(action="view_case") == [new.pk]
    assert ids(route="cases:list") == [old.pk]
    assert ids(date_to=(today - dt.timedelta(days=5)).isoformat()) == [old.pk]
    assert ids(date_from=today.isoformat(), date_to=today.isoformat()) == [new.pk]
    assert admin.get(LOG, {"action": "delete_everything"}).status_code == 400
    bad = admin.get(LOG, {"date_from": "soon", "client": "x"})
    assert bad.status_code == 400 and {"date_from", "client"} <= set(bad.json())


def test_access_log_api_is_for_administrators_of_the_practice_only(world, api, cases):
    a = cases[0]
    note(world.staff, world.practice, [(a.client_id, a.pk)])
    for user in (world.staff, world.billing, world.other_staff):
        assert api(user).get(LOG).status_code == 403
        assert api(user).get(EXPORT).status_code == 403
    other_admin = MembershipFactory(practice=world.other_practice, role="admin").user
    other = api(other_admin)
    assert other.get(LOG).json()["results"] == []
    assert other.get(LOG, {"practice": world.practice.pk}).json()["results"] == []
    assert other.get(LOG, {"client": a.client_id}).json()["results"] == []
    assert len(csv_rows(other.get(EXPORT))) == 1  # the header alone


def test_access_log_api_page_costs_the_same_statements_for_2_and_8_entries(world, api):
    admin = api(world.admin)
    admin.get(LOG)  # first-request caches (content types, ...) out of the count

    def statements(entries: int) -> int:
        AccessLogSubject.objects.all().delete()
        AccessLog.objects.all().delete()
        for _ in range(entries):
            case = CaseFactory(practice=world.practice)
            note(world.staff, world.practice, [(case.client_id, case.pk), (case.client_id, None)])
        with CaptureQueriesContext(connection) as queries:
            rows = admin.get(LOG).json()["results"]
        assert len(rows) == entries and all(r["cases"] for r in rows)
        return len(queries)

    assert statements(2) == statements(8)


def test_access_log_export_is_a_csv_of_the_filtered_entries(world, api, cases):
    a, b, _c = cases
    note(world.staff, world.practice, [(a.client_id, a.pk), (b.client_id, b.pk)])
    single = note(world.billing, world.practice, [(b.client_id, b.pk)], action="view_case",
                  route="cases:detail", user_agent="=HYPERLINK(evil)")  # fmt: skip
    admin = api(world.admin)
    response = admin.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-')
    header, *rows = csv_rows(response)
    assert header == [
        "at", "user", "practice", "action", "route", "method", "ip", "user agent", "clients",
        "cases",
    ]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][1:] == [
        "demo_staff", "Bright Path ABA", "read", "cases:list", "GET", "203.0.113.7", "Firefox",
        " ".join(map(str, sorted([a.client_id, b.client_id]))), f"{a.pk} {b.pk}",
    ]  # fmt: skip
    assert dt.datetime.fromisoformat(rows[0][0]) == single.at
    # A user agent is whatever the client sent: never a formula in a spreadsheet.
    assert rows[0][7] == "'=HYPERLINK(evil)"
    filtered = csv_rows(admin.get(EXPORT, {"user": world.staff.pk, "case": a.pk}))
    assert [r[1] for r in filtered[1:]] == ["demo_staff"]
    assert admin.get(EXPORT, {"date_from": "soon"}).status_code == 400


def test_access_log_export_answers_a_client_that_accepts_only_csv(world, api):
    note(world.staff, world.practice)
    response = api(world.admin).get(EXPORT, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and len(csv_rows(response)) == 2
    refused = api(world.staff).get(EXPORT, HTTP_ACCEPT="text/csv")
    assert refused.status_code == 403 and refused["Content-Type"].startswith("text/csv")


def test_reading_the_access_log_is_not_logged(world, api, web, cases):
    note(world.staff, world.practice, [(cases[0].client_id, cases[0].pk)])
    api(world.admin).get(LOG)
    csv_rows(api(world.admin).get(EXPORT))
    browser = web(world.admin)
    assert browser.get(reverse("cases:audit")).status_code == 200
    csv_rows(browser.get(reverse("cases:audit_export")))
    assert AccessLog.objects.count() == 1


# ----------------------------------------------------------------------------- change history


def test_reading_change_history_is_logged_with_the_clients_of_its_rows(world, api, cases):
    a, b, _c = cases
    admin = api(world.admin)
    assert admin.get(HISTORY, {"model": "case"}).status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.user, entry.practice, entry.action) == (
        world.admin,
        world.practice,
        "view_history",
    )
    assert entry.route == "audit-changes"
    pairs = set(entry.subjects.values_list("client_id", "case_id"))
    assert pairs == {(case.client_id, case.pk) for case in cases}
    admin.get(HISTORY, {"model": "client", "client": a.client_id})
    latest = AccessLog.objects.order_by("-id").first()
    assert list(latest.subjects.values_list("client_id", "case_id")) == [(a.client_id, None)]
    assert (latest.client_id, latest.case_id) == (a.client_id, None)


def test_reading_offer_history_logs_the_offers_clients_and_cases(world, api, cases):
    offer = OfferFactory(case=cases[0])
    api(world.admin).get(HISTORY, {"model": "offer"})
    entry = AccessLog.objects.get()
    assert entry.action == "view_history"
    assert list(entry.subjects.values_list("client_id", "case_id")) == [
        (offer.case.client_id, offer.case_id)
    ]


def test_reading_history_without_clients_is_logged_without_subjects(world, api):
    ProviderFactory(practice=world.practice)
    assert api(world.admin).get(HISTORY, {"model": "provider"}).status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.practice, entry.action) == (world.practice, "view_history")
    assert not entry.subjects.exists()


def test_reading_history_is_logged_once_per_practice_administered(world, api, cases):
    MembershipFactory(practice=world.other_practice, user=world.admin, role="admin")
    other_case = CaseFactory(practice=world.other_practice)
    api(world.admin).get(HISTORY, {"model": "case"})
    by_practice = {
        e.practice_id: set(e.subjects.values_list("case_id", flat=True))
        for e in AccessLog.objects.all()
    }
    assert by_practice == {
        world.practice.pk: {c.pk for c in cases},
        world.other_practice.pk: {other_case.pk},
    }


def test_history_of_a_deleted_client_is_still_readable_and_logged(world, api):
    gone = ClientFactory(practice=world.practice)
    Client.objects.filter(pk=gone.pk).delete()  # no case, never read: nothing protects it
    response = api(world.admin).get(HISTORY, {"model": "client"})
    assert response.status_code == 200
    assert {r["action"] for r in response.json()["results"]} == {"created", "deleted"}
    entry = AccessLog.objects.get()
    assert entry.action == "view_history" and not entry.subjects.exists()


def test_a_refused_history_read_is_not_logged(world, api):
    assert api(world.staff).get(HISTORY, {"model": "case"}).status_code == 403
    assert api(world.admin).get(HISTORY, {"model": "bogus"}).status_code == 400
    assert not AccessLog.objects.exists()


# ----------------------------------------------------------------------------- the page


def test_audit_page_is_for_administrators_only(world, web):
    for user in (world.staff, world.billing):
        response = web(user).get(reverse("cases:audit"))
        assert response.status_code == 403
        assert web(user).get(reverse("cases:audit_export")).status_code == 403
    assert web(world.admin).get(reverse("cases:audit")).status_code == 200


def test_navigation_shows_audit_to_administrators_only(world, web):
    link = f'href="{reverse("cases:audit")}"'
    assert link in web(world.admin).get(reverse("cases:list")).content.decode()
    assert link not in web(world.billing).get(reverse("cases:list")).content.decode()


def test_audit_page_lists_entries_newest_first_with_links_and_no_names(world, web, cases):
    a, b, _c = cases
    note(world.staff, world.practice, [(a.client_id, a.pk)], days_ago=1, ip="198.51.100.9")
    note(world.billing, world.practice, [(b.client_id, b.pk)], action="view_case",
         route="cases:detail")  # fmt: skip
    other = CaseFactory(practice=world.other_practice)
    note(world.other_staff, world.other_practice, [(other.client_id, other.pk)])
    html = web(world.admin).get(reverse("cases:audit")).content.decode()
    table = html[html.index("<tbody>") :]
    assert table.index("Viewed a case") < table.index("Read patient data")
    assert f'href="{reverse("cases:detail", args=[b.pk])}">SCA #{b.pk}<' in html
    assert (
        f'href="{reverse("cases:client_edit", args=[a.client_id])}">Client #{a.client_id}<' in html
    )
    assert "198.51.100.9" in html and "cases:detail" in html
    assert "other_staff" not in html and f"SCA #{other.pk}<" not in html
    for case in cases:
        assert case.client.last_name not in html


def test_audit_page_folds_a_long_list_of_subjects(world, web):
    many = [CaseFactory(practice=world.practice) for _ in range(6)]
    note(world.staff, world.practice, [(c.client_id, c.pk) for c in many])
    html = web(world.admin).get(reverse("cases:audit")).content.decode()
    assert "<details><summary>6 cases</summary>" in html
    assert "<details><summary>6 clients</summary>" in html
    assert all(f'href="/cases/{c.pk}/">SCA #{c.pk}</a>' in html for c in many)


def test_audit_page_filters_by_user_client_case_action_and_dates(world, web, cases):
    a, b, _c = cases
    note(world.staff, world.practice, [(a.client_id, a.pk)], days_ago=3)
    note(world.billing, world.practice, [(b.client_id, b.pk)], action="view_case")
    browser = web(world.admin)

    def users(**params):
        html = browser.get(reverse("cases:audit"), params).content.decode()
        table = html[html.index("<tbody>") :] if "<tbody>" in html else ""
        return [u for u in ("demo_staff", "demo_billing") if u in table]

    assert users() == ["demo_staff", "demo_billing"]
    assert users(user=world.staff.pk) == ["demo_staff"]
    assert users(client=b.client_id) == ["demo_billing"]
    assert users(case=a.pk) == ["demo_staff"]
    assert users(action="view_case") == ["demo_billing"]
    assert users(date_to=(timezone.localdate() - dt.timedelta(days=1)).isoformat()) == [
        "demo_staff"
    ]
    bad = browser.get(reverse("cases:audit"), {"date_from": "2025-02-01", "date_to": "2025-01-01"})
    assert bad.status_code == 400 and "The end comes before the start." in bad.content.decode()


def test_audit_page_user_filter_offers_former_members_with_entries(world, web):
    former = UserFactory(username="gone_staff")
    note(former, world.practice)
    html = web(world.admin).get(reverse("cases:audit")).content.decode()
    assert f'value="{former.pk}"' in html
    assert f'value="{world.other_staff.pk}"' not in html


def test_audit_page_pages_without_counting(world, web, settings):
    from cases.views import audit

    note(world.staff, world.practice, days_ago=1, ip="192.0.2.200")
    for _ in range(audit.PAGE_SIZE):
        note(world.staff, world.practice)
    browser = web(world.admin)
    html = browser.get(reverse("cases:audit"), {"action": "read"}).content.decode()
    assert "action=read&amp;page=2" in html
    second = browser.get(reverse("cases:audit"), {"action": "read", "page": 2}).content.decode()
    assert "192.0.2.200" in second and "192.0.2.200" not in html
    assert "page=3" not in second


def test_audit_page_costs_the_same_statements_for_2_and_8_entries(world, web):
    browser = web(world.admin)
    browser.get(reverse("cases:audit"))  # first-request caches out of the count

    def statements(entries: int) -> int:
        AccessLogSubject.objects.all().delete()
        AccessLog.objects.all().delete()
        for _ in range(entries):
            case = CaseFactory(practice=world.practice)
            note(world.staff, world.practice, [(case.client_id, case.pk)])
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(reverse("cases:audit"))
        assert response.content.decode().count('">SCA #') == entries
        return len(queries)

    assert statements(2) == statements(8)


def test_audit_page_export_is_the_filtered_csv(world, web, cases):
    a, b, _c = cases
    note(world.staff, world.practice, [(a.client_id, a.pk)])
    note(world.billing, world.practice, [(b.client_id, b.pk)], action="view_case")
    other = CaseFactory(practice=world.other_practice)
    note(world.other_staff, world.other_practice, [(other.client_id, other.pk)])
    browser = web(world.admin)
    response = browser.get(reverse("cases:audit_export"), {"action": "view_case", "page": "1"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, *rows = csv_rows(response)
    assert header[0] == "at" and [r[1] for r in rows] == ["demo_billing"]
    assert rows[0][-2:] == [str(b.client_id), str(b.pk)]
    everything = csv_rows(browser.get(reverse("cases:audit_export")))
    assert {r[1] for r in everything[1:]} == {"demo_staff", "demo_billing"}
    assert browser.get(reverse("cases:audit_export"), {"client": "x"}).status_code == 400


# ----------------------------------------------------------------------------- never deleted


def test_django_admin_refuses_to_delete_or_change_access_log_entries(world, client):
    entry = note(world.staff, world.practice)
    operator = UserFactory(username="operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    base = "admin:cases_accesslog"
    assert client.get(reverse(f"{base}_changelist")).status_code == 200
    page = client.get(reverse(f"{base}_change", args=[entry.pk]))
    assert page.status_code == 200 and b"203.0.113.7" in page.content
    assert client.get(reverse(f"{base}_delete", args=[entry.pk])).status_code == 403
    assert (
        client.post(reverse(f"{base}_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    bulk = client.post(
        reverse(f"{base}_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert client.post(reverse(f"{base}_add"), {}).status_code == 403
    assert AccessLog.objects.filter(pk=entry.pk).exists()
