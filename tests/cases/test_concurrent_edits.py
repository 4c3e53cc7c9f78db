"""Twenty concurrent PATCHes with the same version: one wins, nineteen get 409."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from cases.models import Case
from tests.conftest import require_service
from tests.factories import CaseFactory, MembershipFactory


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_patches_with_one_version_lose_no_update():
    require_service("PostgreSQL", connection.vendor == "postgresql")
    staff = MembershipFactory(role="staff").user
    case = CaseFactory(practice=staff.memberships.get().practice)
    barrier = threading.Barrier(20)
    results: dict[int, int] = {}
    lock = threading.Lock()

    def patch(i: int):
        client = APIClient()
        client.force_authenticate(user=staff)
        try:
            barrier.wait(timeout=30)
            response = client.patch(
                f"/api/v1/cases/{case.pk}/",
                {"version": 1, "sessions_requested": 100 + i},
                format="json",
            )
            with lock:
                results[i] = (
                    response.status_code,
                    response.json().get("code", str(response.json())[:200]),
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    winners = [i for i, (code, _) in results.items() if code == 200]
    assert len(results) == 20 and len(winners) == 1, results
    assert all(r == (409, "stale_version") for i, r in results.items() if i != winners[0]), results
    case.refresh_from_db()
    assert case.version == 2 and case.sessions_requested == 100 + winners[0]
    assert case.events.filter(kind="updated").count() == 1
    assert Case.history.filter(id=case.pk).count() == 2  # created + the one change
