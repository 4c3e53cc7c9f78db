"""The practice fee schedule API."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from cases.api.idempotency import IdempotentCreateMixin
from cases.permissions import PracticeRolePermission, can, practice_id_of, practice_ids_where
from core.auth import signed_in_user

from ..selectors.fee_schedule import practice_rates_visible_to
from ..serializers.fee_schedule import PracticeRateSerializer
from ..services.fee_schedule import practice_rate_delete, practice_rate_save

REFUSAL = "The fee schedule is read and edited by billing managers."


class FeeSchedulePermission(PracticeRolePermission):
    """The page's rule, for reads too: the usual rates and walk-away floors are billing's
    (``can(user, practice, "fee_schedule")``); a staff member gets 403 here as on the page,
    where they would otherwise read the floors the page keeps from them."""

    message = REFUSAL

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if getattr(view, "action", None) in ("list", "create"):
            # Before any row or the body is looked at: the role in one of the practices.
            return bool(practice_ids_where(request.user, "fee_schedule"))
        return True  # one rate: another practice's is a 404 first, then the role decides

    def has_object_permission(self, request, view, obj):
        return can(request.user, practice_id_of(obj), "fee_schedule")


class PracticeRateViewSet(IdempotentCreateMixin, viewsets.ModelViewSet):
    """The practice fee schedule: usual rate and walk-away floor per code. Billing reads and
    edits it; another practice's rate is a 404, a rate of a practice where the user is staff
    a 403, and so is the list to someone who is billing in none of theirs."""

    serializer_class = PracticeRateSerializer
    permission_classes = [FeeSchedulePermission]
    role_action = "fee_schedule"
    filterset_fields = ["practice", "billing_code", "modifier"]
    search_fields = ["billing_code__code"]
    ordering_fields = ["billing_code__code", "usual_rate"]

    def get_queryset(self):
        rates = practice_rates_visible_to(self.request.user)
        if self.action == "list":  # only the practices where the user may read it
            rates = rates.filter(
                practice_id__in=practice_ids_where(self.request.user, "fee_schedule")
            )
        return rates

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = data.pop("practice")
        if not can(self.request.user, practice.pk, "fee_schedule"):
            raise PermissionDenied(REFUSAL)
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
