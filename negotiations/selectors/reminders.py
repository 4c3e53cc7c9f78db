"""Reads of the reminders: a user's notifications, and what the daily run looks at."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import NOT_APPEALABLE, Appeal, Case, CaseStatus, Membership, RatePolicy
from cases.permissions import roles_for
from cases.selectors.appeals import DEADLINES, REMINDER_DAYS, appeal_options
from cases.selectors.reference import in_force_on
from cases.selectors.tenancy import practice_ids_for

from ..models.agreements import Agreement
from ..models.reminders import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's notices about the cases of the practices they belong to now (one who left a
    practice no longer reads what it told them)."""
    return Notification.objects.filter(user=user, case__practice_id__in=practice_ids_for(user))


# What a notice shows in the app (selectors.alerts.notice_lines): its own columns and its
# case's client's names, for the initials (a read of patient data the page logs).
NOTICE_COLUMNS = (
    "user_id", "case_id", "kind", "key", "message", "detail", "created_at", "read_at",
    "case__practice_id", "case__client_id", "case__client__first_name",
    "case__client__last_name",
)  # fmt: skip


def with_client_initials(notices: QuerySet[Notification]) -> QuerySet[Notification]:
    return notices.select_related("case__client").only(*NOTICE_COLUMNS)


def unread_notifications(user: User, practice_id: int) -> QuerySet[Notification]:
    """The user's unread notices about the practice's cases, newest first, with their client's
    names. Each row carries ``unread_total``, the count of them all (a window), so the
    navigation's badge needs no query of its own on the dashboard."""
    return (
        with_client_initials(
            Notification.objects.filter(
                user=user, read_at__isnull=True, case__practice_id=practice_id
            )
        )
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


# The longest an appeal level may be open, counted from the denial it answers: the longest
# rule of DEADLINES, or a policy's appeal_days (at most 365). A denial older than this has
# nothing left to remind.
LONGEST_APPEAL_WINDOW = dt.timedelta(
    days=max([365, *(days + 31 * months for days, months in DEADLINES.values())])
)


@dataclass(frozen=True)
class AppealDue:
    """A level of appeal whose deadline has come within a reminder's days, and who to tell:
    the case's assignee (else its creator) and the practice's members of the role that files
    appeals (ACTION_ROLES' ``appeal``)."""

    case: Case
    level: str
    label: str
    due_on: dt.date
    days: int  # the reminder (REMINDER_DAYS) this is: 14 or 3 days before
    days_left: int
    recipients: tuple[User, ...]


def _reminder_days(days_left: int) -> int | None:
    """The reminder a deadline ``days_left`` away falls under: the nearest of REMINDER_DAYS
    not yet passed (a day the run missed is caught up the next day, once)."""
    due = [d for d in REMINDER_DAYS if 0 <= days_left <= d]
    return min(due) if due else None


def _denied_with_appeals_open(today: dt.date) -> list[Case]:
    """Every practice's denied cases that may still be appealed, with their appeals, client,
    assignee, creator and the id of the policy they work under, in two queries."""
    since = today - LONGEST_APPEAL_WINDOW
    recent = (
        Q(denial_received_on__gte=since)
        | Q(denial_received_on__isnull=True, decided_at__date__gte=since)
        | Exists(Appeal.objects.filter(case=OuterRef("pk"), decided_on__gte=since))
    )
    # The policy a case works under (cases.selectors.reference.case_policy): the one recorded
    # at submission, else the one in force on the submission day, found here per case by
    # the one "in force" rule, applied to the case's own submission day in SQL.
    submitted_on = TruncDate("submitted_at", tzinfo=timezone.get_current_timezone())
    candidates = RatePolicy.objects.filter(
        practice_id=OuterRef("practice_id"),
        insurer_id=OuterRef("insurer_id"),
        line_of_business=OuterRef("client__line_of_business"),
    )
    on = OuterRef("submitted_on")  # each case's own day
    in_force = in_force_on(candidates, on)  # type: ignore[arg-type]  # a day, as SQL
    return list(
        Case.objects.filter(status=CaseStatus.DENIED)
        .exclude(denial_category__in=NOT_APPEALABLE)
        .filter(recent)
        .annotate(submitted_on=submitted_on)
        .annotate(
            policy_in_force_id=Subquery(in_force.order_by("-effective_from").values("pk")[:1])
        )
        .select_related("client", "assigned_to", "created_by")
        .prefetch_related("appeals")
        .order_by("id")
    )


def _policy_id(case: Case) -> int | None:
    in_force: int | None = getattr(case, "policy_in_force_id", None)
    return case.rate_policy_id or in_force


def appeals_due(today: dt.date) -> list[AppealDue]:
    """The levels of appeal whose deadline is 14 or 3 days away (REMINDER_DAYS) or nearer,
    not yet passed, with whom to tell. Four queries, however many cases: the cases with
    their appeals, their policies, the practices' members who file appeals."""
    cases = _denied_with_appeals_open(today)
    policy_ids = {pk for pk in map(_policy_id, cases) if pk is not None}
    policies = {p.pk: p for p in RatePolicy.objects.filter(pk__in=policy_ids)}
    found: list[tuple[Case, str, str, dt.date, int, int]] = []
    for case in cases:
        policy_id = _policy_id(case)
        policy = policies.get(policy_id) if policy_id is not None else None
        for option in appeal_options(case, list(case.appeals.all()), policy):
            days_left = (option.due_on - today).days
            days = _reminder_days(days_left)
            if days is not None:
                found.append((case, option.level, option.label, option.due_on, days, days_left))
    filers: dict[int, list[User]] = {}
    if found:
        members = Membership.objects.filter(
            practice_id__in={case.practice_id for case, *_ in found},
            practice__is_active=True,
            # Every role that may file (billing, and admins above it).
            role__in=roles_for("appeal"),
            user__is_active=True,
        ).select_related("user")
        for membership in members.order_by("user_id"):
            filers.setdefault(membership.practice_id, []).append(membership.user)
    due = []
    for case, level, label, due_on, days, days_left in found:
        owner = case.assigned_to or case.created_by
        people = ([owner] if owner is not None else []) + filers.get(case.practice_id, [])
        recipients = tuple({user.pk: user for user in people}.values())
        due.append(AppealDue(case, level, label, due_on, days, days_left, recipients))
    return due
