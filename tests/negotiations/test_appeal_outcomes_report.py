"""Appeals by outcome per insurer (issue 15, part 6): in ``GET reports/summary/`` and on the
billing dashboard beside the approval rate; the overturn rate is overturned of decided (upheld
or overturned), a withdrawn level is left out; a fixed number of statements."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Appeal
from tests.factories import CaseFactory, InsurerFactory

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/reports/summary/"


def today() -> dt.date:
    return timezone.localdate()


def case_at(practice, insurer, status):
    decided = timezone.now() - dt.timedelta(days=20)
    return CaseFactory(
        practice=practice,
        insurer=insurer,
        status=status,
        submitted_at=decided - dt.timedelta(days=10),
        decided_at=decided,
    )


def appeal(case, level="internal_1", outcome="pending"):
    filed = today() - dt.timedelta(days=15)
    return Appeal.objects.create(
        case=case,
        denied_at=case.decided_at,
        level=level,
        filed_on=filed,
        outcome=outcome,
        decided_on=None if outcome == "pending" else filed + dt.timedelta(days=5),
    )


def test_overturn_rate_per_insurer(world, api, web):
    alpha, beta, gamma = (InsurerFactory(name=n) for n in ("Alpha Health", "Beta Care", "Gamma"))
    # Alpha: one case upheld at the first level, overturned at the second (now approved); one
    # withdrawn; one pending (appealed). Overturned 1 of 2 decided: 50%.
    won = case_at(world.practice, alpha, "approved")
    appeal(won, "internal_1", "upheld")
    appeal(won, "internal_2", "overturned")
    appeal(case_at(world.practice, alpha, "denied"), outcome="withdrawn")
    appeal(case_at(world.practice, alpha, "appealed"))
    # Beta: upheld once: 0%. Gamma: pending only: no rate yet.
    appeal(case_at(world.practice, beta, "denied"), outcome="upheld")
    appeal(case_at(world.practice, gamma, "appealed"))
    # Another practice's appeals never count.
    appeal(case_at(world.other_practice, alpha, "approved"), outcome="overturned")

    data = api(world.billing).get(SUMMARY).json()
    assert data["appeals_by_insurer"] == [
        {
            "insurer": alpha.pk,
            "insurer_name": "Alpha Health",
            "filed": 4,
            "pending": 1,
            "upheld": 1,
            "overturned": 1,
            "withdrawn": 1,
            "overturn_rate": "50.00",
        },
        {
            "insurer": beta.pk,
            "insurer_name": "Beta Care",
            "filed": 1,
            "pending": 0,
            "upheld": 1,
            "overturned": 0,
            "withdrawn": 0,
            "overturn_rate": "0.00",
        },
        {
            "insurer": gamma.pk,
            "insurer_name": "Gamma",
            "filed": 1,
            "pending": 1,
            "upheld": 0,
            "overturned": 0,
            "withdrawn": 0,
            "overturn_rate": None,
        },
    ]
    # An appealed case was denied: decided, not approved (Alpha: 1 approved of 3 decided).
    alpha_row = next(r for r in data["insurers"] if r["insurer"] == alpha.pk)
    assert (alpha_row["decided"], alpha_row["approved"]) == (3, 1)
    assert data["cases_by_status"]["appealed"] == 2

    # The dashboard: the same numbers, with the approval rate beside them.
    cache.clear()
    page = web(world.billing).get("/")
    rows = {r["insurer_name"]: r for r in page.context["appeals"]}
    assert rows["Alpha Health"]["overturn_rate"] == Decimal("50.00")
    assert rows["Alpha Health"]["approval_rate"] == Decimal("33.33")
    # Gamma: its one case is under appeal (decided, not approved); no level decided yet.
    assert rows["Gamma"]["approval_rate"] == Decimal("0.00")
    assert rows["Gamma"]["overturn_rate"] is None
    html = page.content.decode()
    section = html[html.index('id="appeals-h"') :]
    section = section[: section.index("</section>")]
    assert '<th scope="row">Alpha Health</th>' in section
    assert "33%" in section and "50%" in section
    # Staff see no reports.
    assert 'id="appeals-h"' not in web(world.staff).get("/").content.decode()


def test_no_appeals_is_an_empty_list(world, api):
    assert api(world.billing).get(SUMMARY).json()["appeals_by_insurer"] == []


def _statements(fetch) -> int:
    cache.clear()  # the summary is cached
    with CaptureQueriesContext(connection) as ctx:
        assert fetch().status_code == 200
    return len(ctx)


def test_dashboard_query_count_constant_with_appeals(world, api, web):
    browser, client = web(world.billing), api(world.billing)
    browser.get("/"), client.get(SUMMARY)  # the session, the user's roles and other caches
    # One case on the dashboard first, so that both counts include the access log's write.
    case_at(world.practice, InsurerFactory(name="Insurer first"), "denied")
    none = _statements(lambda: browser.get("/")), _statements(lambda: client.get(SUMMARY))
    for n in range(4):
        insurer = InsurerFactory(name=f"Insurer {n}")
        denied = case_at(world.practice, insurer, "denied")
        appeal(denied, "internal_1", "upheld")
        appeal(denied, "internal_2", "withdrawn")
        appeal(case_at(world.practice, insurer, "appealed"))
    several = _statements(lambda: browser.get("/")), _statements(lambda: client.get(SUMMARY))
    assert several == none
    assert len(browser.get("/").context["appeals"]) == 4
