"""Generated documents: a case's, queued and rendered by a worker, and their downloads."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.downloads import document_response
from cases.models import Document
from cases.selectors.documents import documents_visible_to
from cases.serializers.documents import DocumentRequestSerializer, DocumentSerializer
from cases.services.documents import document_request
from core.access import LogsPhiReads
from core.auth import signed_in_user

from .common import FILE_REFUSALS, CaseChildMixin
from .idempotency import IdempotentCreateMixin


class CaseDocumentViewSet(
    IdempotentCreateMixin, CaseChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """The case's generated documents. POST ``{"kind"}`` queues one (202) and a worker renders
    it; while one of that kind is queued or rendering, the same one comes back (200)."""

    serializer_class = DocumentSerializer
    queryset = Document.objects.none()
    filter_backends = []

    def child_queryset(self, case):
        return case.documents.all()

    @extend_schema(
        request=DocumentRequestSerializer,
        responses={202: DocumentSerializer, 200: DocumentSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = DocumentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document, created = document_request(
            case_id=self.get_case().pk,
            actor=signed_in_user(request),
            kind=body.validated_data["kind"],
        )
        document.refresh_from_db()
        return Response(
            DocumentSerializer(document).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class DocumentViewSet(
    LogsPhiReads, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Documents of the user's practices: status while rendering, then ``download/``."""

    serializer_class = DocumentSerializer
    filterset_fields = ["case", "kind", "status"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        # The case's practice and client: what the access log notes of each document.
        return documents_visible_to(self.request.user).select_related("case")

    def phi_subject(self, row):
        return row.case.practice_id, row.case.client_id, row.case_id

    @extend_schema(responses={(200, "application/pdf"): bytes, **FILE_REFUSALS})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        document = self.get_object()
        if document.status != "ready" or not document.file:
            return Response(
                {"code": "not_ready", "detail": f"The document is {document.status}."},
                status=status.HTTP_409_CONFLICT,
            )
        return document_response(request, document)
