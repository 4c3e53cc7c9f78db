"""A notification's shape (read-only)."""

from rest_framework import serializers

from ..models.reminders import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "case", "kind", "message", "created_at", "read_at"]
        read_only_fields = fields
