"""A practice's clients and treating providers, and the providers' credentials."""

from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from cases.validators import (
    validate_diagnosis_codes,
    validate_not_future,
    validate_npi,
    validate_phone,
    validate_state,
    validate_taxonomy,
)

from .reference import LineOfBusiness
from .tenancy import AddressMixin, Practice


class Client(AddressMixin):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(max_length=100, validators=[MinLengthValidator(1)])
    last_name = models.CharField(max_length=100, validators=[MinLengthValidator(1)])
    date_of_birth = models.DateField(validators=[validate_not_future])
    insurer = models.ForeignKey(
        "cases.Insurer", on_delete=models.PROTECT, null=True, blank=True, related_name="clients"
    )
    member_id = models.CharField("member id", max_length=40, blank=True)
    line_of_business = models.CharField(
        "line of business",
        max_length=12,
        choices=LineOfBusiness.choices,
        default=LineOfBusiness.COMMERCIAL,
        help_text="Which of the insurer's products covers the client: it picks the rate policy.",
    )
    group_number = models.CharField(max_length=40, blank=True)
    plan_name = models.CharField(max_length=120, blank=True)
    subscriber_name = models.CharField(max_length=200, blank=True)
    guardian_name = models.CharField(max_length=200, blank=True)
    guardian_relationship = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    diagnosis_codes = models.JSONField(
        default=list, blank=True, validators=[validate_diagnosis_codes]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["practice", "last_name", "first_name"]),
            models.Index(fields=["practice", "member_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(insurer__isnull=True) | ~Q(member_id=""),
                name="client_member_id_with_insurer",
                violation_error_message="A member id is required when an insurer is set.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Credential(models.TextChoices):
    BCBA = "BCBA", "BCBA"
    BCBA_D = "BCBA-D", "BCBA-D"
    BCABA = "BCaBA", "BCaBA"
    RBT = "RBT", "RBT"
    LBA = "LBA", "LBA"
    OTHER = "other", "Other"


class Provider(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="providers")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    credential = models.CharField(max_length=10, choices=Credential.choices)
    npi = models.CharField("NPI", max_length=10, validators=[validate_npi])
    license_number = models.CharField(max_length=40, blank=True)
    license_state = models.CharField(max_length=2, blank=True, validators=[validate_state])
    taxonomy_code = models.CharField(max_length=10, blank=True, validators=[validate_taxonomy])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "npi"],
                name="provider_unique_npi_per_practice",
                violation_error_message="This practice already has a provider with this NPI.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.credential}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
