"""The contact log API."""

from __future__ import annotations

from rest_framework import mixins, viewsets

from cases.api.common import CaseChildMixin
from core.auth import signed_in_user

from ..models.contacts import ContactLog
from ..selectors.contacts import contacts_for
from ..serializers.contacts import ContactLogSerializer
from ..services.contacts import contact_log


class ContactLogViewSet(
    CaseChildMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Calls, faxes and messages with the insurer; a follow-up date becomes the case's."""

    serializer_class = ContactLogSerializer
    queryset = ContactLog.objects.none()
    filter_backends = []

    def child_queryset(self, case):
        return contacts_for(case)

    def perform_create(self, serializer):
        serializer.instance = contact_log(
            case_id=self.get_case().pk,
            actor=signed_in_user(self.request),
            **serializer.validated_data,
        )
