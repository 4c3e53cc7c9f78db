"""SCA cases: the list, one case, its writes and lifecycle actions (filing an appeal among
them), readiness, its timeline."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cases.filters import CaseFilter, CaseSearchFilter
from cases.models import AccessAction, CaseEvent
from cases.permissions import PracticeRolePermission, allowed_actions, can
from cases.selectors.case import case_detail_for, case_list_for
from cases.selectors.readiness import case_readiness
from cases.serializers.appeals import (
    AppealFiledSerializer,
    AppealFileSerializer,
    DenySerializer,
    appeal_filed_data,
)
from cases.serializers.case import (
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseListSerializer,
    CaseWriteSerializer,
    ReadinessSerializer,
    ReasonSerializer,
    SubmitSerializer,
    case_rows,
    case_rows_in_order,
)
from cases.services.appeals import appeal_file, case_deny
from cases.services.case import (
    CaseData,
    case_create,
    case_update,
    case_withdraw,
)
from cases.services.common import as_data
from cases.services.renewal import case_renew
from cases.services.submissions import case_submit
from core.access import LogsPhiReads, phi_read_cases
from core.api import FilterBackend
from core.auth import signed_in_user

from .common import CaseChildMixin
from .idempotency import IdempotentCreateMixin
from .search import SearchInBody, TermsFromBody, search_body, search_page, search_responses


class CaseBodySearch(TermsFromBody, CaseSearchFilter):
    """The case search (client name and member id prefixes, the insurer's numbers), its
    words from the search body."""


ORDERING_FIELDS = [
    "created_at",
    "updated_at",
    "submitted_at",
    "decided_at",
    "planned_start_date",
    "requested_start",
    "follow_up_on",
    "status",
    "client__last_name",
    "insurer__name",
]
CaseSearch = search_body(
    "CaseSearch",
    CaseFilter,
    ORDERING_FIELDS,
    "A case search: ``q`` matches the start of the client's first name, last name or member "
    "id, or the insurer's reference or authorization number exactly (every word must match); "
    "the case list's filters and ordering, and the page.",
)
CaseSearchPage = search_page("CaseSearchPage", CaseListSerializer)


# Actions a person takes (expire is the scheduler's), and the role each needs.
class CaseViewSet(
    IdempotentCreateMixin,
    LogsPhiReads,
    SearchInBody,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """SCA cases. Updates carry ``version``; a stale one gets 409 ``stale_version``.
    A search (client name, member id, the insurer's numbers) is a POST to ``cases/search/``:
    ``?search=`` is refused (400 ``search_in_url``), names stay out of URLs. Reads of cases
    are access-logged."""

    permission_classes = [PracticeRolePermission]
    # POSTs that make a record: a case, an appeal, a renewal (a new draft).
    idempotent_actions = ("create", "appeal", "renew")
    # The least role per action (ACTION_ROLES): filing an appeal is billing's; the rest of
    # the case's writes are staff's.
    role_action = {
        "submit": "submit",
        "deny": "deny",
        "withdraw": "withdraw",
        "renew": "renew",
        "appeal": "appeal",
        "default": "case",
    }
    filterset_class = CaseFilter
    # No search backend: the search is ``search`` below, its text in the body.
    filter_backends = [FilterBackend, OrderingFilter]
    body_search_class = CaseBodySearch
    ordering_fields = ORDERING_FIELDS
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if self.action == "list":
            return case_list_for(self.request.user)
        if self.action == "retrieve":
            return case_detail_for(self.request.user)
        return case_list_for(self.request.user)

    def load_page_rows(self, ids) -> dict[int, dict]:
        return case_rows(ids)

    def load_page_rows_in_order(self, queryset) -> list[dict]:
        return case_rows_in_order(queryset)

    def phi_subject(self, row) -> tuple[int | None, int | None, int | None]:
        # A list's or a search's row (case_rows: a dict) or the case get_object found.
        if isinstance(row, dict):
            return row["practice"], row["client"], row["id"]
        return row.practice_id, row.client_id, row.pk

    def list(self, request, *args, **kwargs):
        # The paginator finds the page's ids under every filter; case_rows builds the rows.
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(rows)

    @extend_schema(request=CaseSearch, responses=search_responses(CaseSearchPage))
    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    def search(self, request):
        """Search the cases; the list's filters apply too. Answers a page of the list's rows
        with ``next_page``/``previous_page`` numbers (POST the same body with that ``page``).
        A read: every role may search."""
        return self.search_answer(CaseSearch)

    def search_rows(self, rows: Any) -> Any:
        return rows  # case_rows: already the list's rows

    def get_serializer_class(self):
        if self.action in ("list", "search"):
            return CaseListSerializer
        if self.action in ("create", "update", "partial_update"):
            return CaseWriteSerializer
        return CaseDetailSerializer

    def _detail(self, case_id: int, code=status.HTTP_200_OK) -> Response:
        case = case_detail_for(self.request.user).get(pk=case_id)
        # Every answer with the case's detail (a read, an update, an action) is a read of it.
        phi_read_cases(self.request, [case])
        data = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        data["allowed_actions"] = allowed_actions(case, self.request.user)
        return Response(data, status=code)

    def retrieve(self, request, *args, **kwargs):
        self.phi_action = AccessAction.VIEW_CASE  # get_object notes the read
        case = self.get_object()
        data = self.get_serializer(case).data
        data["allowed_actions"] = allowed_actions(case, request.user)
        return Response(data)

    @extend_schema(request=CaseWriteSerializer, responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CaseWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can(request.user, data["practice"].pk, "case"):
            raise PermissionDenied("Your role in this practice does not allow this.")
        data = dict(data)
        practice = data.pop("practice")
        confirm_duplicate = bool(data.pop("confirm_duplicate", False))
        case = case_create(
            actor=signed_in_user(request),
            practice=practice,
            data=as_data(data, CaseData),
            confirm_duplicate=confirm_duplicate,
        )
        return self._detail(case.pk, status.HTTP_201_CREATED)

    @extend_schema(request=CaseWriteSerializer, responses={200: CaseDetailSerializer})
    def update(self, request, *args, **kwargs):
        case = self.get_object()
        serializer = CaseWriteSerializer(
            case,
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        case_update(
            case_id=case.pk,
            actor=signed_in_user(request),
            version=version,
            data=as_data(data, CaseData),
        )
        return self._detail(case.pk)

    @extend_schema(request=SubmitSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Run the readiness checks and submit; every failing check comes back at once."""
        case = self.get_object()
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case_submit(case_id=case.pk, actor=signed_in_user(request), **body.validated_data)
        return self._detail(case.pk)

    @extend_schema(request=DenySerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        """Record the insurer's denial: its category, the day received (appeal deadlines
        count from it), its wording and where appeals go."""
        case = self.get_object()
        body = DenySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case_deny(case_id=case.pk, actor=signed_in_user(request), **body.validated_data)
        return self._detail(case.pk)

    @extend_schema(request=AppealFileSerializer, responses={201: AppealFiledSerializer})
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        """File a level of appeal of the denied case (billing). Answers the appeal with its
        ``warnings``: a late appeal is allowed and flagged ``appeal_late``. 409
        ``invalid_transition`` (not denied), ``appeal_level_used``, ``not_appealable``."""
        case = self.get_object()
        body = AppealFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal, warnings = appeal_file(
            case_id=case.pk, actor=signed_in_user(request), **body.validated_data
        )
        return Response(appeal_filed_data(appeal, warnings), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses={200: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        case = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case_withdraw(case_id=case.pk, actor=signed_in_user(request), **body.validated_data)
        return self._detail(case.pk)

    @extend_schema(request=None, responses={201: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Start the renewal: a new draft linked to this case."""
        case = self.get_object()
        new = case_renew(case_id=case.pk, actor=signed_in_user(request))
        return self._detail(new.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={200: ReadinessSerializer})
    @action(detail=True, methods=["get"])
    def readiness(self, request, pk=None):
        case = self.get_object()
        return Response(case_readiness(case).as_dict())


class CaseEventViewSet(CaseChildMixin, viewsets.ReadOnlyModelViewSet):
    """The case's timeline, oldest first."""

    serializer_class = CaseEventSerializer
    filter_backends = []

    queryset = CaseEvent.objects.none()

    def child_queryset(self, case):
        return case.events.select_related("actor")
