"""Utilization: the units used against the agreement."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from .agreements import Agreement


class UtilizationEntry(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="utilization")
    service_date = models.DateField()
    billing_code = models.ForeignKey(
        "billing_codes.BillingCode", on_delete=models.PROTECT, related_name="+"
    )
    modifier = models.CharField(max_length=2, blank=True)
    units = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    over_authorized = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service_date", "id"]
        verbose_name_plural = "utilization entries"
        constraints = [
            models.CheckConstraint(condition=Q(units__gte=1), name="utilization_units_positive")
        ]

    def __str__(self) -> str:
        return f"{self.units} unit(s) on {self.service_date.isoformat()}"
