"""The offers' shapes: an offer with its lines, and the decline's reason."""

from rest_framework import serializers

from billing_codes.models import BillingCode

from ..models.offers import Offer, OfferLine
from ..services.offers import (
    DECLINE_REASON_MAX_LENGTH,
    OFFER_FIELDS,
    OFFER_LINE_UNITS_MAX,
    OFFER_LINE_UNITS_MIN,
)


class OfferLineSerializer(serializers.ModelSerializer):
    """The rate's digits, cents and minimum come from the model field (the desk's
    OfferLineForm reads the same field); the units' bounds from the service. A line is a rate
    per unit (``expressed_as: rate``, the default) or a ``percent`` of a base rate (the other
    RateBasis values, without a ``rate``): the service converts it and answers both."""

    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)

    class Meta:
        model = OfferLine
        fields = [
            "billing_code",
            "code",
            "modifier",
            "rate",
            "expressed_as",
            "percent",
            "units",
            "unit_period",
        ]
        extra_kwargs = {
            # Required with the rate basis, refused with a percent one (the service says so
            # naming the line: lines[0].rate).
            "rate": {"required": False, "allow_null": True},
            "units": {"min_value": OFFER_LINE_UNITS_MIN, "max_value": OFFER_LINE_UNITS_MAX},
        }


class OfferSerializer(serializers.ModelSerializer):
    lines = OfferLineSerializer(many=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Offer
        fields = ["id", "party", *OFFER_FIELDS, "status", "lines", "created_by", "created_at"]
        read_only_fields = ["status", "created_at"]
        extra_kwargs = {"received_on": {"required": False}}


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=DECLINE_REASON_MAX_LENGTH)
