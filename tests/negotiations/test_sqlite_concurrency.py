"""Twenty concurrent accepts of one offer on a SQLite file: one agreement, and every other
request refused cleanly (409, or 503 if it waited past the lock's timeout), never a 500.

The embedded default is SQLite, and gunicorn's workers (or a threaded runserver) write to it at
once. The settings' OPTIONS (WAL, BEGIN IMMEDIATE, a 20-second busy timeout) are what make that
safe; this runs them against a real file.

pytest-django's SQLite test database lives in memory (shared cache), where neither WAL nor the
busy timeout applies: a second writer fails at once with "database table is locked". So the
fixture below copies the test database's schema into a file (SQLite's backup API) and points
the default connection's settings at it for this test only; each thread opens its own
connection to the file with the settings' OPTIONS. The in-memory connection is kept open
aside (closing it would drop the in-memory database) and put back afterwards. A TEST NAME in
the settings or django_db_modify_db_settings would instead move the whole session to a file.
"""

import datetime as dt
import sqlite3
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from negotiations.models import Agreement, Offer
from tests.factories import (
    BillingCodeFactory,
    CaseFactory,
    MembershipFactory,
    OfferFactory,
    OfferLineFactory,
    RequestedServiceFactory,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite only (tests/negotiations/test_concurrency.py)"
)


@pytest.fixture
def sqlite_file(tmp_path):
    path = tmp_path / "concurrency.sqlite3"
    connection.ensure_connection()
    in_memory = connection.connection
    target = sqlite3.connect(path)
    in_memory.backup(target)  # the schema (a transactional test starts with no rows)
    target.close()
    settings_dict = connection.settings_dict  # the same dict every thread's connection reads
    name = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    connection.connection = None  # the next query opens the file
    try:
        yield path
    finally:
        connection.close()
        settings_dict["NAME"] = name
        connection.connection = in_memory


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_accepts_on_sqlite_make_one_agreement_and_no_500(sqlite_file):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"  # the settings' init_command ran on the file
    billing = MembershipFactory(role="billing").user
    practice = billing.memberships.get().practice
    case = CaseFactory(practice=practice, status="in_negotiation", submitted_at=timezone.now())
    code = BillingCodeFactory()
    RequestedServiceFactory(case=case, billing_code=code)
    offer = OfferFactory(case=case)
    OfferLineFactory(offer=offer, billing_code=code, rate=Decimal("14.00"), units=400)
    today = timezone.localdate()
    body = {
        "authorization_number": "RACE-1",
        "start_date": (today + dt.timedelta(days=10)).isoformat(),
        "end_date": (today + dt.timedelta(days=100)).isoformat(),
    }
    url = f"/api/v1/cases/{case.pk}/offers/{offer.pk}/accept/"
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def accept():
        client = APIClient()
        client.force_authenticate(user=billing)
        try:
            barrier.wait(timeout=30)
            response = client.post(url, body, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(statuses) == 20
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400, 409, 503}, statuses
    assert Agreement.objects.filter(case=case).count() == 1
    assert Offer.objects.get(pk=offer.pk).status == "accepted"
    assert case.events.filter(kind="accepted").count() == 1
