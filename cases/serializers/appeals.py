"""The insurer's denial and the appeals against it: the deny body, filing a level, its
decision, an appeal as the API shows it, and what may be filed next."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from cases.models import Appeal, AppealOutcome, DenialCategory
from cases.selectors.appeals import AppealOption
from cases.selectors.readiness_rules import Check
from cases.services.appeals import (
    APPEAL_ADDRESS_MAX_LENGTH,
    APPEAL_FIELDS,
    DECIDE_OUTCOMES,
    DENY_FIELDS,
)
from cases.services.case import DECISION_REASON_MAX_LENGTH


class DenySerializer(serializers.Serializer):
    """``deny``: the denial's category, the day the practice received it (default today; not
    in the future, not before the submission: the service says so on ``received_on``), the
    insurer's wording and the address the denial names for appeals."""

    reason_category = serializers.ChoiceField(choices=DenialCategory.choices)
    received_on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=DECISION_REASON_MAX_LENGTH)
    appeal_address = serializers.CharField(
        max_length=APPEAL_ADDRESS_MAX_LENGTH, required=False, allow_blank=True
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # The fields are the service's (DENY_FIELDS), in its order: a name it drops or adds
        # fails here, not in production.
        fields = super().get_fields()
        return {name: fields[name] for name in DENY_FIELDS}


class AppealFileSerializer(serializers.ModelSerializer):
    """Filing a level: ``level`` (the client's line of business decides which may be filed
    now), ``filed_on`` (default today), ``channel``, the insurer's ``reference``,
    ``expedited`` (urgent care: decided within 72 hours) and ``notes``."""

    class Meta:
        model = Appeal
        fields = APPEAL_FIELDS
        extra_kwargs = {"filed_on": {"required": False}}


# What ``decide`` records (its schema's enum is named in SPECTACULAR_SETTINGS).
DECIDE_CHOICES = [(o.value, o.label) for o in AppealOutcome if o in DECIDE_OUTCOMES]


class AppealDecideSerializer(serializers.ModelSerializer):
    """The insurer upheld the denial at this level (``upheld``), or the practice withdrew it
    (``withdrawn``). An overturned denial is recorded by approving the case or recording the
    insurer's offer."""

    outcome = serializers.ChoiceField(choices=DECIDE_CHOICES)

    class Meta:
        model = Appeal
        fields = ["outcome", "decided_on", "notes"]
        extra_kwargs = {"decided_on": {"required": False}, "notes": {"required": False}}


class AppealSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "level",
            "level_display",
            "filed_on",
            "channel",
            "reference",
            "expedited",
            "due_on",
            "late",
            "decided_on",
            "outcome",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class AppealWarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    detail = serializers.CharField()


class AppealFiledSerializer(AppealSerializer):
    """The appeal just filed, with what to know about it: ``appeal_late``,
    ``authorized_representative_missing``, ``continuation_of_benefits``."""

    warnings = AppealWarningSerializer(many=True, read_only=True)

    class Meta(AppealSerializer.Meta):
        fields = [*AppealSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


def appeal_filed_data(appeal: Appeal, warnings: list[Check]) -> dict[str, Any]:
    data: dict[str, Any] = dict(AppealSerializer(appeal).data)
    data["warnings"] = [
        {"code": w.code, "severity": w.severity, "detail": w.detail} for w in warnings
    ]
    return data


# A level that may be filed now, with its deadline; ``optional`` when it may be skipped (a
# commercial plan's second internal level). Built inline: a declared field named ``label``
# would shadow the serializer's own.
APPEAL_OPTIONS_SCHEMA = inline_serializer(
    "AppealOption",
    many=True,
    fields={
        "level": serializers.CharField(),
        "label": serializers.CharField(),
        "due_on": serializers.DateField(),
        "optional": serializers.BooleanField(),
    },
)


def appeal_options_data(options: list[AppealOption]) -> list[dict[str, Any]]:
    return [
        {"level": o.level, "label": o.label, "due_on": o.due_on.isoformat(), "optional": o.optional}
        for o in options
    ]
