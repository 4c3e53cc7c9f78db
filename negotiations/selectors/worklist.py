"""The task list: what a practice has to do, read from its cases (tasks are not stored; see
``models.worklist.TaskState``). Six kinds, each named by a stable key ``<kind>:<id>:<due>``:

- ``follow_up``: an open case whose follow-up date is within FOLLOW_UP_DAYS (or past);
- ``appeal_deadline``: each level of appeal a denied case may still file, by its deadline
  (``cases.selectors.appeals.appeal_options``, the rule the reminders and the pages read);
- ``renewal``: an approved case's agreement ending within RENEWAL_DAYS, or with
  RENEWAL_SESSIONS_LEFT sessions or fewer left, that has no renewal yet;
- ``document_failed``: a generated document that failed and was not made since;
- ``stale_draft``: a draft untouched for STALE_DRAFT_DAYS;
- ``peer_to_peer``: a peer-to-peer review without an outcome: booked ahead, to be booked by its
  request deadline, or awaiting its outcome (``selectors.contacts.review_state``).

A task whose due date moves has a new key, so a done or snoozed one shows again. A fixed number
of statements, whatever the number of tasks: hidden states, cases (one UNION ALL on PostgreSQL),
appeals, documents, agreements, reviews; a list's sources read only their soonest rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.db.models.query import prefetch_related_objects
from django.utils import timezone

from cases.models import (
    NOT_APPEALABLE,
    Appeal,
    Case,
    CaseStatus,
    Document,
    DocumentStatus,
    RatePolicy,
)
from cases.selectors.appeals import appeal_options
from cases.selectors.reference import in_force_on
from core.queries import fetch_together

from ..models.agreements import Agreement
from ..models.contacts import ContactKind, ContactLog
from ..models.utilization import UtilizationEntry
from ..models.worklist import TaskState
from .contacts import AWAITING_DAYS, REQUESTED, REVIEW_STATUSES, SCHEDULED, review_state
from .reminders import LONGEST_APPEAL_WINDOW

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

FOLLOW_UP_DAYS = 3  # a follow-up shows this many days ahead
RENEWAL_DAYS = 60  # an agreement ending within this many days is to be renewed
RENEWAL_SESSIONS_LEFT = 3  # ... or one with this many sessions left or fewer
STALE_DRAFT_DAYS = 7  # a draft untouched this long is a task
TASK_LIMIT = 100  # a list shows the soonest this many (at 100,000 cases a practice has thousands)
ALL = 1_000_000  # no limit: every row of a source

FOLLOW_UP, APPEAL, RENEWAL = "follow_up", "appeal_deadline", "renewal"
DOCUMENT, DRAFT, REVIEW = "document_failed", "stale_draft", "peer_to_peer"
# The kinds, in the order the filters offer them, with their names for people.
KINDS: dict[str, str] = {
    FOLLOW_UP: "Follow-up",
    APPEAL: "Appeal deadline",
    RENEWAL: "Agreement to renew",
    DOCUMENT: "Document failed",
    DRAFT: "Draft untouched",
    REVIEW: "Peer-to-peer review",
}
MINE, PRACTICE = "mine", "practice"
VIEWS = {MINE: "My tasks", PRACTICE: "Practice"}
# Cases with nothing left to follow up (as the reminders read them).
CLOSED = (CaseStatus.WITHDRAWN, CaseStatus.DENIED, CaseStatus.DECLINED, CaseStatus.EXPIRED)
# Cases whose failed documents no longer matter.
FINISHED = (CaseStatus.WITHDRAWN, CaseStatus.DECLINED, CaseStatus.EXPIRED)


@dataclass(frozen=True)
class Task:
    """One open task. ``case`` comes with its client, insurer and assignee loaded."""

    kind: str
    object_id: int  # the case, appeal's case, agreement, document or review it is about
    due_on: dt.date
    label: str
    case: Case

    @property
    def key(self) -> str:
        return task_key(self.kind, self.object_id, self.due_on)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def practice_id(self) -> int:
        return self.case.practice_id

    @property
    def assignee(self) -> User | None:
        return self.case.assigned_to

    def overdue(self, today: dt.date) -> bool:
        return self.due_on < today


def task_key(kind: str, object_id: int, due_on: dt.date) -> str:
    return f"{kind}:{object_id}:{due_on.isoformat()}"


def parse_task_key(key: str) -> tuple[str, int, dt.date] | None:
    """(kind, id, due) of a well-formed key, else None (no such task)."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] not in KINDS or not parts[1].isdigit() or len(parts[1]) > 9:
        return None
    try:
        return parts[0], int(parts[1]), dt.date.fromisoformat(parts[2])
    except ValueError:
        return None


