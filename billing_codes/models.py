from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def code_label(code: str, modifier: str = "") -> str:
    """How a billing code with its modifier is written everywhere: "97153-HO", or "97153"."""
    return f"{code}-{modifier}" if modifier else code


class CodeSystem(models.TextChoices):
    CPT = "CPT", "CPT"
    HCPCS = "HCPCS", "HCPCS"


class CodeCategory(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    TREATMENT = "treatment", "Treatment"
    FAMILY_GUIDANCE = "family_guidance", "Family guidance"
    GROUP = "group", "Group"
    OTHER = "other", "Other"


class BillingCode(models.Model):
    """A CPT or HCPCS code. Descriptions are our own paraphrases, never the AMA's text."""

    code = models.CharField(max_length=5, unique=True)
    system = models.CharField(max_length=5, choices=CodeSystem.choices)
    short_description = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=CodeCategory.choices)
    unit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    is_aba = models.BooleanField(default=False)
    typical_credential = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()
    # Not a field: the services set it before a save, and the history records it as the author.
    _history_user: User

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_minutes__isnull=True) | models.Q(unit_minutes__gt=0),
                name="billingcode_unit_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.short_description}"


class Modifier(models.Model):
    code = models.CharField(max_length=2, unique=True)
    description = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()
    _history_user: User  # see BillingCode

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
