"""Practices (the tenants) and who belongs to them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from cases.validators import (
    validate_npi,
    validate_phone,
    validate_state,
    validate_tax_id,
    validate_zip,
)


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    BILLING = "billing", "Billing manager"
    ADMIN = "admin", "Administrator"


class AddressMixin(models.Model):
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, validators=[validate_state])
    zip_code = models.CharField("ZIP", max_length=10, blank=True, validators=[validate_zip])

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        last = " ".join(
            p for p in [f"{self.city}," if self.city else "", self.state, self.zip_code] if p
        )
        return [line for line in [self.address_line1, self.address_line2, last] if line]


class Practice(AddressMixin):
    name = models.CharField(max_length=200, unique=True)
    npi = models.CharField("NPI", max_length=10, blank=True, validators=[validate_npi])
    tax_id = models.CharField("tax id", max_length=9, blank=True, validators=[validate_tax_id])
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    fax = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    signatory_name = models.CharField(max_length=200, blank=True)
    signatory_title = models.CharField(max_length=200, blank=True)
    # The mental health parity paragraph of appeal letters; empty: the shipped default
    # (cases.selectors.appeals.DEFAULT_PARITY_TEXT).
    appeal_parity_text = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    # The daily email of the member's open tasks (case numbers only); each member turns it off
    # on the task list.
    task_digest = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["practice__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "practice"], name="membership_unique_user_practice"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.practice} ({self.role})"
