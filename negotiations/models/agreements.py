"""The agreement: what the insurer agreed to, one line per code."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from cases.models import UnitPeriod

from .common import MONEY
from .offers import Offer


class Agreement(models.Model):
    """What the insurer agreed to. ``flags`` records, when it was written, the requested codes
    it leaves out (claims for them would be denied) and the lines below the practice floor."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="agreement")
    authorization_number = models.CharField(max_length=60)
    start_date = models.DateField()
    end_date = models.DateField()
    sessions_authorized = models.PositiveIntegerField(null=True, blank=True)
    source_offer = models.ForeignKey(
        Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    flags = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["end_date", "id"]
        indexes = [models.Index(fields=["end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="agreement_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement {self.authorization_number}"

    @property
    def sessions_used(self) -> int:
        """A session is a service date with recorded use (read by cases' renewal)."""
        return self.utilization.values("service_date").distinct().count()


class AgreementLine(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="lines")
    billing_code = models.ForeignKey(
        "billing_codes.BillingCode", on_delete=models.PROTECT, related_name="+"
    )
    modifier = models.CharField(max_length=2, blank=True)
    rate = models.DecimalField(**MONEY)
    units_authorized = models.PositiveIntegerField()
    unit_period = models.CharField(
        max_length=10, choices=UnitPeriod.choices, default=UnitPeriod.TOTAL
    )

    class Meta:
        ordering = ["billing_code__code", "modifier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "billing_code", "modifier"],
                name="agreementline_unique_code_modifier",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of agreement {self.agreement_id}"
