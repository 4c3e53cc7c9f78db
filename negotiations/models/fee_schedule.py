"""The practice's fee schedule."""

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from .common import MONEY


class PracticeRate(models.Model):
    """The practice's fee schedule: its usual rate per code and the floor it will not go below."""

    practice = models.ForeignKey("cases.Practice", on_delete=models.CASCADE, related_name="rates")
    billing_code = models.ForeignKey(
        "billing_codes.BillingCode", on_delete=models.PROTECT, related_name="+"
    )
    modifier = models.CharField(max_length=2, blank=True)
    usual_rate = models.DecimalField(**MONEY)
    floor_rate = models.DecimalField(null=True, blank=True, **MONEY)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["billing_code__code", "modifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "billing_code", "modifier"],
                name="practicerate_unique_code_modifier",
                violation_error_message="The fee schedule already has this code and modifier.",
            ),
            models.CheckConstraint(
                condition=Q(floor_rate__isnull=True) | Q(floor_rate__lte=F("usual_rate")),
                name="practicerate_floor_not_above_usual",
                violation_error_message="The floor rate cannot be above the usual rate.",
            ),
        ]

    def __str__(self) -> str:
        return f"rate {self.pk} of practice {self.practice_id}"
