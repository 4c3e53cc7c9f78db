"""Audit: the change history and the access log for practice administrators, and the history
of the shared directory and catalog for the site's operators."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import APIView

from billing_codes.models import BillingCode, Modifier
from cases.models import (
    AccessLog,
    Case,
    Client,
    Insurer,
    InsurerContact,
    PolicyRate,
    Provider,
    RatePolicy,
)
from cases.permissions import is_operator
from cases.selectors.audit import admin_practice_ids, author_name
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


# model name -> (model, how its history rows reach the practice, how they reach the client).
# OPERATORS as the practice path: shared data, whose history only the site's operators read.
OPERATORS = "operators"
# Any: the models' ``history`` managers (and so their rows) are added by simple_history at run
# time, which ships no types.
AUDITED: dict[str, tuple[Any, str | None, str | None]] = {
    "case": (Case, "practice_id", "client_id"),
    "client": (Client, "practice_id", "id"),
    "provider": (Provider, "practice_id", None),
    "rate_policy": (RatePolicy, "practice_id", None),
    # A rate's rows reach the practice through its policy's history (deleted policies too).
    "policy_rate": (PolicyRate, "policy_id", None),
    "insurer_contact": (InsurerContact, "practice_id", None),
    "insurer": (Insurer, OPERATORS, None),
    "billing_code": (BillingCode, OPERATORS, None),
    "modifier": (Modifier, OPERATORS, None),
}


def register_audited(
    name: str, model: Any, practice_path: str | None, client_path: str | None
) -> None:
    """negotiations adds offers and agreements at start-up (cases never imports it)."""
    AUDITED[name] = (model, practice_path, client_path)


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
        rows = model.history.select_related("history_user").order_by("-history_date", "-history_id")
        if practice_path == OPERATORS:
            if not operator:
                raise PermissionDenied(
                    "The directory's and the catalog's history is for the site's operators."
                )
        elif not ids:
            raise PermissionDenied("A practice's history is for its administrators.")
        elif practice_path == "policy_id":
            # The practice's policies, and those it deleted (known from their history).
            live = RatePolicy.objects.filter(practice_id__in=ids).values("id")
            deleted = RatePolicy.history.filter(practice_id__in=ids).values("id")
            rows = rows.filter(Q(policy_id__in=live) | Q(policy_id__in=deleted))
        else:
            rows = rows.filter(**{f"{practice_path}__in": ids})
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
        results = []
        for record in page:
            changes = []
            previous = record.prev_record
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
