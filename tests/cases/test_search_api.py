"""Client and case searches send their text in a POST body, never in the URL (names and member
ids are patient data), and the client and case lists, their searches and their records are
access-logged with exactly the rows they answered."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import AccessLog
from tests.factories import CaseFactory, ClientFactory, MembershipFactory, ProviderFactory

CLIENTS = "/api/v1/clients/"
CASES = "/api/v1/cases/"


def post(client, url, body):
    return client.post(url, body, format="json")


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def new_entries(since: int) -> list[AccessLog]:
    return list(AccessLog.objects.filter(id__gt=since).order_by("id"))


def last_id() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def subjects(entry: AccessLog) -> set:
    return set(entry.subjects.values_list("client_id", "case_id"))


@pytest.fixture
def quill(world):
    """Zed Quill (member ZQ100) with a case at Bright Path, and Amy Pond with one."""
    zed = ClientFactory(practice=world.practice, first_name="Zed", last_name="Quill",
                        member_id="ZQ100")  # fmt: skip
    amy = ClientFactory(practice=world.practice, first_name="Amy", last_name="Pond",
                        member_id="AP200")  # fmt: skip
    zed_case = CaseFactory(practice=world.practice, client=zed, insurer=zed.insurer)
    amy_case = CaseFactory(practice=world.practice, client=amy, insurer=amy.insurer)
    return zed, amy, zed_case, amy_case


# ----------------------------------------------------------------------------- the search


def test_search_by_name_or_member_id_in_the_body_returns_the_rows(world, api, quill):
    zed, _amy, zed_case, _ = quill
    staff = api(world.staff)
    for q in ("Quill", "zed", "ZQ100", "Zed Quill"):
        assert ids(post(staff, f"{CLIENTS}search/", {"q": q})) == [zed.pk], q
        assert ids(post(staff, f"{CASES}search/", {"q": q})) == [zed_case.pk], q
    answer = post(staff, f"{CLIENTS}search/", {"q": "Quill"}).json()
    shown = staff.get(f"{CLIENTS}{zed.pk}/").json()
    assert answer == {"next_page": None, "previous_page": None, "results": [shown]}
    # The same rows as the list shows.
    listed = {row["id"]: row for row in staff.get(CASES).json()["results"]}
    found = post(staff, f"{CASES}search/", {"q": "ZQ100"}).json()["results"]
    assert found == [listed[zed_case.pk]]


def test_search_in_the_url_is_refused_with_search_in_url(world, api, quill):
    staff = api(world.staff)
    for url, path in ((CLIENTS, "/api/v1/clients/search/"), (CASES, "/api/v1/cases/search/")):
        for value in ("Quill", ""):
            response = staff.get(url, {"search": value})
            assert response.status_code == 400
            assert response.json() == {
                "code": "search_in_url",
                "detail": f'Names and member ids do not go in URLs: POST {{"q": ...}} to {path}.',
            }
    assert not AccessLog.objects.exists()  # refused before anything was read


def test_search_in_the_url_stays_for_lists_without_patient_data(world, api):
    ProviderFactory(practice=world.practice, last_name="Okafor")
    response = api(world.staff).get("/api/v1/providers/", {"search": "Okafor"})
    assert [row["last_name"] for row in response.json()["results"]] == ["Okafor"]


def test_search_is_scoped_to_the_users_practices(world, api, quill):
    twin = ClientFactory(practice=world.other_practice, first_name="Zed", last_name="Quill",
                         member_id="ZQ100")  # fmt: skip
    twin_case = CaseFactory(practice=world.other_practice, client=twin, insurer=twin.insurer)
    zed, _amy, zed_case, _ = quill
    staff, other = api(world.staff), api(world.other_staff)
    assert ids(post(staff, f"{CLIENTS}search/", {"q": "Quill"})) == [zed.pk]
    assert ids(post(staff, f"{CASES}search/", {"q": "Quill"})) == [zed_case.pk]
    assert ids(post(other, f"{CLIENTS}search/", {"q": "ZQ100"})) == [twin.pk]
    assert ids(post(other, f"{CASES}search/", {"q": "ZQ100"})) == [twin_case.pk]
    # Naming the other practice in the filter finds nothing either.
    body = {"q": "Quill", "practice": world.other_practice.pk}
    assert ids(post(staff, f"{CLIENTS}search/", body)) == []
    assert ids(post(staff, f"{CASES}search/", body)) == []


def test_filters_combine_with_q(world, api, quill):
    zed, amy, zed_case, amy_case = quill
    second = CaseFactory(practice=world.practice, client=zed, insurer=zed.insurer,
                         status="submitted", submitted_at=timezone.now(),
                         reason="continuity_of_care")  # fmt: skip
    staff = api(world.staff)
    search = f"{CASES}search/"
    assert set(ids(post(staff, search, {"q": "Quill"}))) == {zed_case.pk, second.pk}
    assert ids(post(staff, search, {"q": "Quill", "status": ["submitted"]})) == [second.pk]
    assert ids(post(staff, search, {"q": "Quill", "status": ["draft"]})) == [zed_case.pk]
    assert ids(post(staff, search, {"q": "Quill", "reason": "continuity_of_care"})) == [second.pk]
    assert ids(post(staff, search, {"q": "Pond", "status": ["submitted"]})) == []
    assert ids(post(staff, search, {"q": "Quill", "unassigned": True})) == ids(
        post(staff, search, {"q": "Quill"})
    )
    oldest_first = post(staff, search, {"q": "Quill", "ordering": ["created_at"]})
    assert ids(oldest_first) == [zed_case.pk, second.pk]
    amy.is_active = False
    amy.save()
    clients = f"{CLIENTS}search/"
    assert ids(post(staff, clients, {"q": "Pond", "is_active": False})) == [amy.pk]
    assert ids(post(staff, clients, {"q": "Pond", "is_active": True})) == []
    assert ids(post(staff, clients, {"q": "Pond", "insurer": amy.insurer_id})) == [amy.pk]


def test_search_pages_by_number(world, api):
    for i in range(5):
        ClientFactory(practice=world.practice, last_name=f"Pagewell{i}")
    staff = api(world.staff)
    body = {"q": "Pagewell", "page_size": 2}
    first = post(staff, f"{CLIENTS}search/", body).json()
    assert (first["next_page"], first["previous_page"], len(first["results"])) == (2, None, 2)
    second = post(staff, f"{CLIENTS}search/", {**body, "page": 2}).json()
    assert (second["next_page"], second["previous_page"]) == (3, 1)
    third = post(staff, f"{CLIENTS}search/", {**body, "page": 3}).json()
    assert (third["next_page"], third["previous_page"], len(third["results"])) == (None, 2, 1)
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert len(set(seen)) == 5
    past = post(staff, f"{CLIENTS}search/", {**body, "page": 4})
    assert past.status_code == 404 and past.json() == {"detail": "Invalid page."}


# Bodies a client may send by mistake: each is 400 naming the key, never a 500.
BAD_BODIES = [
    ({}, "q"),
    ({"q": ""}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "x" * 101}, "q"),
    ({"q": None}, "q"),
    ({"q": ["Quill"]}, "q"),
    ({"q": {"a": 1}}, "q"),
    ({"q": "a\x00b"}, "q"),
    ({"q": "a", "page": 0}, "page"),
    ({"q": "a", "page": -1}, "page"),
    ({"q": "a", "page": 10**7}, "page"),
    ({"q": "a", "page": 10**40}, "page"),
    ({"q": "a", "page": "two"}, "page"),
    ({"q": "a", "page": 1.5}, "page"),
    ({"q": "a", "page": None}, "page"),
    ({"q": "a", "page": True}, "page"),
    ({"q": "a", "page_size": 0}, "page_size"),
    ({"q": "a", "page_size": -5}, "page_size"),
    ({"q": "a", "page_size": 101}, "page_size"),
    ({"q": "a", "page_size": 10**30}, "page_size"),
    ({"q": "a", "practice": None}, "practice"),
    ({"q": "a", "practice": "abc"}, "practice"),
    ({"q": "a", "practice": 2**40}, "practice"),
    ({"q": "a", "practice": -1}, "practice"),
    ({"q": "a", "insurer": [1]}, "insurer"),
    ({"q": "a", "ordering": ["date_of_death"]}, "ordering"),
    ({"q": "a", "ordering": "last_name"}, "ordering"),
    ({"q": "a", "nickname": "Z"}, "nickname"),
    ({"q": "a", "search": "Quill"}, "search"),
]
CASE_BAD_BODIES = [
    ({"q": "a", "status": "approved"}, "status"),  # a list, as the list's repeated parameter
    ({"q": "a", "status": ["nope"]}, "status"),
    ({"q": "a", "status": [None]}, "status"),
    ({"q": "a", "reason": "because"}, "reason"),
    ({"q": "a", "created_from": "2024-13-01"}, "created_from"),
    ({"q": "a", "created_from": "yesterday"}, "created_from"),
    ({"q": "a", "unassigned": "maybe"}, "unassigned"),
    ({"q": "a", "assigned_to": None}, "assigned_to"),
    ({"q": "a", "stauts": ["draft"]}, "stauts"),
    ({"q": "a", "is_active": True}, "is_active"),  # the clients' filter, not the cases'
]


@pytest.mark.parametrize(("body", "key"), BAD_BODIES + CASE_BAD_BODIES)
def test_a_bad_search_body_is_400_naming_the_key(world, api, body, key):
    staff = api(world.staff)
    urls = [f"{CASES}search/"]
    if (body, key) in BAD_BODIES:
        urls.append(f"{CLIENTS}search/")
    for url in urls:
        response = post(staff, url, body)
        assert response.status_code == 400, (url, response.content)
        assert key in response.json(), (url, response.json())
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("raw", ["[1, 2]", '"Quill"', "null", "{", '{"q": "\\ud800"}'])
def test_a_search_body_that_is_not_an_object_of_text_is_400(world, api, raw):
    for url in (f"{CASES}search/", f"{CLIENTS}search/"):
        response = api(world.staff).post(url, raw, content_type="application/json")
        assert response.status_code == 400, (url, raw, response.content)


def test_a_search_body_must_be_json(world, api):
    response = api(world.staff).post(f"{CASES}search/", {"q": "Quill"}, format="multipart")
    assert response.status_code == 415


@pytest.mark.parametrize(
    "q", ['"', "'", "'Zed Quill'", ",,,", "a,b", "%", "_", "\\", "Zed  ", "ünïcødé", "x" * 100]
)
def test_odd_but_valid_search_text_answers_200(world, api, quill, q):
    for url in (f"{CASES}search/", f"{CLIENTS}search/"):
        response = post(api(world.staff), url, {"q": q, "page_size": 100})
        assert response.status_code == 200, (url, q, response.content)


def test_a_search_past_the_last_page_is_404_like_the_list(world, api, quill):
    response = post(api(world.staff), f"{CASES}search/", {"q": "Quill", "page": 1_000_000})
    assert response.status_code == 404


# ----------------------------------------------------------------------------- the access log


def test_a_search_writes_an_entry_whose_subjects_are_the_returned_rows(world, api, quill):
    zed, amy, zed_case, amy_case = quill
    staff = api(world.staff)
    since = last_id()
    found = post(staff, f"{CASES}search/", {"q": "ZQ100"}).json()["results"]
    [entry] = new_entries(since)
    assert (entry.action, entry.route, entry.method) == ("search", "case-search", "POST")
    assert (entry.practice_id, entry.user_id) == (world.practice.pk, world.staff.pk)
    assert subjects(entry) == {(row["client"], row["id"]) for row in found}
    assert subjects(entry) == {(zed.pk, zed_case.pk)}

    since = last_id()
    found = post(staff, f"{CLIENTS}search/", {"q": "P"}).json()["results"]
    [entry] = new_entries(since)
    assert (entry.action, entry.route) == ("search", "client-search")
    assert subjects(entry) == {(row["id"], None) for row in found}
    assert subjects(entry) == {(amy.pk, None)}


def test_a_search_logs_only_the_page_it_answered(world, api):
    for i in range(3):
        ClientFactory(practice=world.practice, last_name=f"Pagewell{i}")
    since = last_id()
    body = {"q": "Pagewell", "page_size": 2, "page": 2}
    found = post(api(world.staff), f"{CLIENTS}search/", body).json()["results"]
    [entry] = new_entries(since)
    assert len(found) == 1 and subjects(entry) == {(found[0]["id"], None)}


def test_a_search_that_finds_nothing_still_writes_an_entry(world, api, quill):
    for url in (f"{CASES}search/", f"{CLIENTS}search/"):
        since = last_id()
        assert ids(post(api(world.staff), url, {"q": "Nobody"})) == []
        [entry] = new_entries(since)
        assert (entry.action, entry.practice_id) == ("search", world.practice.pk)
        assert subjects(entry) == set()


def test_a_search_writes_an_entry_per_practice_searched(world, api, quill):
    """A member of two practices searches both: one entry each, found or not; a practice
    filter narrows the search, and the log, to that practice."""
    MembershipFactory(practice=world.other_practice, user=world.staff, role="staff")
    zed, _amy, zed_case, _ = quill
    staff = api(world.staff)
    since = last_id()
    assert ids(post(staff, f"{CASES}search/", {"q": "Quill"})) == [zed_case.pk]
    entries = new_entries(since)
    by_practice = {entry.practice_id: subjects(entry) for entry in entries}
    assert by_practice == {
        world.practice.pk: {(zed.pk, zed_case.pk)},
        world.other_practice.pk: set(),
    }
    assert {entry.action for entry in entries} == {"search"}
    since = last_id()
    post(staff, f"{CLIENTS}search/", {"q": "Quill", "practice": world.other_practice.pk})
    assert [e.practice_id for e in new_entries(since)] == [world.other_practice.pk]


def test_list_pages_write_an_entry_with_the_page_ids(world, api, quill):
    zed, amy, zed_case, amy_case = quill
    staff = api(world.staff)
    since = last_id()
    shown = staff.get(CLIENTS, {"page_size": 1}).json()["results"]
    [entry] = new_entries(since)
    assert (entry.action, entry.route, entry.method) == ("read", "client-list", "GET")
    assert subjects(entry) == {(shown[0]["id"], None)}

    since = last_id()
    shown = staff.get(CASES).json()["results"]
    [entry] = new_entries(since)
    assert (entry.action, entry.route) == ("read", "case-list")
    assert subjects(entry) == {(zed.pk, zed_case.pk), (amy.pk, amy_case.pk)}
    assert subjects(entry) == {(row["client"], row["id"]) for row in shown}


def test_an_empty_list_page_writes_no_entry(world, api):
    since = last_id()
    assert api(world.staff).get(CASES).json()["results"] == []
    assert new_entries(since) == []


def test_a_retrieve_writes_one_entry_with_its_one_subject(world, api, quill):
    zed, _amy, zed_case, _ = quill
    staff = api(world.staff)
    since = last_id()
    assert staff.get(f"{CASES}{zed_case.pk}/").status_code == 200
    [entry] = new_entries(since)
    assert (entry.action, entry.client_id, entry.case_id) == ("view_case", zed.pk, zed_case.pk)
    assert subjects(entry) == {(zed.pk, zed_case.pk)}

    since = last_id()
    assert staff.get(f"{CLIENTS}{zed.pk}/").status_code == 200
    [entry] = new_entries(since)
    assert (entry.action, entry.client_id, entry.case_id) == ("view_client", zed.pk, None)
    assert subjects(entry) == {(zed.pk, None)}


def test_a_delete_is_not_logged_as_a_read(world, api, quill):
    """An update answers with the stored record, so it is logged as a read
    (tests/cases/test_access_log.py); a delete answers with nothing."""
    zed, *_ = quill
    since = last_id()
    response = api(world.staff).delete(f"{CLIENTS}{zed.pk}/")
    assert response.status_code == 204
    assert new_entries(since) == []


# ----------------------------------------------------------------------------- statement counts


def _statements(client, call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call(client)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("client list", lambda c: c.get(CLIENTS, {"page_size": 100})),
        ("case list", lambda c: c.get(CASES, {"page_size": 100})),
        ("client search", lambda c: post(c, f"{CLIENTS}search/", {"q": "Samename"})),
        ("case search", lambda c: post(c, f"{CASES}search/", {"q": "Samename"})),
    ],
)
def test_list_and_search_statements_do_not_grow_with_the_rows(world, api, name, call):
    """The access log adds its entry and one bulk insert of subjects, however many rows."""

    def make(n):
        for _ in range(n):
            client = ClientFactory(practice=world.practice, last_name="Samename")
            CaseFactory(practice=world.practice, client=client, insurer=client.insurer)

    def fresh():  # a user object per request, as deployed: its roles are read each time
        return api(get_user_model().objects.get(pk=world.staff.pk))

    make(2)
    two = _statements(fresh(), call)
    make(4)
    six = _statements(fresh(), call)
    assert two == six, name


# ----------------------------------------------------------------------------- the schema


def test_the_schema_documents_the_searches_and_no_search_parameter(world, api):
    schema = api(world.staff).get("/api/schema/", {"format": "json"}).json()
    for base, row in (("clients", "Client"), ("cases", "CaseList")):
        operation = schema["paths"][f"/api/v1/{base}/search/"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        component = schema["components"]["schemas"][body.rsplit("/", 1)[1]]
        assert component["required"] == ["q"]
        assert component["additionalProperties"] is False
        assert component["properties"]["q"]["maxLength"] == 100
        assert component["properties"]["page_size"]["maximum"] == 100
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][page.rsplit("/", 1)[1]]
        assert set(page["properties"]) == {"next_page", "previous_page", "results"}
        assert page["properties"]["results"]["items"]["$ref"].endswith(f"/{row}")
        listing = schema["paths"][f"/api/v1/{base}/"]["get"]["parameters"]
        names = {p["name"] for p in listing}
        assert "search" not in names
        # Every filter of the list is in the body too.
        assert names - {"page", "page_size", "ordering"} <= set(component["properties"])
