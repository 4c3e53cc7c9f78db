"""Sending the email outbox (``EmailOutbox``): each row once, however many senders run.

A sender claims one due row at a time with ``SELECT ... FOR UPDATE SKIP LOCKED`` in its own
transaction, hands it to the mail server, and marks it sent in that same transaction. So:

- Two senders at the same moment (two beats, a retry beside the beat's run) never take the
  same row: the second skips the locked row and, once the first commits, no longer sees it
  pending. On SQLite, whose transactions here start with the write lock (IMMEDIATE), the
  senders simply take turns.
- A row is marked sent only after ``send_mail`` returned, i.e. the server accepted it. A mail
  failure leaves it pending with one more attempt, the error's class and a later
  ``next_attempt_at`` (the backoff); after MAX_ATTEMPTS it is ``failed`` and logged by id.
- The lock is held across one SMTP call only, never across a batch, and that call is bounded
  (EMAIL_TIMEOUT if a deployment sets it, else SMTP_TIMEOUT_SECONDS): other senders keep going
  meanwhile, and a mail server that hangs costs a counted attempt, not a worker.
- At least once, not at most once: a process that dies after the server accepted the email
  but before the COMMIT leaves the row pending, and it is sent once more. A deadline that is
  reminded twice in that rare case is better than one never reminded. The message carries a
  Message-ID fixed per row, so a mail system that drops duplicates by it shows one.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import TYPE_CHECKING, Literal, TypedDict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone

from ..models.outbox import EmailOutbox, OutboxState

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# Ten attempts, one minute apart and doubling up to two hours: about six hours in all, so a
# mail server down for a morning loses nothing; then the row is failed and logged.
MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 2 * 60 * 60
# An SMTP call's longest wait when EMAIL_TIMEOUT is not set (Django's default is none at all).
SMTP_TIMEOUT_SECONDS = 15
# Rows one run sends at most: a run stays short, and the next run (or the task's retry) takes
# the rest.
BATCH = 200
# Errors of this one message (its recipient or its content refused): the run goes on with the
# next row. Any other SMTP or socket error means the server is unreachable or refusing all:
# the run stops there, as every other row would fail the same way.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


Outcome = Literal["sent", "retrying", "failed", "skipped"]


class OutboxRun(TypedDict):
    sent: int
    retrying: int  # failed this time, to be tried again
    failed: int  # given up after MAX_ATTEMPTS
    skipped: int  # no address, or an inactive user


def outbox_enqueue(*, user: User, key: str, subject: str, body: str) -> EmailOutbox | None:
    """A pending email to ``user``, once per ``key``: call it inside the transaction that
    writes what the email tells of, so both are written or neither. None when the user has no
    address (nothing would be sent) or the key is already queued."""
    if not user.email:
        return None
    row, created = EmailOutbox.objects.get_or_create(
        key=key, defaults={"user": user, "subject": subject, "body": body}
    )
    return row if created else None


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, at most 2 h."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, LONGEST_RETRY_SECONDS))


def _error_text(exc: BaseException) -> str:
    """The error's class and code, never its text (a server's reply may quote an address)."""
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return f"{type(exc).__name__}" + (f" ({code})" if code else "")


def _claim(now: dt.datetime) -> EmailOutbox | None:
    """The oldest due pending row no other sender holds, locked until the transaction ends."""
    return (
        EmailOutbox.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("user")
        .filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .first()
    )


def _message(row: EmailOutbox) -> EmailMessage:
    return EmailMessage(
        row.subject,
        row.body,
        None,
        [row.user.email],
        headers={"Message-ID": f"<sca-outbox-{row.pk}@{DNS_NAME}>"},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT_SECONDS),
    )


def _failed_attempt(row: EmailOutbox, exc: BaseException) -> Outcome:
    """Count the attempt; pending again later, or failed after the last one."""
    row.attempts += 1
    row.last_error = _error_text(exc)[:200]
    if row.attempts >= MAX_ATTEMPTS:
        row.state = OutboxState.FAILED
        logger.error(
            "outbox: email %s to user %s failed after %s attempts (%s)",
            row.pk,
            row.user_id,
            row.attempts,
            row.last_error,
        )
    else:
        row.next_attempt_at = timezone.now() + retry_delay(row.attempts)
        logger.warning(
            "outbox: email %s attempt %s failed (%s); next at %s",
            row.pk,
            row.attempts,
            row.last_error,
            row.next_attempt_at.isoformat(),
        )
    row.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
    return "failed" if row.state == OutboxState.FAILED else "retrying"


def _send_one(row: EmailOutbox) -> tuple[Outcome, bool]:
    """Send a claimed row and record what happened: the outcome, and whether the server is
    unreachable (the run then stops: every other row would fail the same way)."""
    if not row.user.email or not row.user.is_active:
        row.state = OutboxState.SKIPPED
        row.save(update_fields=["state"])
        return "skipped", False
    try:
        _message(row).send()
    except MESSAGE_ERRORS as exc:
        return _failed_attempt(row, exc), False
    except (smtplib.SMTPException, OSError) as exc:
        return _failed_attempt(row, exc), True
    except Exception as exc:  # this message cannot be sent (a newline in the address, ...)
        # Its own attempt, counted and put off: it never holds up the rows behind it.
        return _failed_attempt(row, exc), False
    row.attempts += 1
    row.state = OutboxState.SENT
    row.sent_at = timezone.now()
    row.last_error = ""
    row.save(update_fields=["attempts", "state", "sent_at", "last_error"])
    return "sent", False


def outbox_send(*, limit: int = BATCH) -> OutboxRun:
    """Send the due pending emails, one row per transaction (see the module's docstring)."""
    run = OutboxRun(sent=0, retrying=0, failed=0, skipped=0)
    for _ in range(limit):
        with transaction.atomic():
            row = _claim(timezone.now())
            if row is None:
                break
            outcome, server_down = _send_one(row)
        run[outcome] += 1
        if server_down:
            break
    if any(run.values()):
        logger.info("outbox: %s", run)
    return run


def outbox_next_due_in() -> float | None:
    """Seconds until the earliest pending row is due (0 when one is due now), or None."""
    due = (
        EmailOutbox.objects.filter(state=OutboxState.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if due is None:
        return None
    return max((due - timezone.now()).total_seconds(), 0.0)
