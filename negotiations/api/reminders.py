"""The notifications API: the signed-in user's notifications."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import LogsPhiReads
from core.auth import signed_in_user

from ..models.reminders import Notification
from ..selectors.reminders import notifications_for
from ..serializers.reminders import NotificationSerializer
from ..services.reminders import notification_mark_read


class NotificationViewSet(
    LogsPhiReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The signed-in user's notifications, newest first. POST ``{id}/read/`` marks one read."""

    serializer_class = NotificationSerializer
    filterset_fields = ["kind", "case"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notifications_for(signed_in_user(self.request)).select_related("case")

    def phi_subject(self, row):
        # A notice names its case (and, as wording grows, its client's initials).
        return row.case.practice_id, row.case.client_id, row.case_id

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)
