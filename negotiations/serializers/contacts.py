"""The contact log's shape: contacts and peer-to-peer reviews, and a review's later outcome."""

from rest_framework import serializers

from cases.models import Provider
from cases.serializers.common import related_field

from ..models.contacts import ContactLog
from ..selectors.contacts import providers_of
from ..services.contacts import (
    CONTACT_FIELDS,
    REVIEW_FIELDS,
    REVIEW_UPDATE_FIELDS,
    UNITS_APPROVED_MAX,
)


class _ReviewFields(serializers.ModelSerializer):
    """The treating provider is one of the case's practice (``context["case"]``): another
    practice's provider is not found (400 on the field)."""

    treating_provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.none(), required=False, allow_null=True
    )
    units_approved = serializers.IntegerField(
        min_value=0, max_value=UNITS_APPROVED_MAX, required=False, allow_null=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.context.get("case")
        if case is not None:
            related_field(self, "treating_provider").queryset = providers_of(case.practice_id)


class ContactLogSerializer(_ReviewFields):
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ContactLog
        fields = ["id", *CONTACT_FIELDS, *REVIEW_FIELDS, "created_by", "created_at"]
        read_only_fields = ["created_at"]
        # A review defaults to an outbound phone call; a contact without them is refused by
        # the service, by field.
        extra_kwargs = {
            "at": {"required": False},
            "direction": {"required": False},
            "channel": {"required": False},
        }


# What a contact was logged with and a review keeps: named in a refusal when sent to PATCH.
LOCKED_FIELDS = {"kind", *CONTACT_FIELDS} - set(REVIEW_UPDATE_FIELDS)


class ReviewUpdateSerializer(_ReviewFields):
    """``PATCH cases/{id}/contacts/{contact_id}/``: a review's outcome, facts and time; any
    other field of the log is refused by name (a contact is a record, not a draft)."""

    class Meta:
        model = ContactLog
        fields = REVIEW_UPDATE_FIELDS

    def validate(self, attrs):
        locked = sorted(set(self.initial_data) & LOCKED_FIELDS)
        if locked:
            raise serializers.ValidationError(
                {name: ["This cannot be changed once logged."] for name in locked}
            )
        return attrs
