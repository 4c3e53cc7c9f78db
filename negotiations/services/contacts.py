"""The contact log: a call, fax or message with the insurer, or a peer-to-peer review (the
treating BCBA and the insurer's clinical reviewer discuss the request or its denial)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import Provider
from cases.services.case import case_set_follow_up, changes_for_event, lock_case, record_event
from cases.services.common import apply_fields, lock_row
from core.exceptions import conflict

from ..models.contacts import ContactKind, ContactLog, PeerToPeerOutcome

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cases.models import Case

# A contact's fields, as contact_log takes them (the admin logs these).
CONTACT_FIELDS = [
    "at",
    "direction",
    "channel",
    "contact_name",
    "reference_number",
    "summary",
    "follow_up_on",
]


class ReviewData(TypedDict, total=False):
    """What may change on a peer-to-peer review once logged (``contact_update``): its time,
    its facts and its outcome. A plain contact is a record of what happened: never changed."""

    at: dt.datetime
    summary: str
    request_by: dt.date | None
    treating_provider: Provider | None
    reviewer_name: str
    reviewer_credentials: str
    outcome: str
    units_approved: int | None


# A review's own fields; on a plain contact each is refused by name (and the database forbids
# them: contact_review_fields_only_on_reviews).
REVIEW_ONLY_FIELDS = [
    "request_by",
    "treating_provider",
    "reviewer_name",
    "reviewer_credentials",
    "outcome",
    "units_approved",
]
REVIEW_FIELDS = ["kind", *REVIEW_ONLY_FIELDS]
REVIEW_UPDATE_FIELDS = list(ReviewData.__annotations__)
UNITS_APPROVED_MAX = 100_000
# An outcome that grants units; only these carry units_approved.
GRANTING = frozenset({PeerToPeerOutcome.APPROVED, PeerToPeerOutcome.PARTIALLY_APPROVED})
# A review is booked ahead, at most this far; a plain contact has happened (a clock's slack).
REVIEW_AHEAD = dt.timedelta(days=366)
CLOCK_SLACK = dt.timedelta(minutes=5)
EARLIEST_YEAR = 2000


def _review_errors(entry: ContactLog, case: Case, now: dt.datetime) -> dict[str, str]:
    """Every rule a contact or review breaks, by field (one refusal names them all)."""
    errors: dict[str, str] = {}
    if entry.at.year < EARLIEST_YEAR:
        errors["at"] = f"A contact before the year {EARLIEST_YEAR} is not plausible."
    if entry.kind != ContactKind.PEER_TO_PEER:
        if entry.at > now + CLOCK_SLACK:
            errors["at"] = "A contact cannot be in the future."
        for name in REVIEW_ONLY_FIELDS:
            attname = "treating_provider_id" if name == "treating_provider" else name
            if getattr(entry, attname) not in (None, ""):
                errors[name] = "Only a peer-to-peer review has this; choose that kind."
        return errors
    if entry.at > now + REVIEW_AHEAD:
        errors["at"] = "A review is scheduled at most a year ahead."
    if entry.request_by is not None:
        if entry.request_by.year < EARLIEST_YEAR:
            errors["request_by"] = f"A date before the year {EARLIEST_YEAR} is not plausible."
        elif entry.request_by > timezone.localdate(now) + REVIEW_AHEAD:
            errors["request_by"] = "A request deadline is at most a year ahead."
    provider = entry.treating_provider
    if provider is not None and provider.practice_id != case.practice_id:
        errors["treating_provider"] = "Choose a provider of this case's practice."
    if entry.units_approved is not None:
        if entry.outcome not in GRANTING:
            errors["units_approved"] = (
                "Units approved go with an outcome of approved or partly approved."
            )
        elif not 0 <= entry.units_approved <= UNITS_APPROVED_MAX:
            errors["units_approved"] = f"Enter 0 to {UNITS_APPROVED_MAX:,} units."
    if entry.outcome and entry.outcome != PeerToPeerOutcome.NOT_HELD and entry.at > now:
        errors["outcome"] = (
            "The review has not taken place yet: record its outcome afterwards, or correct "
            "its time."
        )
    return errors


def _check(entry: ContactLog, case: Case, now: dt.datetime) -> None:
    errors = _review_errors(entry, case, now)
    if errors:
        raise ValidationError(errors)
    entry.full_clean(exclude=["case"])


def _review_follow_up(entry: ContactLog, *, scheduled: bool, now: dt.datetime) -> dt.date | None:
    """The day a review makes the case's follow-up: the day it is scheduled for, or, while no
    time is scheduled, the last day to request it (today or later)."""
    if scheduled and entry.at > now:
        return timezone.localdate(entry.at)
    today = timezone.localdate(now)
    if not scheduled and entry.request_by is not None and entry.request_by >= today:
        return entry.request_by
    return None


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
    kind: str = ContactKind.CONTACT,
    request_by: dt.date | None = None,
    treating_provider: Provider | None = None,
    reviewer_name: str = "",
    reviewer_credentials: str = "",
    outcome: str = "",
    units_approved: int | None = None,
) -> ContactLog:
    """A call, fax or message with the insurer, or a peer-to-peer review. A contact has
    happened (``at`` is not in the future); a review's ``at`` is when it is scheduled, up to a
    year ahead (none given: not scheduled yet, logged now). A review is no appeal level: the
    case's status and its appeal deadline stay as they are. The follow-up date given becomes
    the case's; for a review without one, the scheduled day, or the request deadline while no
    time is scheduled. (An empty direction, channel or summary of a contact is refused by the
    model's validation, by field; a review defaults to an outbound phone call.)"""
    case = lock_case(case_id)
    now = timezone.now()
    review = kind == ContactKind.PEER_TO_PEER
    if review:
        direction, channel = direction or "outbound", channel or "phone"
        treating_provider = treating_provider or case.provider
    entry = ContactLog(
        case=case,
        kind=kind,
        at=at or now,
        direction=direction,
        channel=channel,
        contact_name=contact_name,
        reference_number=reference_number,
        summary=summary,
        follow_up_on=follow_up_on,
        request_by=request_by,
        treating_provider=treating_provider,
        reviewer_name=reviewer_name,
        reviewer_credentials=reviewer_credentials,
        outcome=outcome,
        units_approved=units_approved,
        created_by=actor if actor.pk else None,
    )
    _check(entry, case, now)
    entry.save()
    if review:
        scheduled = at is not None and entry.at > now
        message = (
            f"Peer-to-peer review scheduled for {timezone.localtime(entry.at):%b %-d, %Y}."
            if scheduled
            else "Peer-to-peer review logged."
        )
        record_event(case, actor, "peer_to_peer_logged", message, {"contact": entry.pk})
    else:
        record_event(
            case,
            actor,
            "contact_logged",
            f"Contact logged ({entry.get_channel_display()}).",
            {"contact": entry.pk},
        )
    follow_up = entry.follow_up_on
    if follow_up is None and review:
        follow_up = _review_follow_up(entry, scheduled=at is not None, now=now)
    if follow_up:
        case_set_follow_up(case_id=case.pk, actor=actor, follow_up_on=follow_up)
    return entry


@transaction.atomic
def contact_update(*, case_id: int, contact_id: int, actor: User, data: ReviewData) -> ContactLog:
    """Record what became of a peer-to-peer review (its outcome and the units approved), or
    correct its facts and time; a new time ahead becomes the case's follow-up. A plain
    contact is append-only: 409 ``contact_locked`` (log a new one instead)."""
    case = lock_case(case_id)
    entry = lock_row(ContactLog.objects.filter(case_id=case.pk), contact_id, "This contact")
    if entry.kind != ContactKind.PEER_TO_PEER:
        raise conflict(
            "contact_locked",
            "A logged contact is a record of what happened and is not changed; log a new one.",
        )
    changed = apply_fields(entry, data, REVIEW_UPDATE_FIELDS)
    if not changed:
        return entry
    now = timezone.now()
    _check(entry, case, now)
    entry.save(update_fields=list(changed))
    if "outcome" in changed and entry.outcome:
        kind = "peer_to_peer_outcome"
        message = f"Peer-to-peer review: {entry.get_outcome_display()}"
        if entry.units_approved is not None:
            message += f", {entry.units_approved:,} units approved"
        message += "."
    else:
        kind, message = "peer_to_peer_updated", "Peer-to-peer review changed."
    # The summary's words stay in the log, not in the timeline.
    summary_edited = {"summary": ["(edited)"]} if "summary" in changed else {}
    record_event(
        case,
        actor,
        kind,
        message,
        {"contact": entry.pk, "changed": changes_for_event(changed) | summary_edited},
    )
    if "at" in changed and entry.at > now:
        case_set_follow_up(case_id=case.pk, actor=actor, follow_up_on=timezone.localdate(entry.at))
    return entry
