"""The access log and the change history."""

from __future__ import annotations

from rest_framework import serializers

from cases.models import AccessLog


class AccessLogSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = AccessLog
        fields = [
            "id",
            "at",
            "user",
            "username",
            "action",
            "object_type",
            "object_id",
            "client",
            "case",
        ]
        read_only_fields = fields


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class ChangeRecordSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    model = serializers.CharField()
    object_id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    user_name = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    changes = ChangeSerializer(many=True)


class ChangeRecordPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ChangeRecordSerializer(many=True)
