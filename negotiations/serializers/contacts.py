"""The contact log's shape."""

from rest_framework import serializers

from ..models.contacts import ContactLog
from ..services.contacts import CONTACT_FIELDS


class ContactLogSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ContactLog
        fields = ["id", *CONTACT_FIELDS, "created_by", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"at": {"required": False}}
