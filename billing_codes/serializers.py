from typing import Any

from rest_framework import serializers

from .models import BillingCode, Modifier


class BillingCodeSerializer(serializers.ModelSerializer[BillingCode]):
    class Meta:
        model = BillingCode
        fields = [
            "id", "code", "system", "short_description", "category", "unit_minutes", "is_aba",
            "typical_credential", "is_active",
        ]  # fmt: skip
        # Uniqueness is checked by the service (and the database) after normalizing case.
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class ModifierSerializer(serializers.ModelSerializer[Modifier]):
    class Meta:
        model = Modifier
        fields = ["id", "code", "description", "is_active"]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}
