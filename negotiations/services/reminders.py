"""The reminders: the daily run that notifies (and emails) each condition once, and marking a
notification read. Two runs at the same moment (two beats) write each notification once (the
database's unique key per user and condition) and its email once (an outbox row written with
it, sent by ``services.outbox``)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case

from ..models.reminders import Notification
from ..selectors.reminders import (
    agreements_running,
    appeals_due,
    follow_ups_to_remind,
)
from ..selectors.utilization import utilization_summary
from .outbox import outbox_enqueue, outbox_send

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


SUBJECT = "SCA Portal reminder"


def _notify(user: User | None, case: Case, kind: str, key: str, message: str) -> bool:
    """Create the notification once per (user, condition), with its email in the outbox in
    the same transaction; True when it is new. A second run racing this one waits on the
    unique key, then gets the IntegrityError and writes neither."""
    if user is None:
        return False
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, case=case, kind=kind, key=key, message=message
            )
            outbox_enqueue(
                user=user, key=f"notification:{notification.pk}", subject=SUBJECT, body=message
            )
    except IntegrityError:
        return False  # already notified for this condition
    return True


def _recipient(case: Case) -> User | None:
    return case.assigned_to or case.created_by


def reminders_run(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: follow-ups due, agreements ending within 30 days, 3 or fewer sessions left, a line
    at 80% of its units, an appeal deadline 14 and 3 days away. One notification per
    condition (never again the next day), and an email to the user for each new one, sent
    here and, if the mail server refuses, by ``negotiations.send_outbox`` later. Messages name
    the case number, never the client."""
    today = today or timezone.localdate()
    created: dict[str, int] = {
        "follow_up": 0,
        "ending_soon": 0,
        "sessions_low": 0,
        "units_high": 0,
        "appeal_due": 0,
    }

    for case in follow_ups_to_remind(today):
        due = case.follow_up_on
        assert due is not None  # follow_ups_to_remind reads cases with a follow-up date
        if _notify(
            _recipient(case),
            case,
            "follow_up",
            f"follow_up:{case.pk}:{due.isoformat()}",
            f"Follow-up due on SCA case #{case.pk} ({due.isoformat()}).",
        ):
            created["follow_up"] += 1

    for agreement in agreements_running(today):
        case = agreement.case
        user = _recipient(case)
        summary = utilization_summary(agreement)
        conditions = []
        if agreement.end_date <= today + dt.timedelta(days=30):
            end = agreement.end_date.isoformat()
            conditions.append(
                (
                    "ending_soon",
                    f"ending:{agreement.pk}:{end}",
                    f"SCA case #{case.pk}: the agreement ends {end}; start the renewal.",
                )
            )
        left = summary["sessions_remaining"]
        if left is not None and left <= 3:
            conditions.append(
                (
                    "sessions_low",
                    f"sessions_low:{agreement.pk}",
                    f"SCA case #{case.pk}: {left} session(s) left; start the renewal.",
                )
            )
        for line in summary["lines"]:
            pct = line["percent_used"]
            if pct is not None and pct >= 80:
                conditions.append(
                    (
                        "units_high",
                        f"units80:{line['id']}",
                        f"SCA case #{case.pk}: {line['code']} has used {pct}% of its units.",
                    )
                )
        for kind, key, message in conditions:
            created[kind] += _notify(user, case, kind, key, message)

    # The appeal is billing's job: its members hear of each deadline, with the assignee.
    for reminder in appeals_due(today):
        case, day = reminder.case, reminder.due_on.isoformat()
        key = f"appeal_due:{case.pk}:{reminder.level}:{day}:{reminder.days}"
        message = (
            f"SCA case #{case.pk}: {reminder.label} due by {day} "
            f"({reminder.days_left} day(s) left)."
        )
        for user in reminder.recipients:
            created["appeal_due"] += _notify(user, case, "appeal_due", key, message)

    logger.info("reminders: %s", created)
    outbox_send()
    return created


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
