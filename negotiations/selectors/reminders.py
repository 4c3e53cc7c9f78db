"""Reads of the reminders: a user's notifications, and what the daily run looks at."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet, Window

from cases.models import Case, CaseStatus

from ..models.agreements import Agreement
from ..models.reminders import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_notifications(user: User, practice_id: int) -> QuerySet[Notification]:
    """The user's unread notices about the practice's cases, newest first. Each row carries
    ``unread_total``, the count of them all (a window), so the navigation's badge needs no
    query of its own on the dashboard."""
    return (
        Notification.objects.filter(user=user, read_at__isnull=True, case__practice_id=practice_id)
        .annotate(unread_total=Window(Count("id")))
        .order_by("-created_at", "-id")
    )


def follow_ups_to_remind(today: dt.date) -> QuerySet[Case]:
    """Every practice's open cases whose follow-up date has come, with whom to tell."""
    return (
        Case.objects.filter(follow_up_on__lte=today)
        .exclude(
            status__in=[
                CaseStatus.WITHDRAWN,
                CaseStatus.DENIED,
                CaseStatus.DECLINED,
                CaseStatus.EXPIRED,
            ]
        )
        .select_related("assigned_to", "created_by")
    )


def agreements_running(today: dt.date) -> QuerySet[Agreement]:
    """The agreements of approved cases that have not ended, with their lines and use."""
    return (
        Agreement.objects.filter(case__status=CaseStatus.APPROVED, end_date__gte=today)
        .select_related("case__assigned_to", "case__created_by")
        .prefetch_related("lines__billing_code", "utilization")
    )


def notifications_not_emailed() -> QuerySet[Notification]:
    return Notification.objects.filter(emailed=False).select_related("user")
