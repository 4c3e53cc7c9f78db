"""Offers and counter-offers, agreements, the contact log, the practice fee schedule,
utilization and notifications."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from cases.models import SubmissionChannel, UnitPeriod


class OfferParty(models.TextChoices):
    INSURER = "insurer", "Insurer"
    PRACTICE = "practice", "Practice (counter-offer)"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    SUPERSEDED = "superseded", "Superseded"
    REJECTED = "rejected", "Rejected"


MONEY = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class Offer(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="offers")
    party = models.CharField(max_length=10, choices=OfferParty.choices)
    received_on = models.DateField()
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

    class Meta:
        ordering = ["billing_code__code", "modifier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "billing_code", "modifier"], name="offerline_unique_code_modifier"
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of offer {self.offer_id}"


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


class Notification(models.Model):
    """An in-app notice for one user. ``key`` names the condition, so each fires once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=120)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_condition")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for case {self.case_id}"
