"""The practice fee schedule's shape."""

from rest_framework import serializers

from billing_codes.models import BillingCode
from cases.serializers.tenancy import PracticeOwnedSerializer

from ..models.fee_schedule import PracticeRate
from ..services.fee_schedule import PRACTICE_RATE_FIELDS


class PracticeRateSerializer(PracticeOwnedSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)

    class Meta:
        model = PracticeRate
        fields = ["id", "practice", *PRACTICE_RATE_FIELDS, "code", "updated_at"]
        read_only_fields = ["updated_at"]
        validators: list[object] = []
