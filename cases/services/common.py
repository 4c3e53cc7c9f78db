"""Helpers shared by the cases services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models


def apply_fields(obj: models.Model, data: dict, allowed: Iterable[str]) -> dict[str, tuple]:
    """Set the allowed fields that differ; return {field: (old, new)}. Unknown fields are
    an error so that a typo never silently does nothing."""
    allowed = set(allowed)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})
    changed: dict[str, tuple] = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
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


def clean_and_save(
    obj: models.Model, *, update_fields: list[str] | None = None, exclude=None
) -> None:
    """Model validation (field validators, choices, constraints) before every write, so that
    the API, the forms and the commands all refuse the same bad data with field names."""
    obj.full_clean(exclude=exclude)
    if update_fields is None:
        obj.save()
    else:
        obj.save(update_fields=update_fields)


def set_history_user(obj: models.Model, actor) -> None:
    # django-simple-history records this as the author of the change.
    if actor is not None and getattr(actor, "is_authenticated", False):
        obj._history_user = actor


def jsonable(value):
    """A value as the timeline's JSON keeps it: dates in ISO 8601, decimals as text."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
