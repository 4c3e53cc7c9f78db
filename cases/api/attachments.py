"""Clinical attachments of a case, and the provider or practice documents insurers ask for in
every packet: multipart uploads checked by content, downloads through the access log,
archived (never deleted)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cases.downloads import attachment_response, provider_document_response
from cases.models import CaseAttachment
from cases.permissions import PracticeRolePermission, can
from cases.selectors.attachments import (
    attachments_of,
    lapsing,
    provider_documents_visible_to,
)
from cases.serializers.attachments import AttachmentSerializer, ProviderDocumentSerializer
from cases.services.attachments import (
    attachment_add,
    attachment_archive,
    provider_document_add,
    provider_document_archive,
)
from core.auth import signed_in_user

from .common import FILE_REFUSALS, CaseChildMixin
from .idempotency import IdempotentCreateMixin

UPLOAD_PARSERS = [MultiPartParser, FormParser, JSONParser]
DOWNLOAD: dict[Any, Any] = {(200, "application/octet-stream"): OpenApiTypes.BINARY, **FILE_REFUSALS}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "archived",
                OpenApiTypes.STR,
                enum=["1"],
                description="1: the archived attachments too.",
            ),
        ]  # fmt: skip
    )
)
class CaseAttachmentViewSet(
    IdempotentCreateMixin,
    CaseChildMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A case's clinical attachments (assessment, treatment plan, ...), in packet order.
    POST is multipart (``kind``, ``title``, ``file``: a PDF, PNG or JPEG checked by its
    content); the same file posted again as the same kind answers with the one already there."""

    serializer_class = AttachmentSerializer
    pagination_class = None
    filter_backends = []
    parser_classes = UPLOAD_PARSERS
    queryset = CaseAttachment.objects.none()

    def child_queryset(self, case):
        archived = self.action != "list" or self.request.query_params.get("archived") == "1"
        return attachments_of(case, archived=archived)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = attachment_add(
            case_id=self.get_case().pk,
            actor=signed_in_user(self.request),
            kind=data["kind"],
            title=data.get("title", ""),
            file=data["file"],
        )

    @extend_schema(responses=DOWNLOAD)
    @action(detail=True, methods=["get"])
    def download(self, request, case_pk=None, pk=None):
        return attachment_response(request, self.get_object())

    @extend_schema(request=None, responses=AttachmentSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, case_pk=None, pk=None):
        attachment = attachment_archive(
            attachment_id=self.get_object().pk, actor=signed_in_user(request)
        )
        return Response(self.get_serializer(attachment).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("provider", OpenApiTypes.INT, description="One provider's."),
            OpenApiParameter("practice", OpenApiTypes.INT),
            OpenApiParameter(
                "expiring",
                OpenApiTypes.STR,
                enum=["1"],
                description="1: only those lapsing within 30 days, or lapsed.",
            ),
            OpenApiParameter(
                "archived", OpenApiTypes.STR, enum=["1"], description="1: the archived ones too."
            ),
        ]  # fmt: skip
    )
)
class ProviderDocumentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Documents kept once for every packet: a provider's (certificate, license, CV) or the
    practice's own (W-9, liability insurance; no ``provider``), with their expiry date.
    POST is multipart (``practice`` when the user has several, ``provider``, ``kind``,
    ``title``, ``expires_on``, ``file``)."""

    serializer_class = ProviderDocumentSerializer
    permission_classes = [PracticeRolePermission]
    role_action = "people"  # ACTION_ROLES: who keeps providers keeps their documents
    filter_backends = []
    parser_classes = UPLOAD_PARSERS
    lookup_value_regex = r"[0-9]{1,9}"

    def get_queryset(self):
        rows = provider_documents_visible_to(self.request.user)
        if self.action != "list":
            return rows
        params = self.request.query_params
        for name in ("provider", "practice"):
            value = params.get(name, "")
            if value.isdigit() and len(value) <= 9:
                rows = rows.filter(**{f"{name}_id": int(value)})
        if params.get("expiring") == "1":
            return lapsing(rows, timezone.localdate())
        if params.get("archived") != "1":
            rows = rows.filter(archived_at__isnull=True)
        return rows.order_by("provider_id", "kind", "-created_at", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        practice = data["practice"]
        if not can(self.request.user, practice.pk, self.role_action):
            raise PermissionDenied("Your role in this practice does not allow this.")
        provider = data.get("provider")
        serializer.instance = provider_document_add(
            practice_id=practice.pk,
            actor=signed_in_user(self.request),
            provider_id=provider.pk if provider is not None else None,
            kind=data["kind"],
            title=data.get("title", ""),
            expires_on=data.get("expires_on"),
            file=data["file"],
        )

    @extend_schema(responses=DOWNLOAD)
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return provider_document_response(request, self.get_object())

    @extend_schema(request=None, responses=ProviderDocumentSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        document = provider_document_archive(
            document_id=self.get_object().pk, actor=signed_in_user(request)
        )
        return Response(self.get_serializer(document).data)
