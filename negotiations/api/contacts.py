"""The contact log API: contacts and peer-to-peer reviews, and a review's outcome later."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from cases.api.common import CaseChildMixin
from cases.api.idempotency import IdempotentCreateMixin
from cases.services.common import as_data
from core.api import FilterBackend
from core.auth import signed_in_user

from ..models.contacts import ContactLog
from ..selectors.contacts import contacts_for
from ..serializers.contacts import ContactLogSerializer, ReviewUpdateSerializer
from ..services.contacts import ReviewData, contact_log, contact_update


class ContactLogViewSet(
    IdempotentCreateMixin,
    CaseChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Calls, faxes and messages with the insurer, and peer-to-peer reviews (``kind``,
    filter ``?kind=peer_to_peer``); a follow-up date becomes the case's. ``PATCH`` records a
    review's outcome (or corrects its facts and time); a plain contact is append-only (409
    ``contact_locked``)."""

    serializer_class = ContactLogSerializer
    queryset = ContactLog.objects.none()
    filter_backends = [FilterBackend]
    filterset_fields = ["kind"]

    def child_queryset(self, case):
        return contacts_for(case)

    def get_serializer_context(self):
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            context["case"] = self.get_case()
        return context

    def perform_create(self, serializer):
        serializer.instance = contact_log(
            case_id=self.get_case().pk,
            actor=signed_in_user(self.request),
            **serializer.validated_data,
        )

    @extend_schema(request=ReviewUpdateSerializer, responses=ContactLogSerializer)
    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        serializer = ReviewUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        updated = contact_update(
            case_id=self.get_case().pk,
            contact_id=entry.pk,
            actor=signed_in_user(request),
            data=as_data(serializer.validated_data, ReviewData),
        )
        return Response(self.get_serializer(updated).data)