def _mine(user: User | AnonymousUser, prefix: str = "") -> Q:
    """The user's: assigned to them, or unassigned and created by them."""
    return Q(**{f"{prefix}assigned_to": user}) | Q(
        **{f"{prefix}assigned_to__isnull": True, f"{prefix}created_by": user}
    )


CASE_RELATED = ("client", "insurer", "assigned_to")


@dataclass(frozen=True)
class _Scope:
    practice_ids: list[int]
    today: dt.date
    now: dt.datetime
    mine: User | AnonymousUser | None  # None: the whole practice
    kinds: frozenset[str]
    object_id: int | None  # one object's tasks (a key's), else all
    limits: dict[str, int]  # per kind, the most rows to read (by due date)

    def limit(self, kind: str) -> int:
        return self.limits.get(kind, ALL)

    def cases(self, prefix: str = "") -> Q:
        q = Q(**{f"{prefix}practice_id__in": self.practice_ids})
        if self.mine is not None:
            q &= _mine(self.mine, prefix)
        return q

    def only(self, field: str = "pk") -> Q:
        return Q(**{field: self.object_id}) if self.object_id is not None else Q()


def _case_tasks(scope: _Scope) -> list[Task]:
    """Follow-ups, stale drafts and appeal deadlines: one statement for the cases, and one for
    the appeals of the denied ones. A denied case's policy (whose ``appeal_days`` moves the
    first level's deadline) is read in the same statement: the one recorded at submission,
    else the one in force on the submission day (as ``selectors.reminders`` reads it)."""
    on = OuterRef("submitted_on")  # each case's own submission day
    candidates = RatePolicy.objects.filter(
        practice_id=OuterRef("practice_id"),
        insurer_id=OuterRef("insurer_id"),
        line_of_business=OuterRef("client__line_of_business"),
    )
    in_force = in_force_on(candidates, on)  # type: ignore[arg-type]  # a day, as SQL
    base = (
        Case.objects.filter(scope.cases(), scope.only())
        .select_related(*CASE_RELATED)
        .annotate(submitted_on=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
    )
    no_policy = Cast(models.Value(None), output_field=models.SmallIntegerField())  # as a UNION
    lists: dict[str, tuple[QuerySet[Case], int]] = {}
    if FOLLOW_UP in scope.kinds:
        horizon = scope.today + dt.timedelta(days=FOLLOW_UP_DAYS)
        follow_ups = base.filter(follow_up_on__lte=horizon).exclude(status__in=CLOSED)
        lists[FOLLOW_UP] = (
            follow_ups.annotate(policy_appeal_days=no_policy).order_by("follow_up_on", "id"),
            scope.limit(FOLLOW_UP),
        )
    if DRAFT in scope.kinds:
        stale = scope.now - dt.timedelta(days=STALE_DRAFT_DAYS)
        drafts = base.filter(status=CaseStatus.DRAFT, updated_at__lt=stale)
        lists[DRAFT] = (
            drafts.annotate(policy_appeal_days=no_policy).order_by("updated_at", "id"),
            scope.limit(DRAFT),
        )
    if APPEAL in scope.kinds:
        # Every case that may still be appealed (its deadlines are worked out in Python).
        since = scope.today - LONGEST_APPEAL_WINDOW
        denied_ = base.filter(status=CaseStatus.DENIED).exclude(denial_category__in=NOT_APPEALABLE)
        denied_ = denied_.filter(
            Q(denial_received_on__gte=since)
            | Q(denial_received_on__isnull=True, decided_at__date__gte=since)
            | Q(Exists(Appeal.objects.filter(case=OuterRef("pk"), decided_on__gte=since)))
        )
        policy_days = SqlCase(
            When(rate_policy__isnull=False, then=F("rate_policy__appeal_days")),
            default=Subquery(in_force.order_by("-effective_from").values("appeal_days")[:1]),
            output_field=models.SmallIntegerField(),
        )
        lists[APPEAL] = (denied_.annotate(policy_appeal_days=policy_days).order_by("id"), ALL)
    found = fetch_together(lists) if len(lists) > 1 else {
        name: list(queryset[:limit]) for name, (queryset, limit) in lists.items()
    }  # fmt: skip
    cases = [case for rows in found.values() for case in rows]
    denied = [case for case in cases if case.status == CaseStatus.DENIED]
    prefetch_related_objects(denied, "appeals")
    tasks = []
    for case in cases:
        if FOLLOW_UP in scope.kinds and case.follow_up_on and case.status not in CLOSED:
            horizon = scope.today + dt.timedelta(days=FOLLOW_UP_DAYS)
            if case.follow_up_on <= horizon:
                tasks.append(Task(FOLLOW_UP, case.pk, case.follow_up_on, "Follow up", case))
        if DRAFT in scope.kinds and case.status == CaseStatus.DRAFT:
            touched = timezone.localdate(case.updated_at)
            due = touched + dt.timedelta(days=STALE_DRAFT_DAYS)
            if case.updated_at < scope.now - dt.timedelta(days=STALE_DRAFT_DAYS):
                label = f"Draft untouched since {touched.isoformat()}: submit or withdraw"
                tasks.append(Task(DRAFT, case.pk, due, label, case))
        if APPEAL in scope.kinds and case.status == CaseStatus.DENIED:
            days = getattr(case, "policy_appeal_days", None)
            # Only the policy's appeal_days is read (cases.selectors.appeals.due_on).
            policy = RatePolicy(appeal_days=days) if days else None
            options = appeal_options(case, list(case.appeals.all()), policy, today=scope.today)
            for option in options:
                if option.due_on >= scope.today:  # a passed deadline can no longer be met
                    label = f"File the {option.label.lower()}"
                    tasks.append(Task(APPEAL, case.pk, option.due_on, label, case))
    return tasks


def _document_tasks(scope: _Scope) -> list[Task]:
    """Each failed document with no document of its kind made or asked for since."""
    since = Document.objects.filter(
        case_id=OuterRef("case_id"), kind=OuterRef("kind"), created_at__gt=OuterRef("created_at")
    ).exclude(status=DocumentStatus.FAILED)
    documents = (
        Document.objects.filter(scope.cases("case__"), scope.only(), status=DocumentStatus.FAILED)
        .exclude(case__status__in=FINISHED)
        .exclude(Exists(since))
        .select_related(*(f"case__{name}" for name in CASE_RELATED))
        .defer("error")  # a renderer's message: not shown here
        .order_by("updated_at", "id")[: scope.limit(DOCUMENT)]
    )
    return [
        Task(
            DOCUMENT,
            document.pk,
            timezone.localdate(document.updated_at),
            f"{document.get_kind_display()} failed: make it again",
            document.case,
        )
        for document in documents
    ]


def _renewal_tasks(scope: _Scope) -> list[Task]:
    """Agreements of approved cases ending within RENEWAL_DAYS or with few sessions left (a
    session is a service date with use, as ``Agreement.sessions_used`` counts), whose case has
    no renewal yet (a withdrawn one does not count). Due the day the agreement ends."""
    used = (
        UtilizationEntry.objects.filter(agreement=OuterRef("pk"))
        .order_by()
        .values("agreement")
        .annotate(n=Count("service_date", distinct=True))
        .values("n")
    )
    renewed = Case.objects.filter(renewal_of=OuterRef("case_id")).exclude(
        status=CaseStatus.WITHDRAWN
    )
    horizon = scope.today + dt.timedelta(days=RENEWAL_DAYS)
    agreements = (
        Agreement.objects.filter(
            scope.cases("case__"), scope.only(), case__status=CaseStatus.APPROVED
        )
        .annotate(sessions_used_n=Coalesce(Subquery(used), 0))
        .filter(
            Q(end_date__lte=horizon)
            | Q(
                sessions_authorized__isnull=False,
                sessions_authorized__lte=F("sessions_used_n") + RENEWAL_SESSIONS_LEFT,
            )
        )
        .exclude(Exists(renewed))
        .select_related(*(f"case__{name}" for name in CASE_RELATED))
        .defer("flags")
        .order_by("end_date", "id")[: scope.limit(RENEWAL)]
    )
    tasks = []
    for agreement in agreements:
        left = None
        if agreement.sessions_authorized is not None:
            sessions_used: int = getattr(agreement, "sessions_used_n", 0)  # annotated above
            left = max(agreement.sessions_authorized - sessions_used, 0)
        if agreement.end_date <= horizon:
            label = f"Renew: the agreement ends {agreement.end_date.isoformat()}"
        else:
            label = f"Renew: {left} session(s) left"
        tasks.append(Task(RENEWAL, agreement.pk, agreement.end_date, label, agreement.case))
    return tasks


def _review_tasks(scope: _Scope) -> list[Task]:
    """Peer-to-peer reviews without an outcome on cases where they still matter: one booked
    ahead (due its day), one asked for but not booked (due its request deadline), one whose
    time passed within AWAITING_DAYS (its outcome to record, due its day)."""
    reviews = (
        ContactLog.objects.filter(
            scope.cases("case__"),
            scope.only(),
            kind=ContactKind.PEER_TO_PEER,
            outcome="",
            case__status__in=REVIEW_STATUSES,
        )
        .filter(
            Q(at__gte=scope.now - dt.timedelta(days=AWAITING_DAYS)) | Q(request_by__gte=scope.today)
        )
        .select_related(*(f"case__{name}" for name in CASE_RELATED))
        .order_by("id")
    )
    tasks = []
    for review in reviews:
        state = review_state(review, scope.now)
        if state == SCHEDULED:
            due, label = timezone.localdate(review.at), "Attend the peer-to-peer review"
        elif state == REQUESTED and review.request_by is not None:
            due, label = review.request_by, "Book the peer-to-peer review"
        else:
            due, label = timezone.localdate(review.at), "Record the peer-to-peer outcome"
        tasks.append(Task(REVIEW, review.pk, due, label, review.case))
    return tasks


def tasks_from_data(
    practice_ids: Iterable[int],
    *,
    mine: User | AnonymousUser | None = None,
    kinds: Iterable[str] | None = None,
    object_id: int | None = None,
    now: dt.datetime | None = None,
    limits: dict[str, int] | None = None,
) -> list[Task]:
    """The tasks of the practices as the data says, done and snoozed ones included, by due
    date. ``mine``: the user's only; ``kinds``: those kinds only; ``object_id``: the tasks
    of that one object (a key's); ``limits``: per kind, read only the soonest that many."""
    now = now or timezone.now()
    wanted = frozenset(KINDS if kinds is None else kinds) & KINDS.keys()
    today = timezone.localdate(now)
    scope = _Scope(list(practice_ids), today, now, mine, wanted, object_id, limits or {})
    tasks = _case_tasks(scope) if wanted & {FOLLOW_UP, DRAFT, APPEAL} else []
    tasks += _document_tasks(scope) if DOCUMENT in wanted else []
    tasks += _renewal_tasks(scope) if RENEWAL in wanted else []
    tasks += _review_tasks(scope) if REVIEW in wanted else []
    unique = {(task.practice_id, task.key): task for task in tasks}  # two levels, one day
    return sorted(unique.values(), key=lambda t: (t.due_on, list(KINDS).index(t.kind), t.case.pk))


def open_tasks(
    practice_ids: Iterable[int],
    *,
    mine: User | AnonymousUser | None = None,
    kinds: Iterable[str] | None = None,
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> list[Task]:
    """The tasks still to do (not done, not snoozed past today), by due date; the soonest
    ``limit`` of them when given (one more tells the caller there are more). The hidden
    states are read first, so each source reads its soonest ``limit`` + its kind's hidden."""
    now = now or timezone.now()
    practice_ids = list(practice_ids)
    hidden = set(
        TaskState.objects.filter(practice_id__in=practice_ids)
        .filter(Q(done_at__isnull=False) | Q(snoozed_until__gt=timezone.localdate(now)))
        .values_list("practice_id", "key")
    )
    limits = None
    if limit is not None:
        per_kind = Counter(key.split(":", 1)[0] for _practice, key in hidden)
        limits = {kind: limit + 1 + per_kind[kind] for kind in KINDS}
    tasks = tasks_from_data(practice_ids, mine=mine, kinds=kinds, now=now, limits=limits)
    visible = [t for t in tasks if (t.practice_id, t.key) not in hidden]
    return visible if limit is None else visible[: limit + 1]


def task_for_key(practice_ids: Iterable[int], key: str) -> Task | None:
    """The task ``key`` names in one of the practices, as the data says now (done or snoozed
    or not); None when the key names no task there (malformed, another practice's, or its
    due date moved)."""
    parsed = parse_task_key(key)
    if parsed is None:
        return None
    kind, object_id, _due = parsed
    found = tasks_from_data(practice_ids, kinds=[kind], object_id=object_id)
    return next((task for task in found if task.key == key), None)
