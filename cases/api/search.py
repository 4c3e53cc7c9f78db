"""Searches of patient data take their text in a POST body, never in the URL: a client's name or
member id in a query string lands in server and proxy logs, browser history and Referer
headers (issue 17). ``SearchInBody`` gives a view set ``POST <list>/search/``, answering a page
like its list, and refuses ``?search=`` on the view set's routes with 400 ``search_in_url``.

The body is JSON: ``q``, the list's own filters (generated from its FilterSet, so the two
cannot drift), ``ordering`` and the page. Unknown keys are refused: a misspelt filter would
otherwise widen a search of patient data silently. Null is refused too: omit a filter not to
filter (``"assigned_to": null`` would read as "unassigned" to one client, "any" to another)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.urls import reverse
from django_filters import (
    BooleanFilter,
    ChoiceFilter,
    DateFilter,
    Filter,
    MultipleChoiceFilter,
    NumberFilter,
)
from django_filters.utils import label_for_filter
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.filters import SearchFilter, search_smart_split
from rest_framework.response import Response

from cases.models import AccessAction
from cases.selectors.tenancy import practice_ids_for
from core.access import phi_read
from core.api import MAX_ID, MAX_PAGE, Pagination, fetch_page
from core.exceptions import DomainError

from .common import ViewSetBase

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django_filters import FilterSet
    from rest_framework.request import Request

Q_MAX_LENGTH = 100  # as the browser's search forms (cases/forms)
RESERVED = ("q", "ordering", "page", "page_size")


class SearchBody(serializers.Serializer[Any]):
    """What a search of patient data sends: the text, and which page."""

    q = serializers.CharField(
        min_length=1,
        max_length=Q_MAX_LENGTH,
        help_text="The search text, as the list's ``search`` matched it (words; each must "
        "match). Surrounding spaces are trimmed.",
    )
    page = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE, default=1, help_text="The page, from 1."
    )
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=Pagination.max_page_size,
        default=Pagination.page_size,
        help_text=f"Rows a page, 1 to {Pagination.max_page_size}.",
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class SearchBodySchema(OpenApiSerializerExtension):
    """The schema says what the body refuses: no key beyond its own."""

    target_class = SearchBody
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return schema


def _body_field(
    name: str, filter_: Filter, model: type[Model]
) -> serializers.Field[Any, Any, Any, Any]:
    """The body's field for one of the list's filters, typed as JSON carries it."""
    field_name = filter_.field_name or name
    label = filter_.label or label_for_filter(model, field_name, filter_.lookup_expr)
    if isinstance(filter_, MultipleChoiceFilter):
        choices = list(filter_.extra["choices"])
        return serializers.ListField(
            child=serializers.ChoiceField(choices=choices),
            required=False,
            max_length=len(choices),
            help_text=f"{label}: any of these (the list's ``{name}``, repeated).",
        )
    if isinstance(filter_, ChoiceFilter):
        return serializers.ChoiceField(
            choices=list(filter_.extra["choices"]), required=False, help_text=str(label)
        )
    if isinstance(filter_, BooleanFilter):
        return serializers.BooleanField(required=False, help_text=str(label))
    if isinstance(filter_, DateFilter):
        return serializers.DateField(required=False, help_text=str(label))
    if isinstance(filter_, NumberFilter):
        return serializers.IntegerField(
            required=False,
            min_value=filter_.extra.get("min_value", -MAX_ID),
            max_value=filter_.extra.get("max_value", MAX_ID),
            help_text=str(label),
        )
    raise TypeError(f"{name}: no search-body field for {type(filter_).__name__}; map it here")


def search_body(
    name: str, filterset_class: type[FilterSet], ordering_fields: list[str], doc: str
) -> type[SearchBody]:
    """The search body of a list: ``q``, the page, every filter of ``filterset_class`` and
    the list's ``ordering``."""
    model = filterset_class._meta.model  # type: ignore[attr-defined]  # the metaclass sets it
    doc += " Unknown keys and nulls are refused (400 naming the key): omit a filter not to filter."
    attrs: dict[str, Any] = {"__module__": __name__, "__doc__": doc}
    for filter_name, filter_ in filterset_class.base_filters.items():
        assert filter_name not in RESERVED, f"the filter {filter_name} shadows the search's own"
        attrs[filter_name] = _body_field(filter_name, filter_, model)
    attrs["ordering"] = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[*ordering_fields, *(f"-{field}" for field in ordering_fields)]
        ),
        required=False,
        max_length=len(ordering_fields),
        help_text="Sort keys, as the list's ``ordering`` (``-``: descending); without it, the "
        "list's default order.",
    )
    return cast("type[SearchBody]", type(name, (SearchBody,), attrs))


