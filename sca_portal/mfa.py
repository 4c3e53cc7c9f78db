"""The second factor (django-otp): who must pass one (``MFA_REQUIRED_ROLES``), where a session
stands, and the writes of enrolment, recovery codes and removal.

One TOTP device ("Authenticator app") per user, plus one static device ("recovery") holding
ten single-use recovery codes. A code is checked against the devices of its kind only (six
digits: the app; eight letters and digits: a recovery code), so a recovery code never counts
as a failed app code in the app device's throttle, nor the other way round."""

from __future__ import annotations

import re
from base64 import b32encode
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_otp import device_classes
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.permissions import user_roles

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django_otp.models import Device

OPERATOR = "operator"
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "recovery"
RECOVERY_CODE_COUNT = 10
# Wrong codes per user before the cool-off: five in a window of fifteen minutes from the
# first, then none accepted (not even a right one) for fifteen minutes. Counted in the cache,
# as the login lockout is counted by django-axes; django-otp's own per-device throttle (a
# wait of 1, 2, 4, 8 ... seconds after each consecutive failure) applies as well.
FAILURE_LIMIT = 5
COOLOFF_SECONDS = 15 * 60

APP_CODE = re.compile(r"[0-9]{6}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")  # StaticToken.random_token(): 5 bytes in base32

Refusal = Literal["locked", "throttled", "wrong"]
Step = Literal["verify", "setup"]


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


# ----------------------------------------------------------------------------- reads


def session_verified(user: User | AnonymousUser) -> bool:
    """Whether this request's session passed its second factor (set by django-otp's
    OTPMiddleware from the session; ``django_otp.login`` records it)."""
    return getattr(user, "otp_device", None) is not None


def has_confirmed_device(user: User) -> bool:
    """Whether ``user`` has a second factor set up: any confirmed device, as
    ``django_otp.user_has_device`` says (which the API token endpoint asks), in one query
    instead of one per device model (this runs on every page of an unverified session)."""
    queries = [
        model.objects.filter(user=user, confirmed=True).values("pk") for model in device_classes()
    ]
    first, *rest = queries
    return bool(list((first.union(*rest) if rest else first)[:1]))


def pending_step(user: User) -> Step | None:
    """What a signed-in session must do before it may use the site: "verify" (a code, for a
    user with a device), "setup" (enrol, for a user who must and has no device), or None."""
    if session_verified(user):
        return None
    if has_confirmed_device(user):
        return "verify"
    return "setup" if mfa_required(user) else None


@dataclass(frozen=True)
class SecondFactorStatus:
    """What the account's security page shows of the second factor."""

    totp: bool  # an authenticator app is set up
    recovery_codes_left: int
    required: bool  # the user's role requires it: it cannot be removed

    @property
    def removable(self) -> bool:
        return self.totp and not self.required


def second_factor_status(user: User) -> SecondFactorStatus:
    return SecondFactorStatus(
        totp=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        recovery_codes_left=StaticToken.objects.filter(
            device__user=user, device__confirmed=True
        ).count(),
        required=mfa_required(user),
    )


def totp_secret(device: TOTPDevice) -> str:
    """The device's key in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalize_code(code: str) -> str:
    """Codes are accepted with spaces or dashes and in either case, as people copy them."""
    return re.sub(r"[\s-]", "", code).lower()


def is_code_shaped(code: str, *, recovery: bool = True) -> bool:
    code = normalize_code(code)
    return bool(APP_CODE.fullmatch(code) or (recovery and RECOVERY_CODE.fullmatch(code)))


# ----------------------------------------------------------------------------- the lockout


def _failures_key(user: User) -> str:
    return f"mfa:failures:{user.pk}"


def _locked_key(user: User) -> str:
    return f"mfa:locked:{user.pk}"


def locked_out(user: User) -> bool:
    return cache.get(_locked_key(user)) is not None


def _record_failure(user: User) -> None:
    key = _failures_key(user)
    cache.add(key, 0, timeout=COOLOFF_SECONDS)  # the window starts at the first failure
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=COOLOFF_SECONDS)
        failures = 1
    if failures >= FAILURE_LIMIT:
        cache.set(_locked_key(user), True, timeout=COOLOFF_SECONDS)
        cache.delete(key)


# ----------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None  # the device that accepted the code, for ``django_otp.login``
    refusal: Refusal | None = None


def code_check(*, user: User, code: str) -> CodeCheck:
    """Check a code from the app or a recovery code (which is used up). A wrong code counts
    toward the lockout; a code sent while the devices still throttle (right after a wrong
    one) or during the cool-off is not even tried."""
    if locked_out(user):
        return CodeCheck(None, "locked")
    code = normalize_code(code)
    kind: type[Device] = TOTPDevice if APP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        devices = list(
            kind.objects.filter(user=user, confirmed=True).order_by("pk").select_for_update()
        )
        allowed = [device for device in devices if device.verify_is_allowed()[0]]
        if devices and not allowed:
            return CodeCheck(None, "throttled")
        for device in allowed:
            if device.verify_token(code):
                cache.delete(_failures_key(user))
                return CodeCheck(device)
    _record_failure(user)
    return CodeCheck(None, "wrong")


def totp_device_for_setup(*, user: User) -> TOTPDevice:
    """The user's unconfirmed app device, made on the first visit to the setup page and kept
    until confirmed, so reloading the page shows the same secret (and QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


@dataclass(frozen=True)
class Confirmation:
    recovery_codes: list[str]  # empty when refused
    refusal: Refusal | None = None


def totp_confirm(*, device: TOTPDevice, code: str) -> Confirmation:
    """Confirm an app device with its current code, and give the user a fresh set of recovery
    codes (shown to them once)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_is_allowed()[0]:
            return Confirmation([], "throttled")
        if not device.verify_token(normalize_code(code)):
            return Confirmation([], "wrong")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Any other app device (an abandoned enrolment) goes: one app per user.
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        return Confirmation(recovery_codes_regenerate(user=device.user))


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace all of the user's recovery codes with ten new ones; returns them (they are
    stored as they are, so they are shown only at this moment, never again)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def second_factor_remove(*, user: User) -> None:
    """Remove the app and the recovery codes (the view allows it only when the user's role does
    not require a second factor). Sign-in is one step again."""
    with transaction.atomic():
        for model in device_classes():
            model.objects.filter(user=user).delete()
