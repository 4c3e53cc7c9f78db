"""The contact log: calls, faxes and messages with the insurer."""

from django.conf import settings
from django.db import models

from cases.models import SubmissionChannel


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "We contacted them"
    INBOUND = "inbound", "They contacted us"


class ContactLog(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="contacts")
    at = models.DateTimeField()
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=SubmissionChannel.choices)
    contact_name = models.CharField(max_length=120, blank=True)
    reference_number = models.CharField(max_length=60, blank=True)
    summary = models.TextField()
    follow_up_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"contact {self.pk} on case {self.case_id}"
