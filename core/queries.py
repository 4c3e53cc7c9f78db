"""Several short lists of one model in one round trip (the dashboard's case lists)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import F, IntegerField, Model, QuerySet, Value, Window
from django.db.models.expressions import BaseExpression
from django.db.models.functions import RowNumber

_M = TypeVar("_M", bound=Model)


def fetch_together(lists: Mapping[str, tuple[QuerySet[_M], int]]) -> dict[str, list[_M]]:
    """The first ``limit`` rows of each ordered queryset, by name.

    On PostgreSQL, one statement: a UNION ALL of the parts, each keeping its own filter, order
    and LIMIT, and numbering its rows in that order so the lists come back intact. The parts
    must select the same columns (one model, the same select_related and annotations) and
    each have an explicit order_by (ties broken by a unique column). SQLite
    cannot order or limit the parts of a compound statement, so there each list is a query.
    """
    unordered = [name for name, (queryset, _limit) in lists.items() if not queryset.query.order_by]
    if unordered:  # a model's Meta.ordering would not number the rows: the lists would break
        raise ValueError(f"fetch_together needs an explicit order_by: {', '.join(unordered)}")
    names = list(lists)
    if len(names) < 2 or not connection.features.supports_slicing_ordering_in_compound:
        return {name: list(queryset[:limit]) for name, (queryset, limit) in lists.items()}
    parts = [
        queryset.annotate(
            together_list=Value(i, output_field=IntegerField()),
            together_position=Window(RowNumber(), order_by=_ordering(queryset)),
        )[:limit]
        for i, (queryset, limit) in enumerate(lists.values())
    ]
    combined = parts[0].union(*parts[1:], all=True).order_by("together_list", "together_position")
    found: dict[str, list[_M]] = {name: [] for name in names}
    obj: Any  # a row with its annotations, which a type variable's model cannot name
    for obj in combined:
        found[names[obj.together_list]].append(obj)
    return found


def _ordering(queryset: QuerySet[_M]) -> list[BaseExpression | F | str]:
    # order_by() keeps names, F() and OrderBy expressions; the stubs type them as Combinable.
    return list(cast(Sequence[BaseExpression | F | str], queryset.query.order_by))