def search_page(name: str, row_serializer: type[serializers.BaseSerializer[Any]]) -> type:
    """The answer's schema: the list's rows, and page numbers where the list has links (its
    links would carry the query)."""
    attrs = {
        "__module__": __name__,
        "__doc__": "A page of a search: the list's rows. Ask for another page by POSTing the "
        "same body with ``page`` set to ``next_page`` or ``previous_page``.",
        "next_page": serializers.IntegerField(
            allow_null=True, read_only=True, help_text="The next page's number; null on the last."
        ),
        "previous_page": serializers.IntegerField(
            allow_null=True, read_only=True, help_text="The page before; null on the first."
        ),
        "results": row_serializer(many=True, read_only=True),
    }
    return type(name, (serializers.Serializer,), attrs)


def search_responses(page: type) -> dict[int, Any]:
    return {
        200: page,
        400: OpenApiResponse(
            description="A key of the body is invalid, null or unknown: the answer names it."
        ),
        404: OpenApiResponse(description="A page past the last (``Invalid page.``), as the list."),
    }


class TermsFromBody(SearchFilter):
    """In front of a view set's SearchFilter: the same matching, the terms from the body's
    ``q`` (split as ``?search=`` was)."""

    def __init__(self, q: str) -> None:
        self.q = q

    def get_search_terms(self, request: Request) -> list[str]:
        return search_smart_split(self.q)  # type: ignore[arg-type]  # the stubs say a list


class SearchInBody(ViewSetBase):
    """``POST <list>/search/``: the list's rows for ``q`` and its filters, and a refusal of
    ``?search=`` on every route of the view set. Each search is logged (``search``) once per
    practice searched, with the rows it answered, even when it found nothing. The view set
    names its ``body_search_class`` (a ``TermsFromBody``) and, for the log, ``phi_subject``."""

    body_search_class: type[TermsFromBody]
    filterset_class: type[FilterSet] | None  # the list's filters

    if TYPE_CHECKING:  # from LogsPhiReads, first in the view set's bases

        def phi_subject(self, row: Any) -> tuple[int | None, int | None, int | None]: ...

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if "search" in request.query_params:
            path = reverse(f"{self.basename}-search")
            raise DomainError(
                code="search_in_url",
                detail=f'Names and member ids do not go in URLs: POST {{"q": ...}} to {path}.',
            )

    def search_queryset(
        self, *, q: str, filters: dict[str, Any], ordering: list[str] | None
    ) -> QuerySet[Any]:
        """The list's queryset under the body's filters, search and order (unpaged)."""
        queryset = self.get_queryset()
        if filters:
            assert self.filterset_class is not None  # the view set's list filters
            # The list's own filters, given the values the body's fields already validated.
            filterset = self.filterset_class(queryset=queryset, request=self.request)
            for name, value in filters.items():
                queryset = filterset.filters[name].filter(queryset, value)
        queryset = self.body_search_class(q).filter_queryset(self.request, queryset, self)
        ordering = ordering or getattr(self, "ordering", None)
        return queryset.order_by(*ordering) if ordering else queryset

    def search_rows(self, rows: list[Any]) -> Any:
        """The page's rows as the list shows them."""
        return self.get_serializer(rows, many=True).data

    def search_answer(self, body_class: type[SearchBody]) -> Response:
        body = body_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        q, number, size = values.pop("q"), values.pop("page"), values.pop("page_size")
        ordering = values.pop("ordering", None)
        queryset = self.search_queryset(q=q, filters=values, ordering=ordering)
        # Logged per practice searched, found or not: the user's, or the one the filter names.
        for practice_id in practice_ids_for(self.request.user):
            if values.get("practice") in (None, practice_id):
                phi_read(self.request, practice_id=practice_id, action=AccessAction.SEARCH)
        rows, has_next = fetch_page(
            queryset,
            number,
            size,
            load=getattr(self, "load_page_rows", None),
            load_direct=getattr(self, "load_page_rows_in_order", None),
        )
        if not rows and number > 1:
            raise NotFound("Invalid page.")
        for row in rows:
            row_practice, client_id, case_id = self.phi_subject(row)
            phi_read(
                self.request,
                practice_id=row_practice,
                pairs=[(client_id, case_id)],
                action=AccessAction.SEARCH,
            )
        return Response(
            {
                "next_page": number + 1 if has_next else None,
                "previous_page": number - 1 if number > 1 else None,
                "results": self.search_rows(rows),
            }
        )
