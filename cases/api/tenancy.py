"""The practices the user belongs to."""

from __future__ import annotations

from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from cases.permissions import can
from cases.selectors.tenancy import practices_for
from cases.serializers.tenancy import PracticeSerializer
from cases.services.tenancy import practice_update
from core.auth import signed_in_user


class PracticeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The practices the user belongs to, with the user's role in each. Admins edit theirs."""

    serializer_class = PracticeSerializer
    search_fields = ["name"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return practices_for(self.request.user)

    def update(self, request, *args, **kwargs):
        # The role is checked before the body is validated: 403 means "not yours to change".
        if not can(request.user, self.get_object().pk, "practice"):
            raise PermissionDenied("Only an administrator of this practice may change it.")
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = practice_update(
            practice=serializer.instance,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )
