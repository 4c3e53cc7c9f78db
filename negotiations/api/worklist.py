"""The task list API: ``GET tasks/`` (``?view=mine|practice``, default mine; ``?kind=``, may
repeat; ``?practice=``), and per task (by its key ``<kind>:<id>:<due>``) ``POST
tasks/{key}/done/`` and ``POST tasks/{key}/snooze/`` with ``{"until": "YYYY-MM-DD"}``, or
the date in the path: ``POST tasks/{key}/snooze/{until}/`` (the issue's form). A key that
names no task of the user's practices is a 404; a snooze date not after today a 400 naming
``until``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.permissions import PracticeRolePermission
from cases.selectors.tenancy import practice_ids_for
from core.access import phi_read_cases
from core.auth import signed_in_user

from ..models.worklist import TaskState
from ..selectors.worklist import KINDS, PRACTICE, TASK_LIMIT, open_tasks
from ..serializers.worklist import (
    TaskListQuerySerializer,
    TaskSerializer,
    TaskSnoozeSerializer,
    TaskStateSerializer,
)
from ..services.worklist import task_done, task_snooze
from .common import SingleObjectSchema


class TaskViewSet(viewsets.GenericViewSet):
    """The open tasks of the user's practices, by due date: follow-ups due, appeal deadlines,
    agreements to renew, documents that failed, drafts untouched for a week, peer-to-peer
    reviews. Each names its case by id (no client data); the cases named are access-logged."""

    serializer_class = TaskSerializer
    schema = SingleObjectSchema()  # the list answers {"count", "results"}, not an array
    # Tasks are computed, not rows; this only tells the schema what ``{key}`` is (a TaskState's).
    queryset = TaskState.objects.none()
    permission_classes = [PracticeRolePermission]
    role_action = "case"  # every member marks tasks done and snoozes them
    lookup_field = "key"
    lookup_value_regex = r"[^/]{1,120}"
    pagination_class = None  # the tasks are computed, not a queryset; all are answered

    @extend_schema(
        parameters=[
            OpenApiParameter("view", str, enum=["mine", "practice"], required=False),
            OpenApiParameter("kind", str, enum=list(KINDS), many=True, required=False),
            OpenApiParameter("practice", int, required=False),
        ],
        responses={
            200: inline_serializer(
                "TaskList",
                fields={
                    "count": serializers.IntegerField(),
                    "more": serializers.BooleanField(),
                    "results": TaskSerializer(many=True),
                },
            )
        },
    )
    def list(self, request):
        query = TaskListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = signed_in_user(request)
        practice_ids = practice_ids_for(user)
        if "practice" in query.validated_data:
            practice_ids = [p for p in practice_ids if p == query.validated_data["practice"]]
        mine = None if query.validated_data.get("view") == PRACTICE else user
        kinds = query.validated_data.get("kind") or None
        tasks = open_tasks(practice_ids, mine=mine, kinds=kinds, limit=TASK_LIMIT)
        more, tasks = len(tasks) > TASK_LIMIT, tasks[:TASK_LIMIT]
        # The answer names these cases (by id): a read of them.
        phi_read_cases(request, {task.case.pk: task.case for task in tasks}.values())
        data = TaskSerializer(tasks, many=True, context={"request": request}).data
        return Response({"count": len(tasks), "more": more, "results": data})

    @extend_schema(request=None, responses={200: TaskStateSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, key=None):
        state = task_done(actor=signed_in_user(request), key=str(key))
        return Response(TaskStateSerializer(state).data)

    @extend_schema(request=TaskSnoozeSerializer, responses={200: TaskStateSerializer})
    @action(detail=True, methods=["post"])
    def snooze(self, request, key=None):
        body = TaskSnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._snooze(request, str(key), body.validated_data["until"])

    @extend_schema(
        request=None,
        responses={200: TaskStateSerializer},
        operation_id="v1_tasks_snooze_until_create",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"snooze/(?P<until>[^/]{1,20})",
        url_name="snooze_until",  # one basename ("task") for the route tests
    )
    def snooze_until(self, request, key=None, until=None):
        body = TaskSnoozeSerializer(data={"until": until})
        body.is_valid(raise_exception=True)
        return self._snooze(request, str(key), body.validated_data["until"])

    def _snooze(self, request, key, until):
        state = task_snooze(actor=signed_in_user(request), key=key, until=until)
        return Response(TaskStateSerializer(state).data)
