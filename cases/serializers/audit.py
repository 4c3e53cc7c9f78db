"""The access log and the change history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import AccessLog
from cases.selectors.audit_log import subject_ids


class AccessLogSerializer(serializers.ModelSerializer):
    """One entry: who, where from, what, and the ids of the clients and cases the answer carried
    (``clients``, ``cases``: from the prefetched subjects). ``client`` and ``case`` name the one
    record of a single-record read (null for a list)."""

    username = serializers.CharField(source="user.username", read_only=True)
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    clients = serializers.SerializerMethodField()
    cases = serializers.SerializerMethodField()

    class Meta:
        model = AccessLog
        fields = [
            "id",
            "at",
            "user",
            "username",
            "practice",
            "action",
            "action_label",
            "route",
            "method",
            "ip",
            "user_agent",
            "object_type",
            "object_id",
            "client",
            "case",
            "clients",
            "cases",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_clients(self, entry: AccessLog) -> list[int]:
        return subject_ids(entry)[0]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_cases(self, entry: AccessLog) -> list[int]:
        return subject_ids(entry)[1]


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
