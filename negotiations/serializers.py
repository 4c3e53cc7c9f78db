from rest_framework import serializers

from billing_codes.models import BillingCode
from cases.serializers import PracticeOwnedSerializer

from .models import ContactLog, Notification, Offer, OfferLine, PracticeRate, UtilizationEntry


class OfferLineSerializer(serializers.ModelSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)

    class Meta:
        model = OfferLine
        fields = ["billing_code", "code", "modifier", "rate", "units", "unit_period"]
        extra_kwargs = {"rate": {"required": True}}


class OfferSerializer(serializers.ModelSerializer):
    lines = OfferLineSerializer(many=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "party",
            "received_on",
            "channel",
            "rep_name",
            "reference_number",
            "status",
            "notes",
            "lines",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["status", "created_at"]
        extra_kwargs = {"received_on": {"required": False}}


class AcceptSerializer(serializers.Serializer):
    authorization_number = serializers.CharField(max_length=60)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    sessions_authorized = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000
    )


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ContactLogSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ContactLog
        fields = [
            "id",
            "at",
            "direction",
            "channel",
            "contact_name",
            "reference_number",
            "summary",
            "follow_up_on",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"at": {"required": False}}


class UtilizationEntrySerializer(serializers.ModelSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)

    class Meta:
        model = UtilizationEntry
        fields = [
            "id",
            "service_date",
            "billing_code",
            "code",
            "modifier",
            "units",
            "over_authorized",
            "created_at",
        ]
        read_only_fields = ["over_authorized", "created_at"]


class PracticeRateSerializer(PracticeOwnedSerializer):
    billing_code = serializers.PrimaryKeyRelatedField(queryset=BillingCode.objects.all())
    code = serializers.CharField(source="billing_code.code", read_only=True)

    class Meta:
        model = PracticeRate
        fields = [
            "id",
            "practice",
            "billing_code",
            "code",
            "modifier",
            "usual_rate",
            "floor_rate",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        validators = []


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "case", "kind", "message", "created_at", "read_at"]
        read_only_fields = fields
