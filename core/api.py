"""API plumbing shared by every app: pagination and the one error mapping."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError, models
from django.db.models import ProtectedError, QuerySet
from django.http import HttpRequest
from django_filters import FilterSet, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import renderers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .exceptions import DomainError
from .uploads import upload_refusal

if TYPE_CHECKING:  # DRF imports this module (its settings) while rest_framework.views loads
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=models.Model)
_Row = TypeVar("_Row")


MAX_PAGE = 1_000_000  # keeps OFFSET within the database's integer range


def _related_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
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
    queryset: QuerySet[Any],
    number: int,
    page_size: int,
    load: Callable[[list[Any]], dict[Any, Any]] | None = None,
    load_direct: Callable[[QuerySet[Any]], list[Any]] | None = None,
) -> tuple[list[Any], bool]:
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
    # The queryset's prefetches, kept: a Django attribute without a public accessor.
    lookups = queryset._prefetch_related_lookups  # type: ignore[attr-defined]  # not in stubs
    rows = rows.prefetch_related(*lookups)
    by_id = {obj.pk: obj for obj in rows}
    return [by_id[pk] for pk in ids if pk in by_id], has_next


class Pagination(PageNumberPagination):
    """Page numbers, without COUNT(*): at 100,000 cases counting costs more than the page.

    The page's ids come first from a narrow query (an index-only scan, so a deep OFFSET stays
    cheap), then only those rows are loaded with their joins. The answer is
    ``{"next", "previous", "results"}``; ``next`` is null on the last page.
    """

    page_size: int = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    # Set by paginate_queryset, which DRF calls before get_paginated_response.
    request: Request
    number: int
    has_next: bool

    def paginate_queryset(
        self,
        queryset: QuerySet[_M, _Row] | Sequence[_Row],
        request: Request,
        view: APIView | None = None,
    ) -> list[_Row]:
        if not isinstance(queryset, QuerySet):  # the pages are read with queries
            raise TypeError("Pagination pages querysets only")
        self.request = request
        # DRF's page size is None only for a class without one: this class has one.
        page_size = self.get_page_size(request) or self.page_size
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

    def get_paginated_response(self, data: Any) -> Response:
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

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
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

    def filter_queryset(
        self, request: HttpRequest, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        # Building a FilterSet (deep copies of every filter, a bound form) costs more than the
        # rest of a list page: skip it when no parameter names one of its filters.
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            names = tuple(filterset_class.base_filters)
            # request.GET: what a DRF request's query_params is (django-filter types a Django one).
            if not any(param.startswith(names) for param in request.GET):
                return queryset
        return super().filter_queryset(request, queryset, view)


class JSONEncoder(encoders.JSONEncoder):
    def default(self, obj: Any) -> Any:
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
    body: dict[str, object] = {"code": exc.code, "detail": exc.detail, **exc.extra}
    if exc.errors:
        body["errors"] = exc.errors
    return Response(body, status=exc.status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
    if isinstance(exc, OperationalError):
        # Locked (SQLite: a write waited past its timeout) or unreachable: worth a retry. The
        # class only: a driver's message can quote the statement and its values.
        logger.warning("database unavailable (%s): answered 503", type(exc).__name__)
        detail = "The database is busy just now. Try again in a few seconds."
        return Response(
            {"code": "database_busy", "detail": detail},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if (refusal := upload_refusal(exc)) is not None:
        # Named like the services' own size check, on the field the parser stopped at (every
        # upload field of the API is "file"; a body refused on its length had none yet).
        return Response(
            {refusal.field or "file": [str(refusal)]}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, IntegrityError):
        # A database constraint caught what validation did not (usually a race).
        # The message may contain row values, so it is not echoed or logged.
        logger.warning("integrity error in %s", context["view"].__class__.__name__)
        return Response(
            {"code": "conflict", "detail": "This conflicts with data saved meanwhile; reload."},
            status=status.HTTP_409_CONFLICT,
        )
    # Imported here: rest_framework.views reads the API settings, which name this module's
    # renderer and pagination, when it is first imported; from the top of this module that is
    # an import loop whenever this module is the first to load DRF's views (a worker is).
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)
