"""Helpers shared by the cases serializers."""

from __future__ import annotations


def request_user(serializer) -> object:
    request = serializer.context.get("request")
    return getattr(request, "user", None)
