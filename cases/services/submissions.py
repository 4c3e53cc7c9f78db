"""Each sending of a case to the insurer: submitting it (``case_submit``, which records the
first sending with ``submission_first``), then every re-send (``submission_record``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import (
    Case,
    CaseAction,
    CaseStatus,
    Document,
    DocumentStatus,
    Submission,
    SubmissionChannel,
)
from cases.selectors.readiness import case_readiness
from cases.selectors.submissions import document_sent_at_submit, insurer_addresses
from core.exceptions import DomainError, conflict

from .case import case_bump, case_set_follow_up, check_transition, lock_case, record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A sending's fields as the doors take them (``document`` is the id of one of the case's).
SUBMISSION_FIELDS = ["channel", "sent_at", "sent_to", "pages", "confirmation", "document"]
SUBMISSION_PAGES_BOUNDS = (1, 5000)
# The same sending posted twice this close together is one sending (a double click, a retry).
REPEAT_WINDOW = dt.timedelta(minutes=1)
# A clock a little ahead (the browser's, a client's) is not a sending in the future.
CLOCK_SKEW = dt.timedelta(minutes=5)
# A case is sent again while it is open: waiting on the insurer, in negotiation, approved (a
# corrected packet), or denied (sent again with what was missing). A draft has not been sent
# yet; a declined, withdrawn or expired case is closed.
RESEND_STATUSES = frozenset(
    {CaseStatus.SUBMITTED, CaseStatus.IN_NEGOTIATION, CaseStatus.APPROVED, CaseStatus.DENIED}
)
# After a sending in these the insurer's answer is awaited, so the follow-up date moves.
AWAITING_STATUSES = frozenset({CaseStatus.SUBMITTED, CaseStatus.IN_NEGOTIATION, CaseStatus.DENIED})


def _recorder(actor: User | None) -> User | None:
    return actor if getattr(actor, "pk", None) else None


def _saved(case: Case, actor: User | None, **fields: object) -> Submission:
    """One sending, checked against the model's fields and saved."""
    submission = Submission(case=case, recorded_by=_recorder(actor), **fields)
    submission.full_clean(exclude=["case", "document", "recorded_by"])
    submission.save()
    return submission


def _by(channel: str) -> str:
    return f" by {SubmissionChannel(channel).label.lower()}" if channel else ""


def submission_first(
    *, case: Case, actor: User, sent_to: str = "", confirmation: str = ""
) -> Submission | None:
    """The first sending, written by ``case_submit`` on the case it has just submitted (and
    locked): on the case's channel, to ``sent_to`` or else the insurer's contact for that
    channel, carrying the latest ready request letter (a packet built before submit is a
    draft's). Without a channel (none
    given and none in the policy) no sending can be recorded; the workspace records it later.
    The timeline's "submitted" entry names the sending."""
    submission = None
    if case.submission_channel and case.submitted_at is not None:
        document = document_sent_at_submit(case)
        submission = _saved(
            case,
            actor,
            channel=case.submission_channel,
            sent_at=case.submitted_at,
            sent_to=sent_to.strip() or insurer_addresses(case)[case.submission_channel],
            pages=document.page_count if document else None,
            confirmation=confirmation.strip(),
            document=document,
        )
    record_event(
        case,
        actor,
        "submitted",
        f"Submitted to the insurer{_by(case.submission_channel)}.",
        {
            "submission_channel": case.submission_channel,
            "policy_id": case.rate_policy_id,
            "submission": submission.pk if submission else None,
        },
    )
    return submission


def _check_sendable(case: Case) -> None:
    if case.is_draft:
        raise conflict(
            "not_submitted",
            "This case has not been submitted yet; submitting it records its first sending.",
        )
    if case.status not in RESEND_STATUSES:
        raise conflict(
            "case_closed",
            f"This case is {case.get_status_display().lower()}: it is closed, and nothing more "
            "is sent on it.",
        )


def _check_sent_at(sent_at: dt.datetime) -> None:
    if sent_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"sent_at": "A sending cannot be in the future."})
    if sent_at.year < 2000:
        raise ValidationError({"sent_at": "A sending before the year 2000 is not plausible."})


