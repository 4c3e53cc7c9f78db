"""The offers API: offers and counters, accepting one, declining, and the negotiation
summary."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api.common import CaseChildMixin
from cases.api.idempotency import IdempotentCreateMixin
from cases.serializers.case import CaseDetailSerializer

from ..models.offers import Offer, OfferParty
from ..selectors.offers import get_offer_on, negotiation_summary, offers_for
from ..serializers.agreements import AcceptSerializer
from ..serializers.offers import DeclineSerializer, OfferSerializer
from ..services.agreements import offer_accept
from ..services.offers import case_decline, offer_counter, offer_record
from .common import SingleObjectSchema, case_detail_response


class OfferViewSet(
    IdempotentCreateMixin,
    CaseChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Offers and counter-offers in time order. POST with ``party: insurer`` records the
    insurer's offer; ``party: practice`` sends a counter (refused with ``rate_not_negotiable``
    under a non-negotiable policy). A new offer supersedes the open one."""

    serializer_class = OfferSerializer
    idempotent_actions = ("create", "accept")  # accepting writes the agreement
    queryset = Offer.objects.none()
    pagination_class = None
    filter_backends = []
    role_action = "offers"

    def child_queryset(self, case):
        return offers_for(case)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        party = data.pop("party")
        service = offer_record if party == OfferParty.INSURER else offer_counter
        offer = service(case_id=self.get_case().pk, actor=request.user, **data)
        return Response(
            self.get_serializer(offers_for(self.get_case()).get(pk=offer.pk)).data,
            status=201,
        )

    @extend_schema(request=AcceptSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, case_pk=None, pk=None):
        """Accept the open offer: the case is approved and the agreement written from its lines."""
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        offer = get_offer_on(self.get_case(), pk)
        offer_accept(
            case_id=self.get_case().pk, offer_id=offer.pk, actor=request.user, **body.validated_data
        )
        return case_detail_response(request, self.get_case().pk)


class DeclineViewSet(CaseChildMixin, viewsets.GenericViewSet):
    """POST ``cases/{id}/decline/``: the practice refuses the insurer's terms."""

    queryset = Offer.objects.none()
    serializer_class = DeclineSerializer
    role_action = "offers"

    def child_queryset(self, case):
        return Offer.objects.none()

    @extend_schema(request=DeclineSerializer, responses={200: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case_decline(case_id=self.get_case().pk, actor=request.user, **body.validated_data)
        return case_detail_response(request, self.get_case().pk)


NegotiationSummarySerializer = inline_serializer(
    "NegotiationSummary",
    fields={
        "policy": serializers.DictField(allow_null=True),
        "negotiable": serializers.BooleanField(),
        "open_offer": serializers.IntegerField(allow_null=True),
        "latest_insurer_offer": serializers.IntegerField(allow_null=True),
        "rows": serializers.ListField(child=serializers.DictField()),
        "agreement": serializers.DictField(allow_null=True),
    },
)


class NegotiationViewSet(CaseChildMixin, viewsets.GenericViewSet):
    """GET ``cases/{id}/negotiation/``: policy, benchmark table, suggested counter, totals."""

    schema = SingleObjectSchema()
    queryset = Offer.objects.none()
    pagination_class = None
    filter_backends = []

    def child_queryset(self, case):
        return Offer.objects.none()

    @extend_schema(responses={200: NegotiationSummarySerializer})
    def list(self, request, *args, **kwargs):
        return Response(negotiation_summary(self.get_case()))
