"""API tokens (django-rest-knox): who may get one, and ending them.

Knox keeps only a SHA-512 digest of each key and its first characters (``token_key``), so a
key is shown once, when it is issued, and a copy of the database opens nothing. Every token
ends after ``TOKEN_TTL_HOURS``; its owner can end it sooner (the API's logout, logout-all, or
the security page). The views stay thin: the rules and the writes are here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from cases.permissions import user_roles
from core.exceptions import DomainError

from .mfa import code_check, has_confirmed_device, mfa_required

if TYPE_CHECKING:
    from django.contrib.auth.models import User

OTP_MISSING = "Enter the 6-digit code from your authenticator app"
OTP_INVALID = "That code is not valid"
OTP_LOCKED = "Too many wrong codes: wait 15 minutes and try again"
ENROLMENT_REQUIRED = "Set up a second factor in the browser before asking for a token."


def tokens_of(user: User) -> QuerySet[AuthToken]:
    """The user's tokens that still work, newest first. An expired one is refused anyway;
    knox deletes it when its owner next signs in to the API with a token."""
    return AuthToken.objects.filter(
        Q(expiry__gt=timezone.now()) | Q(expiry__isnull=True), user=user
    ).order_by("-created")


def token_issue(*, user: User, otp: str) -> tuple[AuthToken, str]:
    """A new token for ``user``, whose password was checked: ``(row, key)``.

    A token is a sign-in that lasts hours, so it asks for the same second factor as the
    browser: a user with a confirmed device gives its current code (``otp``); a user whose
    role requires one but has none set up is refused until they enrol in the browser (a
    token endpoint is no place to show a QR code).
    """
    if has_confirmed_device(user):
        if not otp:
            raise ValidationError({"otp": OTP_MISSING})
        # The browser's rules: app codes or recovery codes (used up), the devices' own wait
        # after a wrong code, and the lockout after 5 wrong codes in 15 minutes.
        check = code_check(user=user, code=otp)
        if check.refusal == "locked":
            raise ValidationError({"otp": OTP_LOCKED})
        if check.device is None:
            raise ValidationError({"otp": OTP_INVALID})
    elif mfa_required(user) or (settings.MFA_REQUIRED_ROLES and not user_roles(user)):
        # A user with no role yet is asked too: a membership granted within the token's life
        # would otherwise read patient data on a token no second factor ever stood behind.
        raise DomainError(code="mfa_enrolment_required", detail=ENROLMENT_REQUIRED, status=403)
    return AuthToken.objects.create(user=user)


def token_revoke(*, user: User, digest: str) -> bool:
    """End one of ``user``'s tokens. False when ``digest`` names none of theirs (the door
    answers 404, whether the token is another user's or does not exist)."""
    deleted, _ = AuthToken.objects.filter(user=user, digest=digest).delete()
    return deleted > 0


def tokens_revoke_all(*, user: User) -> int:
    """End every token of ``user``; how many there were. Also called when the password
    changes: a token got with the old password should not outlive it, as Django ends the
    user's other browser sessions then."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
