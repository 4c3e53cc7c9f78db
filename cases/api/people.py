"""A practice's clients and providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import viewsets
from rest_framework.response import Response

from cases.permissions import PracticeRolePermission
from cases.selectors.people import clients_visible_to, providers_visible_to
from cases.serializers.people import ClientSerializer, ProviderSerializer
from cases.services.common import as_data
from cases.services.people import (
    ClientData,
    ProviderData,
    client_create,
    client_update,
    provider_create,
    provider_update,
)
from core.access import phi_read_clients
from core.auth import signed_in_user

from .common import ViewSetBase

if TYPE_CHECKING:
    from django.db.models import Model


class ArchiveOnDeleteMixin(ViewSetBase):
    """Records holding patient data are archived, never deleted (``is_active`` false)."""

    if TYPE_CHECKING:  # each ViewSet's own update service

        def update_service(self, instance: Any, data: Any) -> Model: ...

    def perform_destroy(self, instance: Any) -> None:
        self.update_service(instance, {"is_active": False})


class ClientViewSet(ArchiveOnDeleteMixin, viewsets.ModelViewSet):
    """A practice's clients. DELETE archives (the record is kept)."""

    serializer_class = ClientSerializer
    permission_classes = [PracticeRolePermission]
    filterset_fields = ["practice", "insurer", "is_active"]
    search_fields = ["first_name", "last_name", "member_id"]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at", "updated_at"]

    def get_queryset(self):
        return clients_visible_to(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        client = self.get_object()
        phi_read_clients(request, [client], action="view_client")
        return Response(self.get_serializer(client).data)

    def update_service(self, instance, data):
        return client_update(client=instance, actor=signed_in_user(self.request), data=data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = data.pop("practice")
        serializer.instance = client_create(
            actor=signed_in_user(self.request), practice=practice, data=as_data(data, ClientData)
        )

    def perform_update(self, serializer):
        serializer.instance = self.update_service(serializer.instance, serializer.validated_data)


class ProviderViewSet(ArchiveOnDeleteMixin, viewsets.ModelViewSet):
    """A practice's treating providers. DELETE archives."""

    serializer_class = ProviderSerializer
    permission_classes = [PracticeRolePermission]
    filterset_fields = ["practice", "credential", "is_active"]
    search_fields = ["first_name", "last_name", "npi"]
    ordering_fields = ["last_name", "first_name", "credential", "created_at"]

    def get_queryset(self):
        return providers_visible_to(self.request.user)

    def update_service(self, instance, data):
        return provider_update(provider=instance, actor=signed_in_user(self.request), data=data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = data.pop("practice")
        serializer.instance = provider_create(
            actor=signed_in_user(self.request), practice=practice, data=as_data(data, ProviderData)
        )

    def perform_update(self, serializer):
        serializer.instance = self.update_service(serializer.instance, serializer.validated_data)
