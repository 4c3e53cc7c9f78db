"""Audit: the change history and the access log for practice administrators, and the history
of the shared directory and catalog for the site's operators.

Reading the change history is itself a read of patient data (a client's or case's changed
fields) and is logged ("view_history"); reading the access log is not (see
``cases.selectors.audit_log``)."""

from __future__ import annotations

import csv
import io
from typing import Any

import django_filters as filters
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, renderers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.views import APIView

from cases.models import AccessAction, AccessLog
from cases.permissions import is_operator
from cases.selectors.audit import (
    AUDITED,
    OPERATORS,
    admin_practice_ids,
    author_name,
    history_rows,
    history_subjects,
    previous_records,
)
from cases.selectors.audit_log import (
    AccessLogQuery,
    access_log_csv_lines,
    access_log_of,
    filter_access_log,
)
from cases.serializers.audit import AccessLogSerializer, ChangeRecordPageSerializer
from core.access import phi_read
from core.api import MAX_ID, FilterBackend, JSONRenderer, Pagination


class AccessLogFilter(filters.FilterSet):
    """The API's filters, applied by the selector the page uses too. ``client`` and ``case``
    match every entry whose answer carried them (a list's page too)."""

    user = filters.NumberFilter(min_value=1, max_value=MAX_ID)
    practice = filters.NumberFilter(min_value=1, max_value=MAX_ID)
    client = filters.NumberFilter(min_value=1, max_value=MAX_ID)
    case = filters.NumberFilter(min_value=1, max_value=MAX_ID)
    action = filters.ChoiceFilter(choices=AccessAction.choices)
    route = filters.CharFilter(max_length=100)
    date_from = filters.DateFilter()
    date_to = filters.DateFilter()

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data

        def number(name: str) -> int | None:
            return None if data.get(name) is None else int(data[name])

        query = AccessLogQuery(
            user_id=number("user"),
            practice_id=number("practice"),
            client_id=number("client"),
            case_id=number("case"),
            action=data.get("action") or "",
            route=data.get("route") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        return filter_access_log(queryset, query)


class CSVRenderer(renderers.BaseRenderer):
    """For ``Accept: text/csv`` on the export: the export itself streams past renderers; a
    refusal (403, 400) is rendered as a two-column CSV of its fields."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["field", "message"])
        for key, value in (data or {}).items():
            for message in value if isinstance(value, list) else [value]:
                writer.writerow([key, str(message)])
        return out.getvalue().encode()


class AccessLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reads of patient data in the administrator's practices (append-only, newest first), and
    their CSV export (``export/``) under the same filters. For administrators only (403), of
    their own practices only. Not logged itself: it shows ids, never patient data."""

    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilter
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AccessLog.objects.none()
        ids = admin_practice_ids(self.request.user)
        if not ids:
            raise PermissionDenied("The audit is for administrators.")
        return access_log_of(ids)

    def load_page_rows_in_order(self, queryset) -> list[AccessLog]:
        """A shallow page in one query, plus one for its subjects (``core.api.fetch_page``)."""
        return list(queryset)

    @extend_schema(
        filters=True,
        # Chosen by the Accept header (or none): ``?format=`` is not part of the contract.
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        description="The filtered entries as CSV (at most 100,000 rows, newest first): at, "
        "user, practice, action, route, method, ip, user agent, clients, cases (ids "
        "separated by spaces).",
    )
    @action(detail=False, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def export(self, request):
        entries = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(
            access_log_csv_lines(entries), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response


def _value(v: object) -> str | None:
    return None if v is None else str(v)


class ChangeHistoryView(APIView):
    """Who changed what and when, for one kind of record (``model``): a practice's records for
    its administrators, never another practice's; the insurer directory and the billing-code
    catalog for the site's operators. Filters: ``user``, ``client``, ``date_from``, ``date_to``;
    ``object`` for one record.

    A practice's history is a read of patient data: each read is logged ("view_history"), one
    entry per practice administered, with the clients (and cases) of the page's rows as its
    subjects (none for kinds without a client: providers, policies, contacts). The shared
    directory's and catalog's history holds no patient data and is not logged."""

    @extend_schema(
        parameters=[
            OpenApiParameter("model", str, required=True, enum=sorted(AUDITED)),
            OpenApiParameter("object", int),
            OpenApiParameter("user", int),
            OpenApiParameter("client", int),
            OpenApiParameter("date_from", str),
            OpenApiParameter("date_to", str),
            OpenApiParameter("page", int),
        ],
        responses={200: ChangeRecordPageSerializer},
    )
    def get(self, request):
        ids = admin_practice_ids(request.user)
        operator = is_operator(request.user, perm=None)
        if not ids and not operator:
            raise PermissionDenied("The audit is for administrators.")
        name = request.query_params.get("model", "")
        if name not in AUDITED:
            raise ValidationError({"model": [f"Choose one of {', '.join(sorted(AUDITED))}."]})
        model, practice_path, client_path = AUDITED[name]
        if practice_path == OPERATORS:
            if not operator:
                raise PermissionDenied(
                    "The directory's and the catalog's history is for the site's operators."
                )
        elif not ids:
            raise PermissionDenied("A practice's history is for its administrators.")
        rows = history_rows(name, practice_ids=ids)
        params = request.query_params
        try:
            if params.get("object"):
                rows = rows.filter(id=int(params["object"]))
            if params.get("user"):
                rows = rows.filter(history_user_id=int(params["user"]))
            if params.get("client"):
                if not client_path:
                    raise ValidationError({"client": [f"{name} records have no client."]})
                rows = rows.filter(**{client_path: int(params["client"])})
        except ValueError:
            raise ValidationError({"detail": ["object, user and client are numbers."]}) from None
        date_filter = filters.DateFilter()
        for key, lookup in (("date_from", "gte"), ("date_to", "lte")):
            if params.get(key):
                try:
                    value = date_filter.field.clean(params[key])
                except Exception:
                    raise ValidationError({key: ["Use a date as YYYY-MM-DD."]}) from None
                rows = rows.filter(**{f"history_date__date__{lookup}": value})
        paginator = Pagination()
        page: list[Any] = paginator.paginate_queryset(rows, request, view=self)  # history rows
        if practice_path != OPERATORS:
            # The reading is logged: an entry per practice read (none of the rows may be about
            # a client: then it has no subjects), with the clients and cases the rows are of.
            for practice_id in ids:
                phi_read(request, practice_id=practice_id, action=AccessAction.VIEW_HISTORY)
            for practice_id, pairs in history_subjects(name, page).items():
                phi_read(
                    request, practice_id=practice_id, pairs=pairs, action=AccessAction.VIEW_HISTORY
                )
        previous_of = previous_records(model, page)
        results = []
        for record in page:
            changes = []
            previous = previous_of.get(record.history_id)
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(previous)
                changes = [
                    {"field": c.field, "old": _value(c.old), "new": _value(c.new)}
                    for c in delta.changes
                ]
            results.append(
                {
                    "history_id": record.history_id,
                    "model": name,
                    "object_id": record.id,
                    "action": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                    "at": record.history_date,
                    "user": record.history_user.username if record.history_user else None,
                    "user_name": author_name(record.history_user),
                    "reason": record.history_change_reason or None,
                    "changes": changes,
                }
            )
        return paginator.get_paginated_response(results)
