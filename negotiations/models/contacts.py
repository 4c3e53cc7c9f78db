"""The contact log: calls, faxes and messages with the insurer."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.models import SubmissionChannel


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "We contacted them"
    INBOUND = "inbound", "They contacted us"


class ContactKind(models.TextChoices):
    CONTACT = "contact", "Call, fax or message"
    PEER_TO_PEER = "peer_to_peer", "Peer-to-peer review"


class PeerToPeerOutcome(models.TextChoices):
    APPROVED = "approved", "Approved as requested"
    PARTIALLY_APPROVED = "partially_approved", "Partly approved"
    UPHELD = "upheld", "Denial upheld"
    NOT_HELD = "not_held", "Did not take place"


class ContactLog(models.Model):
    """A call, fax or message with the insurer; or a peer-to-peer review, where the treating
    BCBA discusses the denial with the insurer's clinical reviewer. A review is no appeal
    level and does not stop the appeal clock; ``at`` is when it is (or was) scheduled, so it
    may lie ahead, and it must be requested by ``request_by``."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=12, choices=ContactKind.choices, default=ContactKind.CONTACT)
    at = models.DateTimeField()
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=SubmissionChannel.choices)
    contact_name = models.CharField(max_length=120, blank=True)
    reference_number = models.CharField(max_length=60, blank=True)
    summary = models.TextField()
    follow_up_on = models.DateField(null=True, blank=True)
    # A peer-to-peer review's own facts.
    request_by = models.DateField(
        null=True, blank=True, help_text="The last day the insurer accepts the request."
    )
    treating_provider = models.ForeignKey(
        "cases.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewer_name = models.CharField(max_length=120, blank=True)
    reviewer_credentials = models.CharField(max_length=60, blank=True)
    outcome = models.CharField(max_length=20, choices=PeerToPeerOutcome.choices, blank=True)
    units_approved = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "at"], name="contact_kind_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ContactKind.values), name="contact_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="peer_to_peer")
                | Q(
                    request_by__isnull=True,
                    treating_provider__isnull=True,
                    reviewer_name="",
                    reviewer_credentials="",
                    outcome="",
                    units_approved__isnull=True,
                ),
                name="contact_review_fields_only_on_reviews",
            ),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk} on case {self.case_id}"
