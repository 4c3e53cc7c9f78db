"""The SCA case (a request to one insurer), its lifecycle table and its timeline. What a
case is made of (searches, requested services, consents) is in ``parts``."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from cases.validators import validate_not_future

from .appeals import DenialCategory
from .reference import SubmissionChannel


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_NEGOTIATION = "in_negotiation", "In negotiation"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed"
    DECLINED = "declined", "Declined by practice"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class CaseAction(models.TextChoices):
    SUBMIT = "submit", "Submit"
    RECEIVE_OFFER = "receive_offer", "Receive an offer"
    APPROVE = "approve", "Approve as requested"
    ACCEPT = "accept", "Accept an offer"
    DENY = "deny", "Deny"
    APPEAL = "appeal", "Appeal the denial"
    UPHOLD = "uphold", "Denial upheld on appeal"
    DECLINE = "decline", "Decline"
    WITHDRAW = "withdraw", "Withdraw"
    EXPIRE = "expire", "Expire"
    RENEW = "renew", "Renew"


S = CaseStatus
# action -> (statuses it may start from, status it leads to; None: the case keeps its status).
# The one table of the lifecycle (DESIGN.md section 5); services consult nothing else.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    CaseAction.SUBMIT: (frozenset({S.DRAFT}), S.SUBMITTED),
    # An appeal the insurer reverses with an offer goes back to negotiation.
    CaseAction.RECEIVE_OFFER: (
        frozenset({S.SUBMITTED, S.IN_NEGOTIATION, S.APPEALED}),
        S.IN_NEGOTIATION,
    ),
    # Approved as requested, or the denial overturned on appeal.
    CaseAction.APPROVE: (frozenset({S.SUBMITTED, S.APPEALED}), S.APPROVED),
    CaseAction.ACCEPT: (frozenset({S.IN_NEGOTIATION}), S.APPROVED),
    CaseAction.DENY: (frozenset({S.SUBMITTED, S.IN_NEGOTIATION}), S.DENIED),
    CaseAction.APPEAL: (frozenset({S.DENIED}), S.APPEALED),
    CaseAction.UPHOLD: (frozenset({S.APPEALED}), S.DENIED),
    CaseAction.DECLINE: (frozenset({S.IN_NEGOTIATION}), S.DECLINED),
    CaseAction.WITHDRAW: (
        frozenset({S.DRAFT, S.SUBMITTED, S.IN_NEGOTIATION, S.APPEALED}),
        S.WITHDRAWN,
    ),
    CaseAction.EXPIRE: (frozenset({S.APPROVED}), S.EXPIRED),
    CaseAction.RENEW: (frozenset({S.APPROVED, S.DENIED, S.EXPIRED}), None),
}


class Reason(models.TextChoices):
    NETWORK_INADEQUACY = "network_inadequacy", "Network inadequacy"
    CONTINUITY_OF_CARE = "continuity_of_care", "Continuity of care"
    PROVIDER_TRANSITION = "provider_transition", "Transition to a network provider"
    SPECIALIZED_EXPERTISE = "specialized_expertise", "Specialized expertise"
    GEOGRAPHIC_ACCESS = "geographic_access", "Geographic access"


class InitiatedBy(models.TextChoices):
    PATIENT = "patient", "Patient or family"
    PRACTICE = "practice", "Practice"


class ServiceType(models.TextChoices):
    ABA = "aba", "ABA therapy"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SPEECH = "speech", "Speech therapy"
    OCCUPATIONAL = "occupational", "Occupational therapy"
    PHYSICAL = "physical", "Physical therapy"
    OTHER = "other", "Other"


# The dates of a request are planned within this century.
PLANNING_DATES = ("planned_start_date", "requested_start", "requested_end", "coverage_change_on")
DATE_FLOOR, DATE_CEILING = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


class Case(models.Model):
    practice = models.ForeignKey("cases.Practice", on_delete=models.PROTECT, related_name="cases")
    client = models.ForeignKey("cases.Client", on_delete=models.PROTECT, related_name="cases")
    provider = models.ForeignKey(
        "cases.Provider", on_delete=models.PROTECT, related_name="cases", null=True, blank=True
    )
    insurer = models.ForeignKey("cases.Insurer", on_delete=models.PROTECT, related_name="cases")
    reason = models.CharField(max_length=24, choices=Reason.choices)
    initiated_by = models.CharField(
        max_length=10, choices=InitiatedBy.choices, default=InitiatedBy.PATIENT
    )
    service_type = models.CharField(
        max_length=16, choices=ServiceType.choices, default=ServiceType.ABA
    )
    planned_start_date = models.DateField(null=True, blank=True)
    # Care under way (continuity of care, provider transition): when treatment began and when
    # coverage changed or the provider left the network (DESIGN.md rules 3 and 5).
    treatment_started_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    coverage_change_on = models.DateField(null=True, blank=True)
    requested_start = models.DateField(null=True, blank=True)
    requested_end = models.DateField(null=True, blank=True)
    sessions_requested = models.PositiveIntegerField(null=True, blank=True)
    sessions_remaining = models.PositiveIntegerField(null=True, blank=True)
    clinical_justification = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submission_channel = models.CharField(
        max_length=10, choices=SubmissionChannel.choices, blank=True
    )
    # The practice's policy the case was submitted under (set at submit); a draft reads today's.
    rate_policy = models.ForeignKey(
        "cases.RatePolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    insurer_reference = models.CharField(max_length=60, blank=True)
    authorization_number = models.CharField(max_length=60, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # The insurer's denial as data (DESIGN.md rule 11): its category, the day the practice
    # received it (appeal deadlines count from it) and where the denial says appeals go.
    denial_category = models.CharField(max_length=24, choices=DenialCategory.choices, blank=True)
    denial_received_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    denial_appeal_address = models.TextField(blank=True)
    # A renewal names the authorization it renews and what was used of it (DESIGN.md rule 9).
    prior_authorization_number = models.CharField(max_length=60, blank=True)
    prior_sessions_authorized = models.PositiveIntegerField(null=True, blank=True)
    prior_sessions_used = models.PositiveIntegerField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    follow_up_on = models.DateField(null=True, blank=True)
    renewal_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="renewals"
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        # Each list filter the UI and API offer, ending in the default order (-created_at, -id)
        # so that a page's ids come from an index-only scan (checked with EXPLAIN, bench/).
        indexes = [
            models.Index(fields=["practice", "-created_at", "-id"], name="case_practice_recent"),
            models.Index(
                fields=["practice", "status", "-created_at", "-id"], name="case_practice_status"
            ),
            models.Index(
                fields=["practice", "insurer", "status", "-created_at", "-id"],
                name="case_practice_insurer",
            ),
            models.Index(
                fields=["practice", "provider", "-created_at", "-id"], name="case_practice_provider"
            ),
            models.Index(
                fields=["practice", "assigned_to", "-created_at", "-id"],
                name="case_practice_assignee",
            ),
            models.Index(
                fields=["practice", "reason", "-created_at", "-id"], name="case_practice_reason"
            ),
            models.Index(fields=["practice", "follow_up_on"], name="case_practice_follow_up"),
            models.Index(fields=["practice", "submitted_at"], name="case_practice_submitted"),
            # The dashboard: the negotiation board (longest waiting first), recently decided.
            models.Index(
                fields=["practice", "status", "submitted_at", "id"], name="case_practice_waiting"
            ),
            models.Index(fields=["practice", "-decided_at", "-id"], name="case_practice_decided"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(condition=Q(reason__in=Reason.values), name="case_reason_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="case_version_positive"),
            models.CheckConstraint(
                condition=Q(denial_category="") | Q(denial_category__in=DenialCategory.values),
                name="case_denial_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"]) | Q(submitted_at__isnull=False),
                name="case_submitted_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"SCA #{self.pk} ({self.get_status_display()})"

    def clean(self) -> None:
        # A year typed wrong (2206, 0026) is refused here rather than breaking the sums over
        # the period later (a far end overflows the calendar).
        far = {
            name: "Enter a date between 2000 and 2099."
            for name in PLANNING_DATES
            if getattr(self, name) and not DATE_FLOOR <= getattr(self, name) <= DATE_CEILING
        }
        if far:
            raise ValidationError(far)
        # Care under way: coverage changes after treatment began (DESIGN.md rule 3). That
        # treatment began by today is the field's validator.
        started, changed = self.treatment_started_on, self.coverage_change_on
        if started and changed and changed < started:
            raise ValidationError(
                {
                    "coverage_change_on": f"Coverage changed on {changed.isoformat()}, before "
                    f"treatment began ({started.isoformat()}): care under way changes coverage "
                    "after it began. Check both dates; for new treatment leave both empty."
                }
            )

    @property
    def is_draft(self) -> bool:
        return self.status == CaseStatus.DRAFT


class CaseEvent(models.Model):
    """Append-only timeline of a case: who did what, when, and which fields changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


# Migration 0001 names Consent's upload path by this module, and the tests reset the private
# storage here: both live with Consent (parts) and are named here too.
