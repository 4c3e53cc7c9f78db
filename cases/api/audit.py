"""Audit: the change history and the access log for practice administrators, and the history
of the shared directory and catalog for the site's operators."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import APIView

from cases.models import (
    AccessLog,
)
from cases.permissions import is_operator
from cases.selectors.audit import (
    AUDITED,
    OPERATORS,
    admin_practice_ids,
    author_name,
    history_rows,
    previous_records,
)
from cases.serializers.audit import AccessLogSerializer, ChangeRecordPageSerializer
from core.api import Pagination


class AccessLogFilter(filters.FilterSet):
    date_from = filters.DateFilter(field_name="at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AccessLog
        fields = ["user", "client", "case", "action", "practice"]


class AccessLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reads of patient data in the administrator's practices (append-only, newest first)."""

    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilter
    ordering_fields = ["at"]
    search_fields: list[str] = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AccessLog.objects.none()
        ids = admin_practice_ids(self.request.user)
        if not ids:
            raise PermissionDenied("The audit is for administrators.")
        return AccessLog.objects.filter(practice_id__in=ids).select_related("user")


def _value(v: object) -> str | None:
    return None if v is None else str(v)


class ChangeHistoryView(APIView):
    """Who changed what and when, for one kind of record (``model``): a practice's records for
    its administrators, never another practice's; the insurer directory and the billing-code
    catalog for the site's operators. Filters: ``user``, ``client``, ``date_from``, ``date_to``;
    ``object`` for one record."""

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
