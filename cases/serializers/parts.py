"""What a case is made of: requested services, in-network searches and consents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from billing_codes.models import BillingCode
from cases.models import Consent, NetworkSearch, RequestedService
from cases.services.parts import CONSENT_FIELDS, SEARCH_FIELDS, SERVICE_FIELDS

if TYPE_CHECKING:
    from rest_framework.validators import Validator


class RequestedServiceSerializer(serializers.ModelSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)
    description = serializers.CharField(source="billing_code.short_description", read_only=True)

    class Meta:
        model = RequestedService
        fields = ["id", *SERVICE_FIELDS, "code", "description"]
        validators: list[Validator[Any]] = []


class NetworkSearchSerializer(serializers.ModelSerializer):
    class Meta:
        model = NetworkSearch
        fields = ["id", *SEARCH_FIELDS, "created_at"]
        read_only_fields = ["created_at"]


class ConsentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(required=False, write_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = ["id", *CONSENT_FIELDS, "file", "has_file", "created_at"]
        read_only_fields = ["created_at"]

    def get_has_file(self, obj) -> bool:
        return bool(obj.file)
