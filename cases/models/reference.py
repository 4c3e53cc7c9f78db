"""The insurer directory (shared, written by the site's operators) and what each practice keeps
for itself about an insurer: its dated SCA rate policies with their rates and protocol, and its
own SCA contact (DESIGN.md section 1: who owns what)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from billing_codes.models import code_label
from cases.validators import validate_phone

from .attachments import (
    AttachmentKind,
    ProviderDocumentKind,
    validate_attachment_kinds,
    validate_provider_document_kinds,
)


class Insurer(models.Model):
    name = models.CharField(max_length=200, unique=True)
    payer_id = models.CharField("payer id", max_length=20, blank=True)
    sca_phone = models.CharField(
        "SCA phone", max_length=20, blank=True, validators=[validate_phone]
    )
    sca_fax = models.CharField("SCA fax", max_length=20, blank=True, validators=[validate_phone])
    sca_email = models.EmailField("SCA email", blank=True)
    sca_address = models.TextField("SCA mailing address", blank=True)
    portal_url = models.URLField(blank=True)
    behavioral_health_org = models.CharField(
        "behavioral health organization",
        max_length=200,
        blank=True,
        help_text="The company that manages the plan's behavioral benefits and usually handles "
        "its SCAs (e.g. a managed behavioral health organization).",
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Archived insurers keep their cases; no new case may name them."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PolicyKind(models.TextChoices):
    NEGOTIABLE = "negotiable", "Negotiable (offers and counter-offers)"
    HIGHEST_NETWORK_RATE = "highest_network_rate", "Highest in-network rate (accept or decline)"
    PERCENT_OF_REFERENCE = (
        "percent_of_reference",
        "Percent of a reference schedule (accept or decline)",
    )


class ReferenceSchedule(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    TRICARE = "tricare", "TRICARE"
    MEDICAID = "medicaid", "State Medicaid"
    OTHER = "other", "Other"


class SubmissionChannel(models.TextChoices):
    FAX = "fax", "Fax"
    EMAIL = "email", "Email"
    PORTAL = "portal", "Payer portal"
    PHONE = "phone", "Phone"
    MAIL = "mail", "Mail"


class LineOfBusiness(models.TextChoices):
    COMMERCIAL = "commercial", "Commercial"
    MEDICAID = "medicaid", "Medicaid managed care"
    TRICARE = "tricare", "TRICARE"
    OTHER = "other", "Other"


class RatePolicy(models.Model):
    """How an insurer pays one practice's SCAs over a period, for one line of business, and
    its SCA protocol, as the practice learned them. Periods of one (practice, insurer, line of
    business) never overlap; a policy a case was submitted under is ended, never deleted."""

    practice = models.ForeignKey(
        "cases.Practice", on_delete=models.PROTECT, related_name="rate_policies"
    )
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="policies")
    line_of_business = models.CharField(
        max_length=12, choices=LineOfBusiness.choices, default=LineOfBusiness.COMMERCIAL
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Empty: open-ended.")
    kind = models.CharField(max_length=24, choices=PolicyKind.choices)
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="For percent_of_reference: the percentage of the reference schedule paid.",
    )
    reference_schedule = models.CharField(
        max_length=12, choices=ReferenceSchedule.choices, blank=True
    )
    min_network_attempts = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(20)]
    )
    requires_consent = models.BooleanField(default=False)
    requires_pre_treatment = models.BooleanField(default=True)
    retro_days = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(365)],
        help_text="New treatment: how many days before today the requested period may start.",
    )
    continuity_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MaxValueValidator(365)],
        help_text="Care under way: how many days back the period may start (coverage change).",
    )
    required_attachments = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_attachment_kinds],
        help_text="Attachment kinds every request must enclose.",
    )
    required_provider_documents = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_provider_document_kinds],
        help_text="Provider or practice documents every packet encloses.",
    )
    appeal_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days to file the first appeal; empty: the line of business's rule "
        "(commercial 180, Medicaid 60, TRICARE 90).",
    )
    renewal_requires_searches = models.BooleanField(
        default=False,
        help_text="A renewal documents a fresh in-network search.",
    )
    max_agreement_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3660)]
    )
    expected_response_days = models.PositiveSmallIntegerField(null=True, blank=True)
    submission_channel = models.CharField(
        max_length=10, choices=SubmissionChannel.choices, blank=True
    )
    protocol_notes = models.TextField(blank=True)
    # Where the policy came from: "not negotiable" is often one representative's word.
    confirmed_with = models.CharField(
        max_length=120, blank=True, help_text="Who at the insurer confirmed these terms."
    )
    confirmed_on = models.DateField(null=True, blank=True)
    reference = models.CharField(
        max_length=120, blank=True, help_text="Call reference, contract or document number."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["insurer__name", "-effective_from"]
        verbose_name_plural = "rate policies"
        indexes = [
            models.Index(
                fields=["practice", "insurer", "line_of_business", "effective_from"],
                name="ratepolicy_in_force",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="ratepolicy_period_ordered",
                violation_error_message="The policy must end on or after the day it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent_of_reference")
                | (Q(percent__isnull=False) & ~Q(reference_schedule="")),
                name="ratepolicy_percent_needs_reference",
                violation_error_message=(
                    "A percent-of-reference policy needs a percent and a reference schedule."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PolicyKind.values), name="ratepolicy_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        end = self.effective_to.isoformat() if self.effective_to else "open"
        return (
            f"{self.insurer} ({self.get_line_of_business_display()}) {self.get_kind_display()} "
            f"{self.effective_from.isoformat()}–{end}"
        )

    @property
    def is_negotiable(self) -> bool:
        return self.kind == PolicyKind.NEGOTIABLE

    @property
    def required_attachment_labels(self) -> list[str]:
        return [str(AttachmentKind(k).label) for k in self.required_attachments]

    @property
    def required_provider_document_labels(self) -> list[str]:
        return [str(ProviderDocumentKind(k).label) for k in self.required_provider_documents]


class PolicyRate(models.Model):
    policy = models.ForeignKey(RatePolicy, on_delete=models.CASCADE, related_name="rates")
    billing_code = models.ForeignKey(
        "billing_codes.BillingCode", on_delete=models.PROTECT, related_name="policy_rates"
    )
    modifier = models.CharField(
        max_length=2, blank=True, help_text="Modifier code; empty for none."
    )
    # Not negative: the field's validator names the field for both doors; the check constraint
    # below holds the database to it.
    highest_network_rate = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    reference_rate = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    history = HistoricalRecords()
    # Not a field: what the policy pays for this rate, set by the insurer page for its table.
    pays: Decimal | None

    class Meta:
        ordering = ["billing_code__code", "modifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "billing_code", "modifier"],
                name="policyrate_unique_code_modifier",
                violation_error_message="This code and modifier already have a rate.",
            ),
            models.CheckConstraint(
                condition=(Q(highest_network_rate__isnull=True) | Q(highest_network_rate__gte=0))
                & (Q(reference_rate__isnull=True) | Q(reference_rate__gte=0)),
                name="policyrate_rates_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return code_label(self.billing_code.code, self.modifier)


class ContactPurpose(models.TextChoices):
    SCA_REQUEST = "sca_request", "SCA requests"
    APPEALS = "appeals", "Appeals"


class InsurerContact(models.Model):
    """A practice's own contact at an insurer for one purpose. Its filled fields are used before
    the directory's defaults (``cases.selectors.insurer_contact_for``)."""

    practice = models.ForeignKey(
        "cases.Practice", on_delete=models.PROTECT, related_name="insurer_contacts"
    )
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="contacts")
    purpose = models.CharField(
        max_length=12, choices=ContactPurpose.choices, default=ContactPurpose.SCA_REQUEST
    )
    department = models.CharField(max_length=200, blank=True)
    address = models.TextField("mailing address", blank=True)
    fax = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    portal_url = models.URLField("portal URL", blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["insurer__name", "purpose"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "insurer", "purpose"],
                name="insurercontact_unique_purpose",
                violation_error_message=(
                    "This practice already has a contact for this insurer and purpose."
                ),
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=ContactPurpose.values), name="insurercontact_purpose_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer} – {self.get_purpose_display()}"
