"""Usage alerts, live: recording use, writing an agreement or recording an offer evaluates the
case's agreement at once (selectors.alerts names the conditions), and each condition met is
notified once to the practice's billing managers and the case's assignee (else its creator),
with its email in the outbox. The daily reminders run the same evaluation as a safety net.

A notice is written once per (user, condition key): the database's unique key, so two
evaluations at the same moment (a desk save beside the daily run) write it once."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models.reminders import Notification
from ..selectors.alerts import (
    Audience,
    agreement_to_evaluate,
    alert_audiences,
    alert_conditions,
    alert_recipients,
)
from .outbox import outbox_enqueue

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cases.models import Case

    from ..models.agreements import Agreement

SUBJECT = "SCA Portal reminder"


def notification_create_once(
    *,
    user: User | None,
    case: Case,
    kind: str,
    key: str,
    message: str,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Create the notification once per (user, condition), with its email in the outbox in
    the same transaction; True when it is new. A second run racing this one waits on the
    unique key, then gets the IntegrityError and writes neither. ``message`` is the email's
    words (the case number only); ``detail`` the in-app wording's data."""
    if user is None:
        return False
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, case=case, kind=kind, key=key, message=message, detail=detail or {}
            )
            outbox_enqueue(
                user=user, key=f"notification:{notification.pk}", subject=SUBJECT, body=message
            )
    except IntegrityError:
        return False  # already notified for this condition
    return True


def alerts_notify(
    *,
    agreement: Agreement,
    audience: Audience,
    today: dt.date,
    service_date: dt.date | None = None,
) -> dict[str, int]:
    """Notify each condition the agreement meets (to the practice's billing managers and the
    case's owner); the number of new notices by kind."""
    case = agreement.case
    created: dict[str, int] = {}
    recipients = alert_recipients(case, audience)
    for condition in alert_conditions(agreement, today, service_date=service_date):
        new = 0
        for user in recipients:
            new += notification_create_once(
                user=user,
                case=case,
                kind=condition.kind,
                key=condition.key,
                message=condition.message,
                detail=condition.detail,
            )
        # A condition counts once, however many people hear of it.
        created[condition.kind] = created.get(condition.kind, 0) + (1 if new else 0)
    return created


def alerts_evaluate(
    *, case_id: int, today: dt.date | None = None, service_date: dt.date | None = None
) -> int:
    """Evaluate the case's running agreement now; the number of new conditions notified (0
    for a case with none: a draft, an offer still being negotiated, an ended agreement)."""
    today = today or timezone.localdate()
    agreement = agreement_to_evaluate(case_id, today)
    if agreement is None:
        return 0
    audience = alert_audiences([agreement.case.practice_id])[agreement.case.practice_id]
    found = alerts_notify(
        agreement=agreement, audience=audience, today=today, service_date=service_date
    )
    return sum(found.values())
