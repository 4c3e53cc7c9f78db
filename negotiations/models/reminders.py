"""In-app notifications (the reminders)."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An in-app notice for one user. ``key`` names the condition, so each fires once. Its
    email, when the user has an address, is an ``EmailOutbox`` row keyed
    ``notification:<id>``, written with it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=120)
    message = models.CharField(max_length=300)  # the email's words: the case number, no PHI
    # What the in-app wording needs beyond the case (its client's initials are read with it):
    # for a usage alert the code, its description, units used and authorized, the period.
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # No longer read (the outbox holds each email's state since migration 0006). The column
    # stays one release, so hosts still on the previous code can run beside these during a
    # rolling deploy (DEPLOY.md); the next release drops it.
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_condition")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for case {self.case_id}"
