"""The negotiation API: offers, decisions, contacts, utilization, fee schedule, notifications,
reports. Thin: each write calls one service."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api import CaseChildMixin, CaseDetailSerializer
from cases.permissions import PracticeRolePermission, can
from cases.selectors import case_detail_for

from . import selectors, services
from .models import ContactLog, Notification, Offer, OfferParty, UtilizationEntry
from .serializers import (
    AcceptSerializer,
    ContactLogSerializer,
    DeclineSerializer,
    NotificationSerializer,
    OfferSerializer,
    PracticeRateSerializer,
    UtilizationEntrySerializer,
)


def _case_detail(request, case_id: int, code=status.HTTP_200_OK) -> Response:
    from cases.api import allowed_actions

    case = case_detail_for(request.user).get(pk=case_id)
    data = CaseDetailSerializer(case, context={"request": request}).data
    data["allowed_actions"] = allowed_actions(case, request.user)
    return Response(data, status=code)


class OfferViewSet(
    CaseChildMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Offers and counter-offers in time order. POST with ``party: insurer`` records the
    insurer's offer; ``party: practice`` sends a counter (refused with ``rate_not_negotiable``
    under a non-negotiable policy). A new offer supersedes the open one."""

    serializer_class = OfferSerializer
    queryset = Offer.objects.none()
    pagination_class = None
    filter_backends = []
    role_action = "offers"

    def child_queryset(self, case):
        return selectors.offers_for(case)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        party = data.pop("party")
        service = services.offer_record if party == OfferParty.INSURER else services.offer_counter
        offer = service(case_id=self.get_case().pk, actor=request.user, **data)
        return Response(
            self.get_serializer(selectors.offers_for(self.get_case()).get(pk=offer.pk)).data,
            status=201,
        )

    @extend_schema(request=AcceptSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, case_pk=None, pk=None):
        """Accept the open offer: the case is approved and the agreement written from its lines."""
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            offer_id = int(pk)
        except ValueError:
            raise Http404 from None
        services.offer_accept(
            case_id=self.get_case().pk, offer_id=offer_id, actor=request.user, **body.validated_data
        )
        return _case_detail(request, self.get_case().pk)


class ApproveViewSet(CaseChildMixin, viewsets.GenericViewSet):
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
        services.case_approve(case_id=self.get_case().pk, actor=request.user, **body.validated_data)
        return _case_detail(request, self.get_case().pk)


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
        services.case_decline(case_id=self.get_case().pk, actor=request.user, **body.validated_data)
        return _case_detail(request, self.get_case().pk)


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


class SingleObjectSchema(AutoSchema):
    """The route is a collection route, but it answers one object, not a list."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


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
        return Response(selectors.negotiation_summary(self.get_case()))


class ContactLogViewSet(
    CaseChildMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Calls, faxes and messages with the insurer; a follow-up date becomes the case's."""

    serializer_class = ContactLogSerializer
    queryset = ContactLog.objects.none()
    filter_backends = []

    def child_queryset(self, case):
        return selectors.contacts_for(case)

    def perform_create(self, serializer):
        serializer.instance = services.contact_log(
            case_id=self.get_case().pk, actor=self.request.user, **serializer.validated_data
        )


