"""What goes into a packet besides the generated letters: the case's clinical attachments
(assessment, treatment plan, ...) and the provider or practice documents insurers ask for in
every packet (certificates, license, W-9, ...), kept once with their expiry date."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.validators import validate_kinds

from .parts import private_files


class AttachmentKind(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    TREATMENT_PLAN = "treatment_plan", "Treatment plan"
    DIAGNOSTIC_REPORT = "diagnostic_report", "Diagnostic report"
    REFERRAL = "referral", "Referral"
    PRESCRIPTION = "prescription", "Prescription"
    MEDICAL_NECESSITY = "medical_necessity", "Letter of medical necessity"
    PROGRESS_REPORT = "progress_report", "Progress report"
    PRIOR_AUTHORIZATION = "prior_authorization", "Prior authorization"
    AUTHORIZED_REPRESENTATIVE = "authorized_representative", "Authorized representative form"
    INSURER_FORM = "insurer_form", "Insurer's form"
    OTHER = "other", "Other"


# The order attachments take in a packet: what a reviewer reads first comes first.
ATTACHMENT_ORDER = {kind: i for i, kind in enumerate(AttachmentKind.values)}


class ProviderDocumentKind(models.TextChoices):
    BCBA_CERTIFICATE = "bcba_certificate", "BCBA certificate"
    LICENSE = "license", "State license"
    RBT_CERTIFICATE = "rbt_certificate", "RBT certificate"
    CV = "cv", "Curriculum vitae"
    W9 = "w9", "W-9"
    LIABILITY_INSURANCE = "liability_insurance", "Liability insurance certificate"


PROVIDER_DOCUMENT_ORDER = {kind: i for i, kind in enumerate(ProviderDocumentKind.values)}


def validate_attachment_kinds(value) -> None:
    validate_kinds(value, AttachmentKind.values, "attachment")


def validate_provider_document_kinds(value) -> None:
    validate_kinds(value, ProviderDocumentKind.values, "provider document")


class FileType(models.TextChoices):
    PDF = "pdf", "PDF"
    PNG = "png", "PNG image"
    JPEG = "jpeg", "JPEG image"


def attachment_upload_to(instance, filename: str) -> str:
    # Never keep the uploaded name: it often contains the patient's name.
    return f"attachments/{instance.case_id}/{uuid.uuid4().hex}.{instance.file_type}"


def provider_document_upload_to(instance, filename: str) -> str:
    return f"provider-documents/{instance.practice_id}/{uuid.uuid4().hex}.{instance.file_type}"


class UploadedFile(models.Model):
    """What an upload keeps beside its file (each model declares ``file``, stored under its
    own random names): what the check found, who uploaded it, and when it was archived."""

    file_type = models.CharField(max_length=4, choices=FileType.choices)
    page_count = models.PositiveSmallIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class CaseAttachment(UploadedFile):
    """A clinical document uploaded to a case. Archived, never deleted: a sent packet may
    have carried it."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=32, choices=AttachmentKind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(storage=private_files, upload_to=attachment_upload_to, max_length=200)

    class Meta(UploadedFile.Meta):
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "archived_at"], name="attachment_case_current")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AttachmentKind.values), name="attachment_kind_valid"
            ),
            models.CheckConstraint(condition=Q(page_count__gte=1), name="attachment_has_pages"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for case {self.case_id}"

    @property
    def download_name(self) -> str:
        return f"sca-{self.case_id}-{self.kind.replace('_', '-')}-{self.pk}.{self.file_type}"


class ProviderDocument(UploadedFile):
    """A credential or business document kept once: on a provider (certificate, license, CV)
    or on the practice (W-9, liability insurance) when ``provider`` is empty."""

    practice = models.ForeignKey(
        "cases.Practice", on_delete=models.PROTECT, related_name="provider_documents"
    )
    provider = models.ForeignKey(
        "cases.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    kind = models.CharField(max_length=24, choices=ProviderDocumentKind.choices)
    title = models.CharField(max_length=200)
    expires_on = models.DateField(null=True, blank=True, help_text="Empty: does not expire.")
    file = models.FileField(
        storage=private_files, upload_to=provider_document_upload_to, max_length=200
    )

    class Meta(UploadedFile.Meta):
        ordering = ["kind", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["practice", "archived_at", "expires_on"], name="providerdoc_expiry"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProviderDocumentKind.values), name="providerdoc_kind_valid"
            ),
            models.CheckConstraint(condition=Q(page_count__gte=1), name="providerdoc_has_pages"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.practice_id})"
