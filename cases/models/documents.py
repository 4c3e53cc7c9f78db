"""Generated PDFs (request letters, consent forms, agreement summaries, submission packets),
stored privately."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from .case import Case
from .parts import private_files


class DocumentKind(models.TextChoices):
    REQUEST_LETTER = "request_letter", "SCA request letter"
    CONSENT_FORM = "consent_form", "Client consent form"
    AGREEMENT_SUMMARY = "agreement_summary", "Agreement summary"
    SUBMISSION_PACKET = "submission_packet", "Submission packet"
    APPEAL_LETTER = "appeal_letter", "Appeal letter"
    COUNTER_LETTER = "counter_letter", "Counter-offer letter"


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (DocumentStatus.QUEUED, DocumentStatus.RENDERING)


def document_upload_to(instance, filename: str) -> str:
    return f"documents/{instance.case_id}/{uuid.uuid4().hex}.pdf"


class Document(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED
    )
    file = models.FileField(
        storage=private_files, upload_to=document_upload_to, blank=True, max_length=200
    )
    sha256 = models.CharField(max_length=64, blank=True)
    # A packet: the digest of what it was built from (case version, attachments, documents),
    # so that a packet whose parts changed is known to be out of date and built again.
    parts_sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"])]
        constraints = [
            # One active document per case and kind: asking again returns it.
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status__in=["queued", "rendering"]),
                name="document_one_active_per_case_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(sha256=""), name="document_ready_has_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for case {self.case_id} ({self.status})"

    @property
    def download_name(self) -> str:
        return f"sca-{self.case_id}-{self.kind.replace('_', '-')}-{self.pk}.pdf"
