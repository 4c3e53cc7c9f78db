"""fetch_together: several short lists of one model, each intact, in one statement on
PostgreSQL (each its own query on SQLite)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from core.queries import fetch_together
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_fetch_together_returns_each_list_in_its_own_order_and_limit(world):
    now = timezone.now()
    for i in range(6):
        CaseFactory(
            practice=world.practice,
            status="submitted" if i % 2 else "draft",
            submitted_at=now - dt.timedelta(days=i) if i % 2 else None,
            follow_up_on=timezone.localdate() + dt.timedelta(days=(i * 5) % 6),
        )
    base = Case.objects.filter(practice=world.practice).select_related("client", "insurer")
    lists = {
        "newest": (base.order_by("-created_at", "-id"), 4),
        "waiting": (base.filter(status="submitted").order_by("submitted_at", "id"), 2),
        "follow_up": (base.order_by("follow_up_on", "id"), 3),
        "none": (base.filter(status="approved").order_by("id"), 5),
    }
    expected = {name: [c.pk for c in qs[:limit]] for name, (qs, limit) in lists.items()}
    with CaptureQueriesContext(connection) as ctx:
        found = fetch_together(lists)
        names = {name: [c.client.last_name for c in rows] for name, rows in found.items()}
    assert {name: [c.pk for c in rows] for name, rows in found.items()} == expected
    assert names["newest"] and names["none"] == []  # select_related came along
    one_statement = connection.features.supports_slicing_ordering_in_compound
    assert len(ctx.captured_queries) == (1 if one_statement else len(lists))


def test_fetch_together_refuses_a_list_without_an_explicit_order(world):
    """Meta.ordering would not number the rows of the union: the lists would come back mixed."""
    from negotiations.models import Notification

    ordered = Case.objects.order_by("id")
    with pytest.raises(ValueError, match="explicit order_by: notices"):
        fetch_together({"cases": (ordered, 2), "notices": (Notification.objects.all(), 2)})
