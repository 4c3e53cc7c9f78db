"""The cases API: a full journey, tenant isolation on every route, constant query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from tests.factories import (
    BillingCodeFactory,
    CaseFactory,
    ClientFactory,
    ConsentFactory,
    InsurerFactory,
    NetworkSearchFactory,
    ProviderFactory,
    RequestedServiceFactory,
)


def test_full_journey_through_the_api(world, api, policy):
    staff = api(world.staff)
    today = timezone.localdate()
    code_a = BillingCodeFactory(code="97153")
    code_b = BillingCodeFactory(code="97155", short_description="Protocol modification")
    provider = ProviderFactory(practice=world.practice)

    r = staff.post(
        "/api/v1/clients/",
        {
            "first_name": "Ava",
            "last_name": "Martinez",
            "date_of_birth": "2019-03-14",
            "insurer": policy.insurer.pk,
            "member_id": "EVG100201",
            "diagnosis_codes": ["F84.0"],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    client_id = r.json()["id"]

    start = today + dt.timedelta(days=21)
    r = staff.post(
        "/api/v1/cases/",
        {
            "client": client_id,
            "provider": provider.pk,
            "insurer": policy.insurer.pk,
            "reason": "network_inadequacy",
            "initiated_by": "practice",
            "service_type": "aba",
            "planned_start_date": start.isoformat(),
            "requested_start": start.isoformat(),
            "requested_end": (start + dt.timedelta(days=179)).isoformat(),
            "sessions_requested": 72,
            "clinical_justification": "No in-network BCBA within 40 miles has an opening.",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["status"] == "draft" and case["version"] == 1
    assert "submit" in case["allowed_actions"]
    base = f"/api/v1/cases/{case['id']}"

    r = staff.get(f"{base}/readiness/")
    assert r.json()["ready"] is False

    for i, outcome in enumerate(["waitlist", "not_accepting", "lacks_expertise"]):
        r = staff.post(
            f"{base}/network-searches/",
            {
                "provider_name": f"Clinic {i}",
                "contacted_on": (today - dt.timedelta(days=9 - i)).isoformat(),
                "method": "phone",
                "outcome": outcome,
                "wait_weeks": 20 if outcome == "waitlist" else None,
            },
            format="json",
        )
        assert r.status_code == 201, r.content
    for code, units, rate in ((code_a, 480, "17.00"), (code_b, 96, "31.25")):
        r = staff.post(
            f"{base}/services/",
            {
                "billing_code": code.pk,
                "modifier": "",
                "units": units,
                "unit_period": "total",
                "requested_rate": rate,
            },
            format="json",
        )
        assert r.status_code == 201, r.content
    r = staff.post(
        f"{base}/consents/",
        {
            "signer_name": "Pat Martinez",
            "signer_relationship": "parent",
            "signed_on": today.isoformat(),
            "acknowledges_costs": True,
            "estimated_patient_cost": "300.00",
        },
        format="json",
    )
    assert r.status_code == 201, r.content

    r = staff.get(f"{base}/readiness/")
    assert r.json()["ready"] is True, r.json()

    r = staff.post(f"{base}/submit/", {"insurer_reference": "EVG-REF-1"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "submitted" and r.json()["insurer_reference"] == "EVG-REF-1"

    r = staff.post(
        f"{base}/withdraw/", {"reason": "Family chose an in-network provider."}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"

    events = staff.get(f"{base}/events/").json()["results"]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "created" and kinds[-2:] == ["submitted", "withdrawn"]
    assert kinds.count("search_added") == 3 and kinds.count("service_added") == 2
    assert {e["actor"] for e in events} == {"demo_staff"}


def _case_routes(case):
    search = NetworkSearchFactory(case=case)
    service = case.services.first() or RequestedServiceFactory(case=case)
    consent = ConsentFactory(case=case)
    event = case.events.create(kind="note", message="x")
    base = f"/api/v1/cases/{case.pk}"
    return [
        ("get", f"{base}/"),
        ("patch", f"{base}/"),
        ("put", f"{base}/"),
        ("post", f"{base}/submit/"),
        ("post", f"{base}/deny/"),
        ("post", f"{base}/withdraw/"),
        ("post", f"{base}/renew/"),
        ("get", f"{base}/readiness/"),
        ("get", f"{base}/network-searches/"),
        ("post", f"{base}/network-searches/"),
        ("get", f"{base}/network-searches/{search.pk}/"),
        ("patch", f"{base}/network-searches/{search.pk}/"),
        ("delete", f"{base}/network-searches/{search.pk}/"),
        ("get", f"{base}/services/"),
        ("post", f"{base}/services/"),
        ("get", f"{base}/services/{service.pk}/"),
        ("patch", f"{base}/services/{service.pk}/"),
        ("delete", f"{base}/services/{service.pk}/"),
        ("get", f"{base}/consents/"),
        ("post", f"{base}/consents/"),
        ("get", f"{base}/consents/{consent.pk}/"),
        ("patch", f"{base}/consents/{consent.pk}/"),
        ("delete", f"{base}/consents/{consent.pk}/"),
        ("get", f"{base}/consents/{consent.pk}/file/"),
        ("get", f"{base}/events/"),
        ("get", f"{base}/events/{event.pk}/"),
    ]


def test_tenant_isolation_every_case_route_is_404_for_another_practice(world, api, ready_case):
    before = Case.objects.values().get(pk=ready_case.pk)
    other = api(world.other_staff)
    routes = _case_routes(ready_case)
    counts = (
        ready_case.services.count(),
        ready_case.network_searches.count(),
        ready_case.consents.count(),
    )
    for method, url in routes:
        body = None if method == "get" else {"version": 1, "reason": "x"}
        response = getattr(other, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Martinez" not in response.content.decode()
    assert Case.objects.values().get(pk=ready_case.pk) == before
    assert (
        ready_case.services.count(),
        ready_case.network_searches.count(),
        ready_case.consents.count(),
    ) == counts
    assert other.get("/api/v1/cases/").json()["results"] == []
    search = {"q": ready_case.client.last_name}
    assert other.post("/api/v1/cases/search/", search, format="json").json()["results"] == []


def test_case_list_filters_search_and_ordering(world, api, insurer):
    other_insurer = InsurerFactory()
    a = CaseFactory(practice=world.practice, insurer=insurer, reason="continuity_of_care")
    b = CaseFactory(
        practice=world.practice,
        insurer=other_insurer,
        status="submitted",
        submitted_at=timezone.now(),
    )
    a.client.member_id = "FINDME77"
    a.client.save()
    staff = api(world.staff)
    ids = lambda r: [c["id"] for c in r.json()["results"]]  # noqa: E731
    assert ids(staff.get("/api/v1/cases/", {"status": "submitted"})) == [b.pk]
    assert ids(staff.get("/api/v1/cases/", {"insurer": insurer.pk})) == [a.pk]
    assert ids(staff.get("/api/v1/cases/", {"reason": "continuity_of_care"})) == [a.pk]
    assert ids(staff.post("/api/v1/cases/search/", {"q": "FINDME77"}, format="json")) == [a.pk]
    name = f"{b.client.first_name} {b.client.last_name}"
    assert ids(staff.post("/api/v1/cases/search/", {"q": name}, format="json")) == [b.pk]
    assert ids(staff.get("/api/v1/cases/", {"ordering": "created_at"})) == [a.pk, b.pk]
    assert ids(staff.get("/api/v1/cases/", {"ordering": "-created_at"})) == [b.pk, a.pk]
    r = staff.get("/api/v1/cases/", {"page_size": 1})
    assert len(r.json()["results"]) == 1 and r.json()["next"]
    assert staff.get("/api/v1/cases/", {"status": "bogus"}).status_code == 400


def _make_cases(world, insurer, n):
    code = BillingCodeFactory()
    provider = ProviderFactory(practice=world.practice)
    for _ in range(n):
        case = CaseFactory(
            practice=world.practice,
            insurer=insurer,
            provider=provider,
            client=ClientFactory(practice=world.practice, insurer=insurer),
        )
        RequestedServiceFactory(case=case, billing_code=code)
        NetworkSearchFactory.create_batch(2, case=case)
        ConsentFactory(case=case)


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("n", [1, 50])
def test_case_list_query_count_is_constant(world, api, insurer, n, django_assert_num_queries):
    _make_cases(world, insurer, n)
    staff = api(world.staff)
    # memberships, the page with names joined in (one query for a shallow page); then the
    # access log: its entry and the page's subjects in one bulk insert, inside a savepoint
    # here (the test's transaction; deployed, a transaction whose BEGIN/COMMIT go uncounted)
    with django_assert_num_queries(6):
        response = staff.get("/api/v1/cases/?page_size=100")
    assert len(response.json()["results"]) == n


@pytest.mark.parametrize("n_parts", [1, 50])
def test_case_detail_query_count_is_constant(
    world, api, ready_case, n_parts, django_assert_num_queries
):
    for i in range(n_parts):
        RequestedServiceFactory(case=ready_case, billing_code=BillingCodeFactory(code=f"9{i:04d}"))
        NetworkSearchFactory(case=ready_case)
        ConsentFactory(case=ready_case)
    staff = api(world.staff)
    # memberships, case (+ joined names), services, searches, consents; the access log's
    # entry and subject, inside a savepoint here (the test's transaction)
    with django_assert_num_queries(9):
        response = staff.get(f"/api/v1/cases/{ready_case.pk}/")
    assert len(response.json()["services"]) == n_parts + 1


def test_reads_are_open_to_every_role_in_the_practice(world, api, ready_case):
    for user in (world.staff, world.billing, world.admin):
        assert api(user).get(f"/api/v1/cases/{ready_case.pk}/").status_code == 200


def test_pagination_has_next_and_previous_but_no_count(world, api, insurer):
    for _ in range(5):
        CaseFactory(practice=world.practice, insurer=insurer)
    staff = api(world.staff)
    first = staff.get("/api/v1/cases/", {"page_size": 2}).json()
    assert set(first) == {"next", "previous", "results"} and first["previous"] is None
    second = staff.get(first["next"]).json()
    third = staff.get(second["next"]).json()
    assert third["next"] is None and len(third["results"]) == 1
    assert second["previous"] and "page=" not in second["previous"]
    ids = [c["id"] for page in (first, second, third) for c in page["results"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    assert staff.get("/api/v1/cases/", {"page": 9}).status_code == 404
    assert staff.get("/api/v1/cases/", {"page": "x"}).status_code == 404
    nothing = {"q": "zzzz-nothing", "page_size": 2}
    assert staff.post("/api/v1/cases/search/", nothing, format="json").json()["results"] == []


def test_search_matches_name_prefixes_member_id_and_references(world, api, insurer):
    a = CaseFactory(practice=world.practice, insurer=insurer, insurer_reference="REF-9")
    a.client.first_name, a.client.last_name, a.client.member_id = "Penelope", "Quartz", "QX12345"
    a.client.save()
    CaseFactory(practice=world.practice, insurer=insurer)
    staff = api(world.staff)

    def ids(term):
        response = staff.post("/api/v1/cases/search/", {"q": term}, format="json")
        return [c["id"] for c in response.json()["results"]]

    for term in ("Pen", "quartz", "Penelope Quar", "QX123", "ref-9"):
        assert ids(term) == [a.pk], term
    assert ids("elope") == []  # prefixes only


@pytest.mark.parametrize("zone", ["America/New_York", "UTC"])
def test_fast_list_rows_match_the_reference_serializer(world, api, ready_case, zone):
    """Also in UTC, where DRF writes "Z" for the offset."""
    from django.utils import timezone as tz

    from cases.models import Case
    from cases.serializers.case import (
        CaseFieldsSerializer,
        CaseListSerializer,
        case_rows,
        case_rows_in_order,
    )

    ready_case.assigned_to = world.staff
    ready_case.submitted_at = tz.now()
    ready_case.follow_up_on = tz.localdate()
    ready_case.save()
    for case in (ready_case, CaseFactory(practice=world.practice, provider=None)):
        case.refresh_from_db()
        with tz.override(zone):
            reference = CaseFieldsSerializer(case).data
            assert CaseListSerializer(case).data == reference
            assert case_rows([case.pk])[case.pk] == reference
            assert case_rows_in_order(Case.objects.filter(pk=case.pk)) == [reference]
        assert reference["created_at"].endswith("Z") == (zone == "UTC")


def test_deep_pages_load_ids_first_and_match_shallow_pages(world, api, insurer, monkeypatch):
    import core.api

    _make_cases(world, insurer, 7)
    staff = api(world.staff)
    url = "/api/v1/cases/?page_size=3&page=2&ordering=created_at"
    shallow = staff.get(url).json()
    # Past DIRECT_OFFSET_MAX a page's ids come first (an index-only scan), then its rows.
    monkeypatch.setattr(core.api, "DIRECT_OFFSET_MAX", 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        deep = staff.get(url).json()
    assert deep == shallow
    assert len(shallow["results"]) == 3 and shallow["next"] and shallow["previous"]
    # the ids, then the rows (roles cached on the user); then the access log's entry and
    # subjects, inside a savepoint here (the test's transaction)
    assert len(ctx.captured_queries) == 6


def test_a_blank_requested_rate_takes_the_practice_usual_rate(world, api, ready_case):
    """One rule for the API and the guided request: the fee schedule fills a missing rate."""
    from decimal import Decimal

    from tests.factories import BillingCodeFactory, PracticeRateFactory

    code = BillingCodeFactory(code="97156")
    other = BillingCodeFactory(code="97157")
    PracticeRateFactory(practice=world.practice, billing_code=code, usual_rate=Decimal("28.40"))
    PracticeRateFactory(
        practice=world.other_practice, billing_code=other, usual_rate="9.99", floor_rate=None
    )
    base = f"/api/v1/cases/{ready_case.pk}/services/"
    staff = api(world.staff)
    r = staff.post(base, {"billing_code": code.pk, "units": 40}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["requested_rate"] == "28.40"
    # Another practice's fee schedule never applies; no rate stays no rate.
    r = staff.post(base, {"billing_code": other.pk, "units": 40}, format="json")
    assert r.status_code == 201 and r.json()["requested_rate"] is None
    # A rate that is given is kept.
    third = BillingCodeFactory(code="97158")
    PracticeRateFactory(
        practice=world.practice, billing_code=third, usual_rate=Decimal("12.00"), floor_rate=None
    )
    r = staff.post(
        base, {"billing_code": third.pk, "units": 1, "requested_rate": "13.50"}, format="json"
    )
    assert r.status_code == 201 and r.json()["requested_rate"] == "13.50"
