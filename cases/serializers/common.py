"""Helpers shared by the cases serializers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet
    from rest_framework.fields import Field


def request_user(serializer: Field[Any, Any, Any, Any]) -> User | AnonymousUser:
    """The requesting user; anonymous without a request (a serializer built for the schema),
    who belongs to no practice."""
    request = serializer.context.get("request")
    user: User | AnonymousUser | None = getattr(request, "user", None)
    return AnonymousUser() if user is None else user


class RowsField(Protocol):
    """A field that picks rows (a RelatedField, whose ``queryset`` the stubs also type as a
    Manager, a descriptor mypy refuses to assign to)."""

    queryset: QuerySet[Any] | None


def related_field(serializer: serializers.Serializer[Any], name: str) -> RowsField:
    """The serializer's field of rows ``name``, typed as one (``fields`` holds plain Fields)."""
    return cast("RowsField", serializer.fields[name])
