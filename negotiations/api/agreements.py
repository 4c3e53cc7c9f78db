"""The agreements API: the insurer approved as requested. (Accepting an offer is
``offers/{id}/accept/``, in api.offers.)"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets

from cases.api.common import CaseChildMixin
from cases.api.idempotency import IdempotentCreateMixin
from cases.serializers.case import CaseDetailSerializer

from ..models.offers import Offer
from ..serializers.agreements import AcceptSerializer
from ..services.agreements import case_approve
from .common import case_detail_response


class ApproveViewSet(IdempotentCreateMixin, CaseChildMixin, viewsets.GenericViewSet):
    """POST ``cases/{id}/approve/``: the insurer approved as requested."""

    queryset = Offer.objects.none()
    serializer_class = AcceptSerializer
    role_action = "offers"

    def child_queryset(self, case):
        return Offer.objects.none()

    @extend_schema(request=AcceptSerializer, responses={200: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case_approve(case_id=self.get_case().pk, actor=request.user, **body.validated_data)
        return case_detail_response(request, self.get_case().pk)
