"""Reads of the contact log, and the peer-to-peer reviews a user has to attend to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import Case, CaseStatus, Provider
from cases.selectors.tenancy import practice_ids_for

from ..models.contacts import ContactKind, ContactLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Where a review stands (``review_state``): booked ahead; asked for but not yet booked (the
# insurer's request deadline runs); its time has passed without an outcome; decided.
SCHEDULED, REQUESTED, AWAITING_OUTCOME, DECIDED = "scheduled", "requested", "awaiting", "decided"
# Cases whose reviews still matter: the insurer has the request, or its denial stands.
REVIEW_STATUSES = (
    CaseStatus.SUBMITTED,
    CaseStatus.IN_NEGOTIATION,
    CaseStatus.DENIED,
    CaseStatus.APPEALED,
)
# A review whose time passed this long ago without an outcome leaves the dashboard.
AWAITING_DAYS = 14


def contacts_for(case: Case) -> QuerySet[ContactLog]:
    """The case's contact log with who wrote each entry and each review's BCBA, oldest first."""
    return case.contacts.select_related("created_by", "treating_provider")


def providers_of(practice_id: int) -> QuerySet[Provider]:
    """Who may be a review's treating provider: the practice's providers."""
    return Provider.objects.filter(practice_id=practice_id).order_by("last_name", "first_name")


def review_state(entry: ContactLog, now: dt.datetime) -> str:
    """A review's state, from its time: one booked ahead is scheduled; one logged without a time
    (``at`` is when it was logged, so not after ``created_at``) and still within its request
    deadline is requested; otherwise its outcome is awaited until recorded."""
    if entry.outcome:
        return DECIDED
    if entry.at > now:
        return SCHEDULED
    booked = entry.created_at is not None and entry.at > entry.created_at
    if not booked and entry.request_by and entry.request_by >= timezone.localdate(now):
        return REQUESTED
    return AWAITING_OUTCOME


def with_review_state(entries: Iterable[ContactLog], now: dt.datetime) -> list[ContactLog]:
    """The entries, each review carrying ``review_state`` for the pages."""
    rows = list(entries)
    for entry in rows:
        if entry.kind == ContactKind.PEER_TO_PEER:
            # For the pages; not a field of ContactLog.
            setattr(entry, "review_state", review_state(entry, now))  # noqa: B010
    return rows


def reviews_to_attend(
    user: User | AnonymousUser, practice_id: int, *, now: dt.datetime
) -> QuerySet[ContactLog]:
    """The user's peer-to-peer reviews without an outcome (the dashboard's task card): on open
    cases of the practice assigned to them, or created by them while nobody is assigned;
    those ahead, those whose request deadline is today or later, and those that took place
    in the last AWAITING_DAYS. Soonest first, one statement with the case and its insurer."""
    today = timezone.localdate(now)
    mine = Q(case__assigned_to=user) | Q(case__assigned_to__isnull=True, case__created_by=user)
    return (
        ContactLog.objects.filter(
            mine,
            kind=ContactKind.PEER_TO_PEER,
            outcome="",
            case__practice_id=practice_id,
            case__practice_id__in=practice_ids_for(user),
            case__status__in=REVIEW_STATUSES,
        )
        .filter(Q(at__gte=now - dt.timedelta(days=AWAITING_DAYS)) | Q(request_by__gte=today))
        .select_related("case__insurer", "treating_provider")
        .only(
            "case",
            "kind",
            "at",
            "request_by",
            "treating_provider",
            "reviewer_name",
            "reviewer_credentials",
            "outcome",
            "created_at",
            "case__status",
            "case__insurer",
            "case__insurer__name",
            "treating_provider__first_name",
            "treating_provider__last_name",
            "treating_provider__credential",
        )  # fmt: skip
        .order_by("at", "id")
    )
