"""The task list's writes: marking a task done or snoozing it (for the whole practice), a
member's daily digest switch, and the daily digest itself.

A task is named by its key (``selectors.worklist``); one that is no task of the user's practices
now (malformed, another practice's, its due date moved) is refused as not found (404), the
same answer whichever it is. Marking done twice answers the same state (the first time
stays). The digest is one email per member, practice and day, written to the outbox under
the key ``digest:<user>:<practice>:<day>``, so two runs at once send it once."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Membership
from cases.models.case import DATE_CEILING
from cases.selectors.tenancy import digest_members, practice_ids_for
from core.exceptions import DomainError

from ..models.worklist import TaskState
from ..selectors.worklist import Task, open_tasks, task_for_key
from .outbox import outbox_enqueue, outbox_send

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

DIGEST_SUBJECT = "SCA Portal: your tasks today"
DIGEST_LINES = 50  # the digest lists this many tasks at most, then says how many more


def _task_of(actor: User, key: str) -> Task:
    task = task_for_key(practice_ids_for(actor), key)
    if task is None:
        raise DomainError(
            code="task_not_found",
            detail="No such task: it may be another practice's, or its due date has moved.",
            status=404,
        )
    return task


def task_done(*, actor: User, key: str) -> TaskState:
    """Mark the task done for its practice. Done again: the same state, unchanged."""
    task = _task_of(actor, key)
    with transaction.atomic():
        state, created = TaskState.objects.select_for_update().get_or_create(
            practice_id=task.practice_id,
            key=task.key,
            defaults={"done_at": timezone.now(), "updated_by": actor},
        )
        if not created and state.done_at is None:
            state.done_at, state.updated_by = timezone.now(), actor
            state.save(update_fields=["done_at", "updated_by", "updated_at"])
    return state


def task_snooze(*, actor: User, key: str, until: dt.date) -> TaskState:
    """Hide the task for its practice until ``until`` (after today), when it shows again. A
    task marked done and then snoozed is open again from that day."""
    task = _task_of(actor, key)
    today = timezone.localdate()
    if until <= today:
        raise ValidationError(
            {
                "until": f"Snooze until a day after today ({today.isoformat()}); to hide it for "
                "good, mark it done."
            }  # fmt: skip
        )
    if until > DATE_CEILING:
        raise ValidationError({"until": f"Snooze until {DATE_CEILING.isoformat()} at the latest."})
    with transaction.atomic():
        state, created = TaskState.objects.select_for_update().get_or_create(
            practice_id=task.practice_id,
            key=task.key,
            defaults={"snoozed_until": until, "updated_by": actor},
        )
        if not created:
            state.snoozed_until, state.done_at, state.updated_by = until, None, actor
            state.save(update_fields=["snoozed_until", "done_at", "updated_by", "updated_at"])
    return state


def task_digest_set(*, actor: User, practice_id: int, on: bool) -> Membership:
    """Turn the member's daily task email on or off in that practice."""
    membership = Membership.objects.get(user=actor, practice_id=practice_id)
    if membership.task_digest != on:
        membership.task_digest = on
        membership.save(update_fields=["task_digest"])
    return membership


def digest_body(tasks: list[Task], today: dt.date) -> str:
    """The email's words: per task its kind, case number and due date. Never a client, an
    insurer's reference or the task's own wording (which may grow to name more)."""
    lines = [f"Your open tasks on {today.isoformat()}:", ""]
    for task in tasks[:DIGEST_LINES]:
        late = " (overdue)" if task.overdue(today) else ""
        lines.append(f"- {task.kind_label}: SCA case #{task.case.pk}, due {task.due_on}{late}")
    if len(tasks) > DIGEST_LINES:
        lines.append(f"... and {len(tasks) - DIGEST_LINES} more.")
    lines += ["", "Open the task list in the SCA Portal to mark them done or snooze them."]
    return "\n".join(lines)


def task_digests_send(*, now: dt.datetime | None = None) -> int:
    """Daily (07:00): one email per member who left the digest on and has open tasks ("my
    tasks") in a practice, through the outbox. Two runs at once write each email once (the
    outbox's unique key; the loser's insert is refused and skipped). Returns the emails
    queued by this run."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    queued = 0
    for membership in digest_members():
        user = membership.user
        if not user.email:
            continue
        tasks = open_tasks([membership.practice_id], mine=user, now=now)
        if not tasks:
            continue
        key = f"digest:{user.pk}:{membership.practice_id}:{today.isoformat()}"
        try:
            with transaction.atomic():
                row = outbox_enqueue(
                    user=user, key=key, subject=DIGEST_SUBJECT, body=digest_body(tasks, today)
                )
        except IntegrityError:
            row = None  # the other run wrote it first
        queued += row is not None
    logger.info("task digests queued: %s", queued)
    outbox_send()
    return queued
