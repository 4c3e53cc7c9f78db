"""A case's sendings to the insurer: the first is recorded at submit; re-sends here."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from cases.models import Submission
from cases.selectors.submissions import submissions_for
from cases.serializers.submissions import SubmissionSerializer, SubmissionWriteSerializer
from cases.services.submissions import submission_record
from core.auth import signed_in_user

from .common import CaseChildMixin
from .idempotency import IdempotentCreateMixin


class SubmissionViewSet(
    IdempotentCreateMixin, CaseChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Each sending of the case, in the order sent. POST records a re-send (201); the same
    sending posted again within a minute (channel, ``sent_to``, ``confirmation``) answers the
    one recorded (200). A draft is 409 ``not_submitted``, a closed case 409 ``case_closed``."""

    serializer_class = SubmissionSerializer
    queryset = Submission.objects.none()
    filter_backends = []
    role_action = "submit"  # whoever may submit records the sendings

    def child_queryset(self, case):
        return submissions_for(case)

    @extend_schema(
        request=SubmissionWriteSerializer,
        responses={201: SubmissionSerializer, 200: SubmissionSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = SubmissionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        submission, created = submission_record(
            case_id=self.get_case().pk,
            actor=signed_in_user(request),
            channel=data["channel"],
            sent_at=data.get("sent_at"),
            sent_to=data.get("sent_to", ""),
            pages=data.get("pages"),
            confirmation=data.get("confirmation", ""),
            document_id=data.get("document"),
        )
        return Response(
            SubmissionSerializer(submission).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
