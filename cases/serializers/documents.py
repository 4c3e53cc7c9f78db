"""Generated documents."""

from __future__ import annotations

from rest_framework import serializers

from cases.models import Document, DocumentKind


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "case",
            "kind",
            "status",
            "sha256",
            "size_bytes",
            "page_count",
            "render_ms",
            "error",
            "attempts",
            "created_at",
            "rendered_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        return f"/api/v1/documents/{obj.pk}/download/" if obj.status == "ready" else None


class DocumentRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
