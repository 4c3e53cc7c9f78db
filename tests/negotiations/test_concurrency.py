"""Twenty concurrent accepts of one offer on PostgreSQL: exactly one agreement."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from negotiations.models import Agreement, Offer
from tests.conftest import require_service
from tests.factories import (
    BillingCodeFactory,
    CaseFactory,
    MembershipFactory,
    OfferFactory,
    OfferLineFactory,
    RequestedServiceFactory,
)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_accepts_make_exactly_one_agreement():
    require_service("PostgreSQL", connection.vendor == "postgresql")
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
    results: list[int] = []
    lock = threading.Lock()

    def accept():
        client = APIClient()
        client.force_authenticate(user=billing)
        try:
            barrier.wait(timeout=30)
            response = client.post(url, body, format="json")
            code = (
                response.status_code,
                response.json().get("code") if response.status_code != 200 else None,
            )
            with lock:
                results.append(code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(results) == 20
    assert results.count((200, None)) == 1, results
    assert all(
        r in {(409, "offer_not_open"), (409, "invalid_transition")} for r in results if r[0] != 200
    ), results
    assert Agreement.objects.filter(case=case).count() == 1
    assert Agreement.objects.get(case=case).lines.count() == 1
    assert Offer.objects.get(pk=offer.pk).status == "accepted"
    assert case.events.filter(kind="accepted").count() == 1
