"""What the practice did with a task. Tasks themselves are not stored: they are read from the
cases (follow-ups due, appeal deadlines, agreements to renew, failed documents, stale drafts,
peer-to-peer reviews) and named by a stable key ``<kind>:<id>:<due>``. A row here marks one done
or snoozed for the whole practice; a task whose due date moves has a new key, so it shows
again."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class TaskState(models.Model):
    practice = models.ForeignKey("cases.Practice", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    done_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="taskstate_once_per_task"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=False) | Q(snoozed_until__isnull=False),
                name="taskstate_done_or_snoozed",
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.key} of practice {self.practice_id}"
