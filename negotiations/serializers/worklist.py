"""A task's shape in the API (read-only), and the snooze's input.

A task names its case by id, its insurer and assignee; never its client (the case's own
detail, logged, is one request away)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from ..selectors.worklist import KINDS, Task


class TaskAssigneeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class TaskSerializer(serializers.Serializer):
    # "id" is the key: a task has no row of its own, and its key is its one name.
    id = serializers.CharField(source="key")
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=list(KINDS.items()))
    kind_label = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    practice = serializers.IntegerField(source="practice_id")
    case = serializers.IntegerField(source="case.pk")
    case_number = serializers.SerializerMethodField()
    insurer_name = serializers.CharField(source="case.insurer.name")
    assignee = TaskAssigneeSerializer(allow_null=True)

    def get_overdue(self, task: Task) -> bool:
        today = self.context.get("today") or timezone.localdate()
        return task.overdue(today)

    def get_case_number(self, task: Task) -> str:
        return f"SCA #{task.case.pk}"


class TaskStateSerializer(serializers.Serializer):
    """What marking done or snoozing answers: the task's state for its practice."""

    key = serializers.CharField()
    done_at = serializers.DateTimeField(allow_null=True)
    snoozed_until = serializers.DateField(allow_null=True)


class TaskSnoozeSerializer(serializers.Serializer):
    until = serializers.DateField(
        help_text="The day the task shows again (after today); YYYY-MM-DD."
    )


class TaskListQuerySerializer(serializers.Serializer):
    view = serializers.ChoiceField(choices=["mine", "practice"], default="mine", required=False)
    kind = serializers.MultipleChoiceField(choices=list(KINDS), required=False)
    practice = serializers.IntegerField(required=False, min_value=1, max_value=999_999_999)

    def to_internal_value(self, data: Any) -> Any:
        # A QueryDict: ``kind`` may repeat (?kind=follow_up&kind=renewal).
        if hasattr(data, "getlist"):
            data = {**data.dict(), "kind": data.getlist("kind")} if "kind" in data else data.dict()
        return super().to_internal_value(data)
