"""The reminders: the daily run that notifies (and emails) each condition once, and marking a
notification read. Two runs at the same moment (two beats) write each notification once (the
database's unique key per user and condition) and its email once (an outbox row written with
it, sent by ``services.outbox``)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.utils import timezone

from cases.models import Case

from ..models.reminders import Notification
from ..selectors.alerts import alert_audiences
from ..selectors.reminders import (
    agreements_running,
    appeals_due,
    follow_ups_to_remind,
)
from .alerts import alerts_notify, notification_create_once
from .outbox import outbox_send

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


def _notify(user: User | None, case: Case, kind: str, key: str, message: str) -> bool:
    return notification_create_once(user=user, case=case, kind=kind, key=key, message=message)


def _recipient(case: Case) -> User | None:
    return case.assigned_to or case.created_by


def reminders_run(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: follow-ups due, the usage alerts of running agreements (services.alerts: ending
    within 30 days, 3 or fewer sessions left, a line at 80% or 100% of its units or past them,
    under-use), an appeal deadline 14 and 3 days away. One notification per
    condition (never again the next day), and an email to the user for each new one, sent
    here and, if the mail server refuses, by ``negotiations.send_outbox`` later. Messages name
    the case number, never the client."""
    today = today or timezone.localdate()
    created: dict[str, int] = {
        "follow_up": 0,
        "ending_soon": 0,
        "sessions_low": 0,
        "units_high": 0,
        "units_full": 0,
        "over_authorized": 0,
        "under_use": 0,
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

    # The usage alerts (services.alerts), as a safety net: recording use, an agreement or
    # an offer notifies them at once; a day passing (ending soon, under-use) is noticed here.
    running = list(agreements_running(today))
    audiences = alert_audiences(a.case.practice_id for a in running)
    for agreement in running:
        audience = audiences[agreement.case.practice_id]
        found = alerts_notify(agreement=agreement, audience=audience, today=today)
        for kind, n in found.items():
            created[kind] = created.get(kind, 0) + n

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
