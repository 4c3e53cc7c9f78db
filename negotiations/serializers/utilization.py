"""A utilization entry's shape."""

from rest_framework import serializers

from billing_codes.models import BillingCode

from ..models.utilization import UtilizationEntry
from ..services.utilization import (
    UTILIZATION_FIELDS,
    UTILIZATION_UNITS_MAX,
    UTILIZATION_UNITS_MIN,
)


class UtilizationEntrySerializer(serializers.ModelSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)
    # Past the authorized units the answer is 409 ``over_authorized`` unless this says the
    # person knows (services.utilization.utilization_record).
    confirm_over_authorized = serializers.BooleanField(
        write_only=True, required=False, default=False
    )

    class Meta:
        model = UtilizationEntry
        fields = [
            "id",
            *UTILIZATION_FIELDS,
            "code",
            "over_authorized",
            "confirm_over_authorized",
            "created_at",
        ]
        read_only_fields = ["over_authorized", "created_at"]
        extra_kwargs = {
            "units": {"min_value": UTILIZATION_UNITS_MIN, "max_value": UTILIZATION_UNITS_MAX}
        }
