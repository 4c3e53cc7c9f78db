from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The request's user as a service's ``actor``, for a view or an API whose permission
    already refused the anonymous (a DRF ``Request`` is an ``HttpRequest`` too)."""
    user = request.user
    if isinstance(user, AnonymousUser):  # not reached behind a permission that signs in
        raise PermissionDenied("Sign in first.")
    return user
