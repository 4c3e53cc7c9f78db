"""Each sending of a case to the insurer: the first at submit, then every re-send."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .reference import SubmissionChannel


class Submission(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="submissions")
    channel = models.CharField(max_length=10, choices=SubmissionChannel.choices)
    sent_at = models.DateTimeField()
    sent_to = models.CharField(
        max_length=200, blank=True, help_text="Fax number, email, portal or address used."
    )
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    confirmation = models.CharField(
        max_length=120, blank=True, help_text="Fax confirmation, portal reference or tracking."
    )
    document = models.ForeignKey(
        "cases.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=SubmissionChannel.values), name="submission_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} sending of case {self.case_id}"
