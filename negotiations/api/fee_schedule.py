"""The practice fee schedule API."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from cases.permissions import PracticeRolePermission, can
from core.auth import signed_in_user

from ..selectors.fee_schedule import practice_rates_visible_to
from ..selectors.reports import billing_practice_ids
from ..serializers.fee_schedule import PracticeRateSerializer
from ..services.fee_schedule import practice_rate_delete, practice_rate_save


class PracticeRateViewSet(viewsets.ModelViewSet):
    """The practice fee schedule: usual rate and walk-away floor per code. Billing edits it."""

    serializer_class = PracticeRateSerializer
    permission_classes = [PracticeRolePermission]
    role_action = "fee_schedule"
    filterset_fields = ["practice", "billing_code", "modifier"]
    search_fields = ["billing_code__code"]
    ordering_fields = ["billing_code__code", "usual_rate"]

    def get_queryset(self):
        return practice_rates_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        # Refuse before validating: the body of someone who may not write is never looked at.
        if not billing_practice_ids(request.user):
            raise PermissionDenied("The fee schedule is edited by billing managers.")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = data.pop("practice")
        if not can(self.request.user, practice.pk, "fee_schedule"):
            raise PermissionDenied("The fee schedule is edited by billing managers.")
        serializer.instance = practice_rate_save(
            actor=signed_in_user(self.request), practice=practice, **data
        )

    def perform_update(self, serializer):
        instance = serializer.instance
        serializer.instance = practice_rate_save(
            actor=signed_in_user(self.request),
            practice=instance.practice,
            instance=instance,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        practice_rate_delete(actor=signed_in_user(self.request), instance=instance)
