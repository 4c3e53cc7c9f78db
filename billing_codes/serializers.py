from typing import Any

from rest_framework import serializers

from .models import BillingCode, Modifier
from .services import BILLING_CODE_FIELDS, MODIFIER_FIELDS


class BillingCodeSerializer(serializers.ModelSerializer[BillingCode]):
    class Meta:
        model = BillingCode
        fields = ["id", *BILLING_CODE_FIELDS]
        # Uniqueness is checked by the service (and the database) after normalizing case.
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class ModifierSerializer(serializers.ModelSerializer[Modifier]):
    class Meta:
        model = Modifier
        fields = ["id", *MODIFIER_FIELDS]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}
