"""API plumbing shared by every app: pagination and the one error mapping."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.db.models import ProtectedError
from django_filters import FilterSet, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import renderers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError

logger = logging.getLogger(__name__)


MAX_PAGE = 1_000_000  # keeps OFFSET within the database's integer range


def _related_paths(tree: dict, prefix: str = "") -> list[str]:
    """select_related's {"client": {}, "insurer": {"x": {}}} back to "client", "insurer__x"."""
    paths = []
    for name, sub in tree.items():
        path = f"{prefix}{name}"
        paths.extend(_related_paths(sub, f"{path}__") if sub else [path])
    return paths


# Up to this offset a page is read in one query; deeper, its ids come first (a narrow index
# scan) and only they are loaded: OFFSET over wide joined rows grows with the depth.
DIRECT_OFFSET_MAX = 500


def fetch_page(
    queryset, number: int, page_size: int, load=None, load_direct=None
) -> tuple[list, bool]:
    """Rows of page ``number`` (from 1) and whether a next page exists, without COUNT(*).

    The page's ids come first from a narrow query (an index-only scan, so a deep OFFSET stays
    cheap), then only those rows are loaded with their joins. Shared by the API's pagination
    and the browser lists.
    """
    offset = (number - 1) * page_size
    if load_direct is not None and offset <= DIRECT_OFFSET_MAX:
        rows = load_direct(queryset[offset : offset + page_size + 1])
        return rows[:page_size], len(rows) > page_size
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + page_size + 1])
    has_next = len(ids) > page_size
    ids = ids[:page_size]
    if not ids:
        return [], False
    if load is not None:  # the view builds its rows itself: {id: row}
        by_id = load(ids)
        return [by_id[pk] for pk in ids if pk in by_id], has_next
    # The ids were found under every filter; load them by primary key alone, keeping the
    # joins (select_related) but not re-running searches and filters.
    rows = queryset.model._default_manager.filter(pk__in=ids)
    related = queryset.query.select_related
    if related is True:
        rows = rows.select_related()
    elif related:
        rows = rows.select_related(*_related_paths(related))
    rows = rows.prefetch_related(*queryset._prefetch_related_lookups)
    by_id = {obj.pk: obj for obj in rows}
    return [by_id[pk] for pk in ids if pk in by_id], has_next


class Pagination(PageNumberPagination):
    """Page numbers, without COUNT(*): at 100,000 cases counting costs more than the page.

    The page's ids come first from a narrow query (an index-only scan, so a deep OFFSET stays
    cheap), then only those rows are loaded with their joins. The answer is
    ``{"next", "previous", "results"}``; ``next`` is null on the last page.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            self.number = int(raw)
        except ValueError:
            raise NotFound("Invalid page.") from None
        if not 1 <= self.number <= MAX_PAGE:
            raise NotFound("Invalid page.")
        rows, self.has_next = fetch_page(
            queryset,
            self.number,
            page_size,
            load=getattr(view, "load_page_rows", None),
            load_direct=getattr(view, "load_page_rows_in_order", None),
        )
        if not rows and self.number > 1:
            raise NotFound("Invalid page.")
        return rows

    def get_paginated_response(self, data):
        url = self.request.build_absolute_uri()
        next_url = (
            replace_query_param(url, self.page_query_param, self.number + 1)
            if self.has_next
            else None
        )
        previous = None
        if self.number > 1:
            previous = (
                remove_query_param(url, self.page_query_param)
                if self.number == 2
                else replace_query_param(url, self.page_query_param, self.number - 1)
            )
        return Response({"next": next_url, "previous": previous, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


MAX_ID = 2**31 - 1


class IdBoundedFilterSet(FilterSet):
    """Foreign-key filters take a bounded number: an id the database cannot hold is a 400
    from the filter, never a database error; no choice query is made to validate it."""

    FILTER_DEFAULTS = {
        **FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {
            "filter_class": NumberFilter,
            "extra": lambda f: {"min_value": 0, "max_value": MAX_ID},
        },
        models.OneToOneField: {
            "filter_class": NumberFilter,
            "extra": lambda f: {"min_value": 0, "max_value": MAX_ID},
        },
    }


class FilterBackend(DjangoFilterBackend):
    filterset_base = IdBoundedFilterSet

    def filter_queryset(self, request, queryset, view):
        # Building a FilterSet (deep copies of every filter, a bound form) costs more than the
        # rest of a list page: skip it when no parameter names one of its filters.
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            names = tuple(filterset_class.base_filters)
            if not any(param.startswith(names) for param in request.query_params):
                return queryset
        return super().filter_queryset(request, queryset, view)


class JSONEncoder(encoders.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, Decimal):
            return str(obj)
        return super().default(obj)


class JSONRenderer(renderers.JSONRenderer):
    """Money and percentages leave the API as decimal strings ("62.00"), never floats, also
    from the hand-built summaries that do not pass through a serializer. The encoder turns
    them as it meets them: walking the data first took the reports summary 3 ms (1,087
    agreements ending within 30 days at 100,000 cases)."""

    encoder_class = JSONEncoder


def domain_error_response(exc: DomainError) -> Response:
    body = {"code": exc.code, "detail": exc.detail}
    if exc.errors:
        body["errors"] = exc.errors
    return Response(body, status=exc.status)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {
                ("non_field_errors" if k == NON_FIELD_ERRORS else k): [
                    m for e in v for m in e.messages
                ]
                for k, v in exc.error_dict.items()
            }
        else:
            data = {"non_field_errors": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        return Response(
            {"code": "in_use", "detail": "This record is in use by other records; archive it."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        # A value the database cannot store (too large, too long) that validation missed.
        logger.warning("data error in %s", context["view"].__class__.__name__)
        return Response(
            {"code": "invalid_value", "detail": "A value is out of range or too long."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, IntegrityError):
        # A database constraint caught what validation did not (usually a race).
        # The message may contain row values, so it is not echoed or logged.
        logger.warning("integrity error in %s", context["view"].__class__.__name__)
        return Response(
            {"code": "conflict", "detail": "This conflicts with data saved meanwhile; reload."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
