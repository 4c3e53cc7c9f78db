"""The insurer directory, and a practice's rate policies and SCA contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cases.filters import RatePolicyFilter
from cases.models import ContactPurpose, Insurer, Practice
from cases.permissions import (
    PracticeRolePermission,
    ReferenceDataPermission,
    can,
    practice_ids_where,
)
from cases.selectors.reference import insurer_contacts_visible_to, rate_policies_visible_to
from cases.serializers.reference import (
    InsurerContactSerializer,
    InsurerSerializer,
    RatePolicyReviseSerializer,
    RatePolicySerializer,
)
from cases.services.common import as_data
from cases.services.reference import (
    ContactData,
    PolicyData,
    insurer_contact_create,
    insurer_contact_delete,
    insurer_contact_update,
    insurer_create,
    insurer_update,
    rate_policy_create,
    rate_policy_delete,
    rate_policy_revise,
    rate_policy_update,
)
from core.auth import signed_in_user

from .common import ModelViewSetBase
from .idempotency import IdempotentCreateMixin

if TYPE_CHECKING:
    from rest_framework.request import Request


class InsurerViewSet(IdempotentCreateMixin, viewsets.ModelViewSet):
    """The insurer directory, shared by every practice and maintained by the site's operators
    (Django staff with the insurer permissions); members of practices read it. DELETE archives:
    existing cases and clients keep the insurer, new cases may not name it."""

    serializer_class = InsurerSerializer
    permission_classes = [ReferenceDataPermission]
    queryset = Insurer.objects.all()
    filterset_fields = ["is_active"]
    search_fields = ["name", "payer_id", "behavioral_health_org"]
    ordering_fields = ["name"]

    def perform_create(self, serializer):
        serializer.instance = insurer_create(
            actor=signed_in_user(self.request), data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = insurer_update(
            insurer=serializer.instance,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )

    def perform_destroy(self, instance):
        insurer_update(
            insurer=instance, actor=signed_in_user(self.request), data={"is_active": False}
        )


class PracticeAdminWritesMixin(ModelViewSetBase):
    """Records a practice keeps for itself: its members read them, its administrators write
    them, and another practice's are not found (404)."""

    permission_classes = [PracticeRolePermission]
    role_action = "reference"
    refusal = "Only an administrator of the practice changes this."

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Refused before the body is read when the user administers no practice.
        if not practice_ids_where(request.user, "reference"):
            raise PermissionDenied(self.refusal)
        return super().create(request, *args, **kwargs)

    def checked_practice(self, data: dict[str, Any]) -> Practice:
        practice = data.pop("practice")
        if not can(self.request.user, practice.pk, "reference"):
            raise PermissionDenied(self.refusal)
        return practice


class RatePolicyViewSet(IdempotentCreateMixin, PracticeAdminWritesMixin, viewsets.ModelViewSet):
    """The practice's dated SCA rate policies per insurer and line of business, with their
    per-code rates. Periods of one practice, insurer and line of business never overlap.
    ``rates`` given on update replaces the policy's rates. DELETE of a policy a case was
    submitted under is refused (409 ``in_use``): end it with ``effective_to``, or ``revise``."""

    serializer_class = RatePolicySerializer
    idempotent_actions = ("create", "revise")  # a revision is a new policy
    filterset_class = RatePolicyFilter
    search_fields = ["insurer__name"]
    ordering_fields = ["effective_from", "insurer__name"]
    refusal = "Only an administrator of the practice changes its rate policies."

    def get_queryset(self):
        return rate_policies_visible_to(self.request.user).prefetch_related("rates__billing_code")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = self.checked_practice(data)
        insurer, rates = data.pop("insurer"), data.pop("rates", None)
        serializer.instance = rate_policy_create(
            actor=signed_in_user(self.request),
            practice=practice,
            insurer=insurer,
            data=as_data(data, PolicyData),
            rates=rates,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        rates = data.pop("rates", None)
        serializer.instance = rate_policy_update(
            policy=serializer.instance,
            actor=signed_in_user(self.request),
            data=as_data(data, PolicyData),
            rates=rates,
        )

    def perform_destroy(self, instance):
        rate_policy_delete(policy=instance, actor=signed_in_user(self.request))

    @extend_schema(request=RatePolicyReviseSerializer, responses={201: RatePolicySerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """New terms from ``effective_from`` on, for ``reason``: this policy ends the day
        before and a new one (its fields and rates, changed by the body) takes over."""
        policy = self.get_object()
        body = RatePolicyReviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        new = rate_policy_revise(
            policy=policy,
            actor=signed_in_user(request),
            effective_from=data.pop("effective_from"),
            reason=data.pop("reason"),
            rates=data.pop("rates", None),
            data=as_data(data, PolicyData),
        )
        fresh = self.get_queryset().get(pk=new.pk)
        return Response(RatePolicySerializer(fresh).data, status=status.HTTP_201_CREATED)


class InsurerContactViewSet(IdempotentCreateMixin, PracticeAdminWritesMixin, viewsets.ModelViewSet):
    """The practice's own SCA contact per insurer and purpose (``sca_request``, ``appeals``):
    letters and the insurer page use its filled fields before the directory's."""

    serializer_class = InsurerContactSerializer
    filterset_fields = ["practice", "insurer", "purpose"]
    search_fields = ["insurer__name", "department"]
    ordering_fields = ["insurer__name", "purpose"]
    refusal = "Only an administrator of the practice changes its insurer contacts."

    def get_queryset(self):
        return insurer_contacts_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        practice = self.checked_practice(data)
        insurer, purpose = data.pop("insurer"), data.pop("purpose", ContactPurpose.SCA_REQUEST)
        serializer.instance = insurer_contact_create(
            actor=signed_in_user(self.request),
            practice=practice,
            insurer=insurer,
            purpose=purpose,
            data=as_data(data, ContactData),
        )

    def perform_update(self, serializer):
        serializer.instance = insurer_contact_update(
            contact=serializer.instance,
            actor=signed_in_user(self.request),
            data=serializer.validated_data,
        )

    def perform_destroy(self, instance):
        insurer_contact_delete(contact=instance, actor=signed_in_user(self.request))
