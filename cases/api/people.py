"""A practice's clients and providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser

from cases.models import AccessAction, Client
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
from core.access import LogsPhiReads
from core.api import FilterBackend, IdBoundedFilterSet
from core.auth import signed_in_user

from .common import ViewSetBase
from .idempotency import IdempotentCreateMixin
from .search import SearchInBody, TermsFromBody, search_body, search_page, search_responses

if TYPE_CHECKING:
    from django.db.models import Model


class ArchiveOnDeleteMixin(ViewSetBase):
    """Records holding patient data are archived, never deleted (``is_active`` false)."""

    if TYPE_CHECKING:  # each ViewSet's own update service

        def update_service(self, instance: Any, data: Any) -> Model: ...

    def perform_destroy(self, instance: Any) -> None:
        self.update_service(instance, {"is_active": False})


class ClientFilter(IdBoundedFilterSet):
    """The client list's filters (what ``filterset_fields`` generated), named so that the
    search body is built from them."""

    class Meta:
        model = Client
        fields = ["practice", "insurer", "is_active"]


CLIENT_ORDERING = ["last_name", "first_name", "date_of_birth", "created_at", "updated_at"]
ClientSearch = search_body(
    "ClientSearch",
    ClientFilter,
    CLIENT_ORDERING,
    "A client search: every word of ``q`` must appear in the first name, last name or member "
    "id; the client list's filters and ordering, and the page.",
)
ClientSearchPage = search_page("ClientSearchPage", ClientSerializer)


class ClientViewSet(
    IdempotentCreateMixin, LogsPhiReads, SearchInBody, ArchiveOnDeleteMixin, viewsets.ModelViewSet
):
    """A practice's clients. DELETE archives (the record is kept). A search by name or member
    id is a POST to ``clients/search/``: ``?search=`` is refused (400 ``search_in_url``),
    names stay out of URLs. Reads of clients are access-logged."""

    serializer_class = ClientSerializer
    permission_classes = [PracticeRolePermission]
    filterset_class = ClientFilter
    # No search backend: the search is ``search`` below, its text in the body.
    filter_backends = [FilterBackend, OrderingFilter]
    body_search_class = TermsFromBody
    search_fields = ["first_name", "last_name", "member_id"]
    ordering_fields = CLIENT_ORDERING

    def get_queryset(self):
        return clients_visible_to(self.request.user)

    def phi_subject(self, row) -> tuple[int | None, int | None, int | None]:
        return row.practice_id, row.pk, None

    def retrieve(self, request, *args, **kwargs):
        self.phi_action = AccessAction.VIEW_CLIENT  # get_object notes the read
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=ClientSearch, responses=search_responses(ClientSearchPage))
    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    def search(self, request):
        """Search the clients; the list's filters apply too. Answers a page of the list's
        rows with ``next_page``/``previous_page`` numbers (POST the same body with that
        ``page``). A read: every role may search."""
        return self.search_answer(ClientSearch)

    def update_service(self, instance, data):
        return client_update(client=instance, actor=signed_in_user(self.request), data=data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = data.pop("practice")
        confirm_duplicate = bool(data.pop("confirm_duplicate", False))
        serializer.instance = client_create(
            actor=signed_in_user(self.request),
            practice=practice,
            data=as_data(data, ClientData),
            confirm_duplicate=confirm_duplicate,
        )

    def perform_update(self, serializer):
        serializer.instance = self.update_service(serializer.instance, serializer.validated_data)


class ProviderViewSet(IdempotentCreateMixin, ArchiveOnDeleteMixin, viewsets.ModelViewSet):
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
