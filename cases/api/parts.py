"""What a case is made of: in-network searches, requested services, consents and their scans."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from cases.downloads import consent_response
from cases.models import Consent, NetworkSearch, RequestedService
from cases.serializers.parts import (
    ConsentSerializer,
    NetworkSearchSerializer,
    RequestedServiceSerializer,
)
from cases.services.common import as_data
from cases.services.parts import (
    ConsentData,
    consent_add,
    consent_remove,
    consent_update,
    network_search_add,
    network_search_remove,
    network_search_update,
    service_add,
    service_remove,
    service_update,
)
from core.auth import signed_in_user

from .common import FILE_REFUSALS, CaseChildMixin
from .idempotency import IdempotentCreateMixin


class NetworkSearchViewSet(IdempotentCreateMixin, CaseChildMixin, viewsets.ModelViewSet):
    """The documented attempts to find an in-network provider (editable while draft)."""

    serializer_class = NetworkSearchSerializer
    pagination_class = None
    filter_backends = []

    queryset = NetworkSearch.objects.none()

    def child_queryset(self, case):
        return case.network_searches.all()

    def perform_create(self, serializer):
        serializer.instance = network_search_add(
            case_id=self.get_case().pk,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = network_search_update(
            search_id=serializer.instance.pk,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )

    def perform_destroy(self, instance):
        network_search_remove(search_id=instance.pk, actor=signed_in_user(self.request))


class RequestedServiceViewSet(IdempotentCreateMixin, CaseChildMixin, viewsets.ModelViewSet):
    """The billing codes requested, with units, period and rate (editable while draft)."""

    serializer_class = RequestedServiceSerializer
    pagination_class = None
    filter_backends = []

    queryset = RequestedService.objects.none()

    def child_queryset(self, case):
        return case.services.select_related("billing_code")

    def perform_create(self, serializer):
        serializer.instance = service_add(
            case_id=self.get_case().pk,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = service_update(
            service_id=serializer.instance.pk,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )

    def perform_destroy(self, instance):
        service_remove(service_id=instance.pk, actor=signed_in_user(self.request))


class ConsentViewSet(IdempotentCreateMixin, CaseChildMixin, viewsets.ModelViewSet):
    """Signed consents (JSON, or multipart with the signed scan in ``file``: PDF, PNG, JPEG).
    The scan is stored privately and downloaded through ``.../consents/{id}/file/``."""

    serializer_class = ConsentSerializer
    pagination_class = None
    filter_backends = []
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    queryset = Consent.objects.none()

    def child_queryset(self, case):
        return case.consents.all()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        file = data.pop("file", None)
        serializer.instance = consent_add(
            case_id=self.get_case().pk,
            actor=signed_in_user(self.request),
            data=as_data(data, ConsentData),
            file=file,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        file = data.pop("file", None)
        serializer.instance = consent_update(
            consent_id=serializer.instance.pk,
            actor=signed_in_user(self.request),
            data=as_data(data, ConsentData),
            file=file,
        )

    def perform_destroy(self, instance):
        consent_remove(consent_id=instance.pk, actor=signed_in_user(self.request))

    @extend_schema(responses={(200, "application/octet-stream"): bytes, **FILE_REFUSALS})
    @action(detail=True, methods=["get"])
    def file(self, request, case_pk=None, pk=None):
        consent = self.get_object()
        if not consent.file:
            raise Http404("No scan was uploaded for this consent.")
        return consent_response(request, consent)
