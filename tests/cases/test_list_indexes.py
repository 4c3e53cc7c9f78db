"""Every case-list filter the UI and API offer is served by an index in the default order, so
a page never sorts the practice's cases (checked with EXPLAIN on PostgreSQL). Which index the
planner picks at scale is shown in bench/ (docs/PERFORMANCE.md)."""

import pytest
from django.db import connection
from django.test import RequestFactory
from rest_framework.request import Request

from cases.api.case import CaseViewSet
from tests.conftest import require_service

FILTERS = {
    "": "case_practice_recent",
    "status=approved": "case_practice_status",
    "insurer={insurer}&status=approved": "case_practice_insurer",
    "provider={provider}": "case_practice_provider",
    "assigned_to={user}": "case_practice_assignee",
    "reason=continuity_of_care": "case_practice_reason",
}


def page_ids_sql(user, query: str) -> tuple[str, list]:
    request = Request(RequestFactory().get(f"/api/v1/cases/?{query}"))
    request.user = user
    view = CaseViewSet(request=request, action="list", format_kwarg=None, kwargs={})
    queryset = view.filter_queryset(view.get_queryset())
    ids = queryset.values_list("pk", flat=True)[:26]
    sql, params = ids.query.sql_with_params()
    return sql, list(params)


@pytest.mark.parametrize("query", list(FILTERS))
def test_case_list_filters_use_an_index_in_the_default_order(world, ready_case, query):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    q = query.format(
        insurer=ready_case.insurer_id, provider=ready_case.provider_id, user=world.staff.pk
    )
    sql, params = page_ids_sql(world.staff, q)
    with connection.cursor() as cursor:
        # Tiny test tables would be scanned sequentially, or read through any index and sorted
        # (one row sorts for free; autovacuum may have analyzed the empty table mid-suite).
        # Forbid both: a plan without a Sort exists only if an index gives the order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # On tiny test tables the planner may prefer the practice-wide index with a filter over the
    # specific one; either way a list index in the default order serves it and nothing sorts.
    assert "case_practice_" in plan and "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_cases(world, ready_case):
    """Enough rows (and fresh statistics) that the planner chooses as it would at scale."""
    require_service("PostgreSQL", connection.vendor == "postgresql")
    from cases.models import Case, Client

    template = Client.objects.get(pk=ready_case.client_id)
    clients = Client.objects.bulk_create(
        Client(
            practice=world.practice, first_name=f"Name{i}", last_name=f"Family{i}",
            date_of_birth=template.date_of_birth, insurer=template.insurer, member_id=f"Q{i:07d}",
        )
        for i in range(3000)
    )  # fmt: skip
    Case.objects.bulk_create(
        Case(
            practice=world.practice, client=client, insurer=ready_case.insurer,
            reason="network_inadequacy", insurer_reference=f"REF{i}",
        )
        for i, client in enumerate(clients)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_client")
        cursor.execute("ANALYZE cases_case")
    return clients


def search_ids_sql(user, q: str) -> tuple[str, list]:
    """The page ids of ``POST /api/v1/cases/search/ {"q": q}``."""
    request = Request(RequestFactory().post("/api/v1/cases/search/"))
    request.user = user
    view = CaseViewSet(request=request, action="search", format_kwarg=None, kwargs={})
    queryset = view.search_queryset(q=q, filters={}, ordering=None)
    sql, params = queryset.values_list("pk", flat=True)[:26].query.sql_with_params()
    return sql, list(params)


def test_search_reaches_cases_by_index_never_by_scanning_them(world, many_cases):
    sql, params = search_ids_sql(world.staff, "Q0001234")
    plan = _plan(sql, params)
    assert "case_search_reference" in plan and "case_search_authorization" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_search_matches_clients_on_prefix_indexes(world, many_cases):
    from django.db.models import Q

    from cases.models import Client

    clients = Client.objects.filter(practice_id=world.practice.pk).filter(
        Q(first_name__istartswith="Q00012")
        | Q(last_name__istartswith="Q00012")
        | Q(member_id__istartswith="Q00012")
    )
    sql, params = clients.values_list("pk", flat=True).query.sql_with_params()
    plan = _plan(sql, list(params))
    for index in ("client_search_first", "client_search_last", "client_search_member"):
        assert index in plan, plan
    assert "Seq Scan" not in plan, plan


def test_postgres_keeps_the_orms_join_order_past_the_fourth_join(db):
    """Planning every order of the workspace's eight-table join took 3.5 ms of its 3.8."""
    require_service("PostgreSQL", connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        assert cursor.fetchone()[0] == "4"


def test_the_list_page_joins_four_tables_and_reads_the_assignee_by_subquery(world, ready_case):
    """A fifth join doubled the list query's planning time; the assignee's name is a subquery."""
    from cases.models import Case
    from cases.serializers.case import CASE_ROW_COLUMNS, _with_assignee_name

    sql = str(_with_assignee_name(Case.objects.all()).values_list(*CASE_ROW_COLUMNS)[:26].query)
    assert sql.count(" JOIN ") == 3, sql
    assert '(SELECT U0."username" AS "username" FROM "auth_user" U0' in sql, sql
