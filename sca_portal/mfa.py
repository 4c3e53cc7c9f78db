"""Who must pass a second factor (``MFA_REQUIRED_ROLES``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from cases.permissions import user_roles

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

OPERATOR = "operator"


def mfa_required(user: User | AnonymousUser) -> bool:
    """Whether ``user`` must sign in (and get API tokens) with a second factor: one of their
    roles in any practice, or being a site operator (staff or superuser), is in
    ``MFA_REQUIRED_ROLES``."""
    required = set(settings.MFA_REQUIRED_ROLES)
    if not required or not user.is_authenticated:
        return False
    if OPERATOR in required and (getattr(user, "is_staff", False) or user.is_superuser):
        return True
    return bool(required & set(user_roles(user).values()))
