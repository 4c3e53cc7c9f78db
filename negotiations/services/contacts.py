"""The contact log: a call, fax or message with the insurer."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.services.case import case_set_follow_up, lock_case, record_event

from ..models.contacts import ContactLog

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A contact's fields, as contact_log takes them.
CONTACT_FIELDS = [
    "at",
    "direction",
    "channel",
    "contact_name",
    "reference_number",
    "summary",
    "follow_up_on",
]


@transaction.atomic
def contact_log(
    *,
    case_id: int,
    actor: User,
    at: dt.datetime | None = None,
    direction: str = "",
    channel: str = "",
    contact_name: str = "",
    reference_number: str = "",
    summary: str = "",
    follow_up_on: dt.date | None = None,
) -> ContactLog:
    """A call, fax or message with the insurer; its follow-up date becomes the case's. (An
    empty direction, channel or summary is refused by the model's validation, by field.)"""
    case = lock_case(case_id)
    at = at or timezone.now()
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"at": "A contact cannot be in the future."})
    if at.year < 2000:
        raise ValidationError({"at": "A contact before the year 2000 is not plausible."})
    entry = ContactLog(
        case=case,
        at=at,
        direction=direction,
        channel=channel,
        contact_name=contact_name,
        reference_number=reference_number,
        summary=summary,
        follow_up_on=follow_up_on,
        created_by=actor if actor.pk else None,
    )
    entry.full_clean(exclude=["case"])
    entry.save()
    record_event(
        case,
        actor,
        "contact_logged",
        f"Contact logged ({entry.get_channel_display()}).",
        {"contact": entry.pk},
    )
    if entry.follow_up_on:
        case_set_follow_up(case_id=case.pk, actor=actor, follow_up_on=entry.follow_up_on)
    return entry
