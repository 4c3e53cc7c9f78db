"""What a case is made of: the documented in-network searches, the requested services
(billing codes) and the signed consents."""

import uuid
from typing import cast

from django.conf import settings
from django.core.files.storage import Storage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import LazyObject

from billing_codes.models import code_label
from cases.validators import validate_not_future, validate_npi, validate_phone


class SearchMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    FAX = "fax", "Fax"
    PORTAL = "portal", "Online portal or form"
    IN_PERSON = "in_person", "In person"
    LETTER = "letter", "Letter"


class SearchOutcome(models.TextChoices):
    NOT_ACCEPTING = "not_accepting", "Not accepting new patients"
    WAITLIST = "waitlist", "Waitlist"
    LACKS_EXPERTISE = "lacks_expertise", "Lacks the needed expertise"
    TOO_FAR = "too_far", "Too far away"
    AGE_NOT_SERVED = "age_not_served", "Does not serve this age group"
    LANGUAGE = "language", "Language not offered"
    NO_RESPONSE = "no_response", "No response"
    AVAILABLE = "available", "Available (search succeeded)"


UNSUCCESSFUL_OUTCOMES = frozenset(SearchOutcome.values) - {SearchOutcome.AVAILABLE}


class NetworkSearch(models.Model):
    """One documented attempt to find an in-network provider."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="network_searches"
    )
    provider_name = models.CharField(max_length=200)
    provider_npi = models.CharField(
        "provider NPI", max_length=10, blank=True, validators=[validate_npi]
    )
    # Who was reached and how to reach them again: the insurer may check the attempt.
    contact_name = models.CharField(max_length=120, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    contacted_on = models.DateField(validators=[validate_not_future])
    method = models.CharField(max_length=10, choices=SearchMethod.choices)
    outcome = models.CharField(max_length=16, choices=SearchOutcome.choices)
    wait_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(260)]
    )
    distance_miles = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contacted_on", "id"]
        verbose_name_plural = "network searches"
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="waitlist") | Q(wait_weeks__isnull=False),
                name="networksearch_waitlist_needs_weeks",
                violation_error_message="A waitlist outcome needs the wait in weeks.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_name} ({self.get_outcome_display()})"

    @property
    def unsuccessful(self) -> bool:
        return self.outcome in UNSUCCESSFUL_OUTCOMES


class UnitPeriod(models.TextChoices):
    TOTAL = "total", "Total"
    PER_WEEK = "per_week", "Per week"
    PER_MONTH = "per_month", "Per month"


class RequestedService(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="services")
    billing_code = models.ForeignKey(
        "billing_codes.BillingCode", on_delete=models.PROTECT, related_name="+"
    )
    modifier = models.CharField(max_length=2, blank=True)
    units = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100000)]
    )
    unit_period = models.CharField(
        max_length=10, choices=UnitPeriod.choices, default=UnitPeriod.TOTAL
    )
    requested_rate = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # Care under way: the units of this code the prior authorization has left.
    units_remaining = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100000)]
    )
    # A renewal: the units of this code the renewed authorization gave and used.
    prior_units_authorized = models.PositiveIntegerField(null=True, blank=True)
    prior_units_used = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["billing_code__code", "modifier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "billing_code", "modifier"],
                name="requestedservice_unique_code_modifier",
                violation_error_message="This code and modifier are already requested.",
            ),
            models.CheckConstraint(
                condition=Q(units__gte=1), name="requestedservice_units_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{code_label(self.billing_code.code, self.modifier)} × {self.units}"


class SignerRelationship(models.TextChoices):
    SELF = "self", "Client (self)"
    PARENT = "parent", "Parent"
    GUARDIAN = "guardian", "Legal guardian"
    OTHER = "other", "Other authorized representative"


class ConsentMethod(models.TextChoices):
    WET = "wet_signature", "Signed on paper"
    ELECTRONIC = "e_signature", "Signed electronically"


class _PrivateStorage(LazyObject):
    def _setup(self) -> None:
        from django.core.files.storage import storages

        self._wrapped = storages["private"]


# A Storage to every caller: the LazyObject passes everything through to the storage it wraps
# (as Django's own default_storage does).
private_storage = cast(Storage, _PrivateStorage())


def private_files() -> Storage:
    """The private FileFields' storage, given to them as a callable so that their migrations
    name this function instead of the backend this deploy configures (local disk here, object
    storage there: PRIVATE_STORAGE_URL), which would otherwise read as a model change."""
    return private_storage


def consent_upload_to(instance, filename: str) -> str:
    # Never keep the uploaded name: it often contains the patient's name.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"consents/{instance.case_id}/{uuid.uuid4().hex}.{ext}"


class Consent(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="consents")
    signer_name = models.CharField(max_length=200)
    signer_relationship = models.CharField(max_length=10, choices=SignerRelationship.choices)
    signed_on = models.DateField(validators=[validate_not_future])
    acknowledges_costs = models.BooleanField(
        default=False,
        help_text="The signer acknowledged the SCA is no guarantee of payment and costs may apply.",
    )
    estimated_patient_cost = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    method = models.CharField(
        max_length=16, choices=ConsentMethod.choices, default=ConsentMethod.WET
    )
    file = models.FileField(
        storage=private_files, upload_to=consent_upload_to, blank=True, max_length=200
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_on", "id"]

    def __str__(self) -> str:
        return f"Consent signed {self.signed_on.isoformat()}"
