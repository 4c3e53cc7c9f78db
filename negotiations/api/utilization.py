"""The utilization API: units used against the agreement, and their summary."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api.common import CaseChildMixin
from cases.api.idempotency import IdempotentCreateMixin
from core.auth import signed_in_user

from ..models.utilization import UtilizationEntry
from ..selectors.utilization import utilization_for, utilization_summary
from ..serializers.utilization import UtilizationEntrySerializer
from ..services.utilization import utilization_record


class UtilizationViewSet(
    IdempotentCreateMixin,
    CaseChildMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Units used against the agreement; ``summary/`` gives used, remaining and percent."""

    serializer_class = UtilizationEntrySerializer
    queryset = UtilizationEntry.objects.none()
    filter_backends = []

    def child_queryset(self, case):
        return utilization_for(case)

    def perform_create(self, serializer):
        serializer.instance = utilization_record(
            case_id=self.get_case().pk,
            actor=signed_in_user(self.request),
            **serializer.validated_data,
        )

    @extend_schema(
        responses={
            200: inline_serializer(
                "UtilizationSummary",
                fields={
                    "agreement": serializers.IntegerField(),
                    "lines": serializers.ListField(child=serializers.DictField()),
                    "sessions_authorized": serializers.IntegerField(allow_null=True),
                    "sessions_used": serializers.IntegerField(),
                    "sessions_remaining": serializers.IntegerField(allow_null=True),
                },
            )
        }
    )
    @action(detail=False, methods=["get"])
    def summary(self, request, case_pk=None):
        agreement = (
            getattr(self.get_case(), "agreement", None)
            if hasattr(self.get_case(), "agreement")
            else None
        )
        if agreement is None:
            raise Http404("This case has no agreement.")
        return Response(utilization_summary(agreement))