def _ready_document(case: Case, document_id: int | None) -> Document | None:
    if document_id is None:
        return None
    document = Document.objects.filter(
        pk=document_id, case_id=case.pk, status=DocumentStatus.READY
    ).first()
    if document is None:
        raise ValidationError({"document": "Choose a ready document of this case."})
    return document


@transaction.atomic
def submission_record(
    *,
    case_id: int,
    actor: User,
    channel: str,
    sent_at: dt.datetime | None = None,
    sent_to: str = "",
    pages: int | None = None,
    confirmation: str = "",
    document_id: int | None = None,
) -> tuple[Submission, bool]:
    """A sending of a submitted case (a re-send), sent at ``sent_at`` (default now), and
    whether it is new: the same sending (channel, recipient and confirmation) posted again
    with a time within a minute of it is the one already recorded. ``pages`` default to the
    document's. The follow-up date moves to the day sent plus the policy's expected response
    days while the insurer's answer is awaited."""
    case = lock_case(case_id)
    _check_sendable(case)
    sent_at = sent_at or timezone.now()
    _check_sent_at(sent_at)
    document = _ready_document(case, document_id)
    if pages is None and document is not None:
        pages = document.page_count
    low, high = SUBMISSION_PAGES_BOUNDS
    if pages is not None and not low <= pages <= high:
        raise ValidationError({"pages": f"Enter a number from {low} to {high:,}."})
    sent_to, confirmation = sent_to.strip(), confirmation.strip()
    repeat = (
        case.submissions.filter(channel=channel, sent_to=sent_to, confirmation=confirmation)
        .filter(sent_at__range=(sent_at - REPEAT_WINDOW, sent_at + REPEAT_WINDOW))
        .order_by("-id")
        .first()
    )
    if repeat is not None:
        return repeat, False
    submission = _saved(
        case,
        actor,
        channel=channel,
        sent_at=sent_at,
        sent_to=sent_to,
        pages=pages,
        confirmation=confirmation,
        document=document,
    )
    record_event(
        case,
        actor,
        "resent",
        f"Sent again to the insurer{_by(channel)}.",
        {"submission": submission.pk, "channel": channel, "pages": pages},
    )
    policy = case.rate_policy
    if case.status in AWAITING_STATUSES and policy is not None and policy.expected_response_days:
        due = timezone.localdate(sent_at) + dt.timedelta(days=policy.expected_response_days)
        case_set_follow_up(case_id=case.pk, actor=actor, follow_up_on=due)
    return submission, True


@transaction.atomic
def case_submit(
    *,
    case_id: int,
    actor: User,
    submission_channel: str = "",
    insurer_reference: str = "",
    sent_to: str = "",
    confirmation: str = "",
) -> Case:
    """Run the readiness checks and submit (every failing check at once, in ``errors``): the
    case is sent under the policy in force, and its first sending is recorded."""
    case = lock_case(case_id)
    target = check_transition(case, CaseAction.SUBMIT)
    today = timezone.localdate()
    readiness = case_readiness(case, on=today)
    failing = readiness.failing_errors
    if failing:
        raise DomainError(
            code=failing[0].code,
            detail=f"The case is not ready to submit: {len(failing)} check(s) failed.",
            errors=[{"code": c.code, "detail": c.detail} for c in failing],
        )
    policy = readiness.policy
    case.status = target
    case.submitted_at = timezone.now()
    case.rate_policy = policy
    case.submission_channel = submission_channel or (policy.submission_channel if policy else "")
    case.insurer_reference = insurer_reference or case.insurer_reference
    if policy and policy.expected_response_days and case.follow_up_on is None:
        case.follow_up_on = today + dt.timedelta(days=policy.expected_response_days)
    case.full_clean()
    written = ["status", "submitted_at", "rate_policy", "submission_channel", "follow_up_on"]
    case_bump(case, [*written, "insurer_reference"])
    submission_first(case=case, actor=actor, sent_to=sent_to, confirmation=confirmation)
    return case
