"""Offers and counter-offers: the insurer's offer and the practice's counter, one line per code."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from cases.models import SubmissionChannel, UnitPeriod
from cases.validators import validate_not_future

from .common import MONEY


class OfferParty(models.TextChoices):
    INSURER = "insurer", "Insurer"
    PRACTICE = "practice", "Practice (counter-offer)"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    SUPERSEDED = "superseded", "Superseded"
    REJECTED = "rejected", "Rejected"


class RateBasis(models.TextChoices):
    """How a counter was expressed; the line's ``rate`` is always the rate per unit it
    came to (negotiations.pricing.rate_from_percent)."""

    RATE = "rate", "Rate per unit"
    PERCENT_OF_BILLED = "percent_of_billed", "Percent of billed charges"
    PERCENT_OF_MEDICAID = "percent_of_medicaid", "Percent of the state Medicaid schedule"
    PERCENT_OF_TRICARE = "percent_of_tricare", "Percent of the TRICARE schedule"


class Offer(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="offers")
    party = models.CharField(max_length=10, choices=OfferParty.choices)
    received_on = models.DateField(validators=[validate_not_future])
    channel = models.CharField(max_length=10, choices=SubmissionChannel.choices, blank=True)
    rep_name = models.CharField("insurer representative", max_length=120, blank=True)
    reference_number = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One open offer per case: a new offer or counter supersedes the open one.
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="open"), name="offer_one_open_per_case"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OfferStatus.values), name="offer_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()} offer {self.received_on.isoformat()} ({self.status})"


class OfferLine(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="lines")
    billing_code = models.ForeignKey(
        "billing_codes.BillingCode", on_delete=models.PROTECT, related_name="+"
    )
    modifier = models.CharField(max_length=2, blank=True)
    rate = models.DecimalField(**MONEY)
    units = models.PositiveIntegerField(null=True, blank=True)
    unit_period = models.CharField(
        max_length=10, choices=UnitPeriod.choices, default=UnitPeriod.TOTAL
    )
    expressed_as = models.CharField(
        max_length=20, choices=RateBasis.choices, default=RateBasis.RATE
    )
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )

    class Meta:
        ordering = ["billing_code__code", "modifier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "billing_code", "modifier"], name="offerline_unique_code_modifier"
            ),
            models.CheckConstraint(
                condition=Q(expressed_as="rate", percent__isnull=True)
                | (~Q(expressed_as="rate") & Q(percent__isnull=False)),
                name="offerline_percent_with_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of offer {self.offer_id}"
