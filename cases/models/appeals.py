"""The insurer's denial as data, and the appeals filed against it: one record per level."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from cases.validators import validate_not_future

from .reference import SubmissionChannel


class DenialCategory(models.TextChoices):
    NOT_MEDICALLY_NECESSARY = "not_medically_necessary", "Not medically necessary"
    IN_NETWORK_AVAILABLE = "in_network_available", "An in-network provider is available"
    OON_BENEFITS_AVAILABLE = "oon_benefits_available", "Out-of-network benefits apply instead"
    INCOMPLETE_REQUEST = "incomplete_request", "The request was incomplete"
    NOT_COVERED = "not_covered", "The service is not covered"
    DIAGNOSIS_NOT_COVERED = "diagnosis_not_covered", "The diagnosis is not covered"
    PROVIDER_CREDENTIALS = "provider_credentials", "The provider's credentials"
    REDUCED_UNITS = "reduced_units", "Fewer units than requested"
    CONTRACT_REFUSED = "contract_refused", "The insurer will not contract or pay the rate"
    OTHER = "other", "Other"


# A denial in this category is no clinical or coverage decision: there is nothing to appeal,
# only a complaint to the regulator (selectors/appeals.py names where).
NOT_APPEALABLE = frozenset({DenialCategory.CONTRACT_REFUSED})


class AppealLevel(models.TextChoices):
    INTERNAL_1 = "internal_1", "Internal appeal (first level)"
    INTERNAL_2 = "internal_2", "Internal appeal (second level)"
    EXTERNAL_REVIEW = "external_review", "External review"
    STATE_FAIR_HEARING = "state_fair_hearing", "State Fair Hearing"
    RECONSIDERATION = "reconsideration", "TRICARE reconsideration"


class AppealOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    UPHELD = "upheld", "Denial upheld"
    OVERTURNED = "overturned", "Overturned"
    WITHDRAWN = "withdrawn", "Withdrawn by the practice"


class Appeal(models.Model):
    """One level of appeal of a denied case. ``due_on`` is the deadline it was filed against
    and ``late`` whether it was filed after it (allowed, flagged ``appeal_late``).
    ``denied_at`` names the denial it answers (the case's ``decided_at`` then): a case the
    insurer denies again after an overturn starts its levels afresh."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="appeals")
    denied_at = models.DateTimeField()
    level = models.CharField(max_length=20, choices=AppealLevel.choices)
    filed_on = models.DateField(validators=[validate_not_future])
    channel = models.CharField(max_length=10, choices=SubmissionChannel.choices, blank=True)
    reference = models.CharField(max_length=60, blank=True)
    expedited = models.BooleanField(
        default=False, help_text="Urgent care: the insurer decides within 72 hours."
    )
    due_on = models.DateField(null=True, blank=True)
    late = models.BooleanField(default=False)
    decided_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    outcome = models.CharField(
        max_length=12, choices=AppealOutcome.choices, default=AppealOutcome.PENDING
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["filed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "denied_at", "level"], name="appeal_one_per_level"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(outcome="pending"), name="appeal_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(level__in=AppealLevel.values), name="appeal_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=AppealOutcome.values), name="appeal_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending", decided_on__isnull=True)
                | (~Q(outcome="pending") & Q(decided_on__isnull=False)),
                name="appeal_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} of case {self.case_id} ({self.outcome})"

    @property
    def is_pending(self) -> bool:
        return self.outcome == AppealOutcome.PENDING
