"""Helpers shared by the cases services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_Row = TypeVar("_Row", bound=models.Model)
_Data = TypeVar("_Data", bound=Mapping[str, object])

# What ``apply_fields`` reports: {field: (old value, new value)}.
Changes = dict[str, tuple[object, object]]


def as_data(values: Mapping[str, object], shape: type[_Data]) -> _Data:
    """A door's validated values (a form's cleaned_data, a serializer's validated_data) as the
    service's ``shape`` (its TypedDict). The door checked each value; the service refuses a key
    the shape lacks (``apply_fields``), so nothing is dropped here."""
    return cast(_Data, dict(values))


def apply_fields(obj: models.Model, data: Mapping[str, object], allowed: Iterable[str]) -> Changes:
    """Set the allowed fields that differ; return {field: (old, new)}. Unknown fields are
    an error so that a typo never silently does nothing."""
    allowed = set(allowed)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    changed: Changes = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if not isinstance(field, models.Field):  # a reverse relation is not the object's own
            raise ValidationError({name: "This field cannot be changed here."})
        attname = field.attname
        current = getattr(obj, attname)
        new = (
            value.pk
            if isinstance(field, models.ForeignKey) and isinstance(value, models.Model)
            else value
        )
        if current != new:
            changed[name] = (current, new)
            setattr(obj, attname, new)
    return changed


def check_same_practice(practice_id: int, objs: Mapping[str, models.Model | None]) -> None:
    """Each object given belongs to the practice (a client, a provider, ...)."""
    errors = {
        name: "Not found in this practice."
        for name, obj in objs.items()
        if obj is not None and getattr(obj, "practice_id", practice_id) != practice_id
    }
    if errors:
        raise ValidationError(errors)


def lock_row(queryset: models.QuerySet[_Row], pk: int, what: str) -> _Row:
    """The row locked for the transaction; one deleted meanwhile (between the page or request
    that named it and this lock) is a refusal naming ``what``, not a server error."""
    row = queryset.select_for_update().filter(pk=pk).first()
    if row is None:
        raise ValidationError(f"{what} no longer exists; reload and try again.")
    return row


def clean_and_save(
    obj: models.Model,
    *,
    update_fields: list[str] | None = None,
    exclude: Collection[str] | None = None,
) -> None:
    """Model validation (field validators, choices, constraints) before every write, so that
    the API, the forms and the commands all refuse the same bad data with field names."""
    obj.full_clean(exclude=exclude)
    if update_fields is None:
        obj.save()
    else:
        obj.save(update_fields=update_fields)


def set_history_user(obj: models.Model, actor: User | None) -> None:
    # django-simple-history records this as the author of the change. The attribute is the
    # library's, not a field the models declare, hence setattr.
    if actor is not None and actor.is_authenticated:
        setattr(obj, "_history_user", actor)  # noqa: B010


def set_change_reason(obj: models.Model, reason: str | None) -> None:
    # django-simple-history keeps this as the reason of the next history row (see above).
    setattr(obj, "_change_reason", reason)  # noqa: B010


def jsonable(value: object) -> object:
    """A value as the timeline's JSON keeps it: dates in ISO 8601, decimals as text."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
