"""A practice's clients and providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from cases.models import Client, Insurer, Provider
from cases.services.people import CLIENT_FIELDS, PROVIDER_FIELDS
from cases.validators import MAX_DIAGNOSIS_CODES

from .tenancy import PracticeOwnedSerializer

if TYPE_CHECKING:
    from rest_framework.validators import Validator


class ClientSerializer(PracticeOwnedSerializer):
    # A client keeps an insurer archived since; the service refuses giving it one.
    insurer = serializers.PrimaryKeyRelatedField(
        queryset=Insurer.objects.all(), required=False, allow_null=True
    )
    insurer_name = serializers.CharField(
        source="insurer.name", read_only=True, default=None, allow_null=True
    )
    diagnosis_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, max_length=MAX_DIAGNOSIS_CODES
    )
    confirm_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        help_text="Create even though the practice has a client with the same insurer, member "
        "id and date of birth (otherwise 409 `duplicate_client`, naming it in "
        "`existing_client`). Ignored on update.",
    )

    class Meta:
        model = Client
        fields = [
            "id",
            "practice",
            *CLIENT_FIELDS,
            "insurer_name",
            "created_at",
            "updated_at",
            "confirm_duplicate",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None:
            attrs.pop("confirm_duplicate", None)  # a create's question only
        return attrs


class ProviderSerializer(PracticeOwnedSerializer):
    class Meta:
        model = Provider
        fields = ["id", "practice", *PROVIDER_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # The (practice, npi) rule is checked by the model with a clear message.
        validators: list[Validator[Any]] = []