class UtilizationViewSet(
    CaseChildMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Units used against the agreement; ``summary/`` gives used, remaining and percent."""

    serializer_class = UtilizationEntrySerializer
    queryset = UtilizationEntry.objects.none()
    filter_backends = []

    def child_queryset(self, case):
        return UtilizationEntry.objects.filter(agreement__case=case).select_related("billing_code")

    def perform_create(self, serializer):
        serializer.instance = services.utilization_record(
            case_id=self.get_case().pk, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        responses={
            200: inline_serializer(
                "UtilizationSummary",
                fields={
                    "agreement": serializers.IntegerField(),
                    "lines": serializers.ListField(child=serializers.DictField()),
                    "sessions_authorized": serializers.IntegerField(allow_null=True),
                    "sessions_used": serializers.IntegerField(),
                    "sessions_remaining": serializers.IntegerField(allow_null=True),
                },
            )
        }
    )
    @action(detail=False, methods=["get"])
    def summary(self, request, case_pk=None):
        agreement = (
            getattr(self.get_case(), "agreement", None)
            if hasattr(self.get_case(), "agreement")
            else None
        )
        if agreement is None:
            raise Http404("This case has no agreement.")
        return Response(selectors.utilization_summary(agreement))


class PracticeRateViewSet(viewsets.ModelViewSet):
    """The practice fee schedule: usual rate and walk-away floor per code. Billing edits it."""

    serializer_class = PracticeRateSerializer
    permission_classes = [PracticeRolePermission]
    role_action = "fee_schedule"
    filterset_fields = ["practice", "billing_code", "modifier"]
    search_fields = ["billing_code__code"]
    ordering_fields = ["billing_code__code", "usual_rate"]

    def get_queryset(self):
        return selectors.practice_rates_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        # Refuse before validating: the body of someone who may not write is never looked at.
        if not selectors.billing_practice_ids(request.user):
            raise PermissionDenied("The fee schedule is edited by billing managers.")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = data.pop("practice")
        if not can(self.request.user, practice.pk, "fee_schedule"):
            raise PermissionDenied("The fee schedule is edited by billing managers.")
        serializer.instance = services.practice_rate_save(
            actor=self.request.user, practice=practice, **data
        )

    def perform_update(self, serializer):
        instance = serializer.instance
        serializer.instance = services.practice_rate_save(
            actor=self.request.user,
            practice=instance.practice,
            instance=instance,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.practice_rate_delete(actor=self.request.user, instance=instance)


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The signed-in user's notifications, newest first. POST ``{id}/read/`` marks one read."""

    serializer_class = NotificationSerializer
    filterset_fields = ["kind", "case"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_for(self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)


class ReportSummaryView(APIView):
    """GET ``reports/summary/`` (billing): cases by status, approval rate and median days to
    decision per insurer, achieved rate as a percent of requested, agreements expiring soon."""

    @extend_schema(
        parameters=[OpenApiParameter("practice", int, required=False)],
        responses={
            200: inline_serializer(
                "ReportSummary",
                fields={
                    "cases_by_status": serializers.DictField(child=serializers.IntegerField()),
                    "insurers": serializers.ListField(child=serializers.DictField()),
                    "achieved_rate_pct_of_requested": serializers.DecimalField(
                        10, 2, allow_null=True
                    ),
                    "agreements_expiring_30_days": serializers.ListField(
                        child=serializers.DictField()
                    ),
                },
            )
        },
    )
    def get(self, request):
        if not selectors.billing_practice_ids(request.user):
            raise PermissionDenied("Reports are for billing managers and administrators.")
        practice = request.query_params.get("practice")
        try:
            practice_id = int(practice) if practice else None
        except ValueError:
            return Response({"practice": ["A practice id is a number."]}, status=400)
        return Response(selectors.reports_summary(request.user, practice_id=practice_id))


def register(router) -> None:
    case = r"cases/(?P<case_pk>[0-9]{1,9})"
    router.register(f"{case}/offers", OfferViewSet, basename="case-offer")
    router.register(f"{case}/approve", ApproveViewSet, basename="case-approve")
    router.register(f"{case}/decline", DeclineViewSet, basename="case-decline")
    router.register(f"{case}/negotiation", NegotiationViewSet, basename="case-negotiation")
    router.register(f"{case}/contacts", ContactLogViewSet, basename="case-contact")
    router.register(f"{case}/utilization", UtilizationViewSet, basename="case-utilization")
    router.register("practice-rates", PracticeRateViewSet, basename="practice-rate")
    router.register("notifications", NotificationViewSet, basename="notification")
