"""The email outbox: every email the portal sends on its own (the reminders; a daily digest
later) is first a row here, written in the same transaction as what it tells of, and sent by
``negotiations.services.outbox``. So an email is neither lost (the row outlives a mail server
that is down, a worker that dies) nor doubled (one row per ``key``, claimed under a lock)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Handed to the mail server"
    FAILED = "failed", "Given up after its attempts"
    SKIPPED = "skipped", "Not sent: the user has no address or is inactive"


class EmailOutbox(models.Model):
    """One email to one user. ``key`` names what it is about (``notification:<id>`` for a
    reminder; ``digest:<user>:<day>`` would fit a daily digest), so enqueueing the same thing
    twice is refused by the database. The address is read from the user when sending, so it
    is never copied here; the subject and body name case numbers only, never a client."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_emails"
    )
    key = models.CharField(max_length=160, unique=True)
    subject = models.CharField(max_length=150)
    body = models.TextField()
    state = models.CharField(
        max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not sent before this time: a failed attempt moves it on (the backoff).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The error's class and code only (an SMTP server's text may quote an address).
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # What the sender reads: the pending rows that are due, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="outbox_pending_due",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False) | ~Q(state="sent"),
                name="outbox_sent_has_sent_at",
            )
        ]

    def __str__(self) -> str:
        return f"email {self.pk} ({self.state})"
