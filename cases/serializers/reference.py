"""The insurer directory, a practice's rate policies with their rates, and its SCA contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from billing_codes.models import BillingCode
from cases.models import Insurer, InsurerContact, PolicyRate, RatePolicy
from cases.services.reference import (
    CONTACT_FIELDS,
    INSURER_FIELDS,
    POLICY_FIELDS,
    REASON_MAX_LENGTH,
    REVISED_FIELDS,
)

from .tenancy import PracticeOwnedSerializer

if TYPE_CHECKING:
    from rest_framework.validators import Validator


class InsurerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Insurer
        fields = ["id", *INSURER_FIELDS]


class PolicyRateSerializer(serializers.ModelSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)

    class Meta:
        model = PolicyRate
        fields = [
            "id",
            "billing_code",
            "code",
            "modifier",
            "highest_network_rate",
            "reference_rate",
        ]
        read_only_fields = ["id"]
        validators: list[Validator[Any]] = []


class RatePolicySerializer(PracticeOwnedSerializer):
    """A practice's policy. ``practice`` and ``insurer`` are set on create and never change."""

    insurer = serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all())
    insurer_name = serializers.CharField(source="insurer.name", read_only=True)
    rates = PolicyRateSerializer(many=True, required=False)

    class Meta:
        model = RatePolicy
        fields = [
            "id",
            "practice",
            "insurer",
            "insurer_name",
            *POLICY_FIELDS,
            "rates",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("insurer", None)
        return super().validate(attrs)


class RatePolicyReviseSerializer(serializers.ModelSerializer):
    """New terms from a date on: the fields given replace the policy's, the rest carry over;
    ``rates``, when given, replace its rates (else they are copied)."""

    effective_from = serializers.DateField()
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
    rates = PolicyRateSerializer(many=True, required=False)

    class Meta:
        model = RatePolicy
        fields = ["effective_from", "reason", *REVISED_FIELDS, "rates"]
        extra_kwargs = {name: {"required": False} for name in REVISED_FIELDS}


class InsurerContactSerializer(PracticeOwnedSerializer):
    """A practice's own SCA contact at an insurer, used before the directory's defaults."""

    insurer = serializers.PrimaryKeyRelatedField(queryset=Insurer.objects.all())
    insurer_name = serializers.CharField(source="insurer.name", read_only=True)

    class Meta:
        model = InsurerContact
        fields = [
            "id",
            "practice",
            "insurer",
            "insurer_name",
            "purpose",
            *CONTACT_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # One per (practice, insurer, purpose): the model says so by name.
        validators: list[Validator[Any]] = []

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("insurer", None)
            attrs.pop("purpose", None)
        return super().validate(attrs)
