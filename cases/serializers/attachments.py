"""Clinical attachments and provider or practice documents: uploaded as multipart (``file``),
answered with what the check found (type, pages, size, digest) and where to download it."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from cases.models import CaseAttachment, ProviderDocument
from cases.selectors.people import providers_visible_to

from .common import request_user
from .tenancy import PracticeOwnedSerializer

# What the upload check decides, never the client.
CHECKED_FIELDS = ["file_type", "page_count", "size_bytes", "sha256"]


def _absolute(serializer: serializers.Serializer[Any], path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class AttachmentSerializer(serializers.ModelSerializer):
    # Write-only: no URL to the stored file is handed out; ``download`` goes through the app.
    file = serializers.FileField(write_only=True, help_text="PDF, PNG or JPEG.")
    download = serializers.SerializerMethodField()

    class Meta:
        model = CaseAttachment
        fields = [
            "id", "kind", "title", "file", *CHECKED_FIELDS, "uploaded_by", "created_at",
            "archived_at", "download",
        ]  # fmt: skip
        read_only_fields = [*CHECKED_FIELDS, "uploaded_by", "created_at", "archived_at"]
        # A blank title takes the kind's name (the service's rule).
        extra_kwargs: dict[str, dict[str, object]] = {
            "title": {"required": False, "allow_blank": True}
        }

    def get_download(self, obj: CaseAttachment) -> str:
        return _absolute(
            self,
            reverse("case-attachment-download", kwargs={"case_pk": obj.case_id, "pk": obj.pk}),
        )


class ProviderField(serializers.PrimaryKeyRelatedField):
    """A provider of the user's practices (the service checks it is the document's practice)."""

    def get_queryset(self):
        return providers_visible_to(request_user(self.parent))


class ProviderDocumentSerializer(PracticeOwnedSerializer):
    provider = ProviderField(
        required=False, allow_null=True, help_text="Empty: the practice's own document."
    )
    file = serializers.FileField(write_only=True, help_text="PDF, PNG or JPEG.")
    download = serializers.SerializerMethodField()

    class Meta:
        model = ProviderDocument
        fields = [
            "id", "practice", "provider", "kind", "title", "expires_on", "file",
            *CHECKED_FIELDS, "uploaded_by", "created_at", "archived_at", "download",
        ]  # fmt: skip
        read_only_fields = [*CHECKED_FIELDS, "uploaded_by", "created_at", "archived_at"]
        extra_kwargs: dict[str, dict[str, object]] = {
            "title": {"required": False, "allow_blank": True}
        }

    def get_download(self, obj: ProviderDocument) -> str:
        return _absolute(self, reverse("provider-document-download", kwargs={"pk": obj.pk}))
