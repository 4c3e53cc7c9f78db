"""The second factor's pages (enrol, verify at sign-in, recovery codes, removal) and the
middleware that holds a signed-in session at the verify (or setup) page until it has passed.

The password sign-in stays Django's LoginView (with django-axes' lockout); the second step
is a page of its own, so the login form and its tests are unchanged, and a user without a
device whose role does not require one (the development demo logins) signs in in one step."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login

from core.auth import signed_in_user
from sca_portal import mfa

REFUSALS = {
    "wrong": "That code is not right. Check the code and try again.",
    "throttled": "Too many codes in a row: wait a few seconds, then try again.",
    "locked": (
        "Too many wrong codes. Sign-in with a code is paused for 15 minutes; "
        "try again later, or ask your practice admin for help."
    ),
}


class SetupForm(forms.Form):
    code = forms.CharField(
        label="Enter the 6-digit code",
        max_length=12,
        help_text="The code your authenticator app shows for SCA Portal now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if not mfa.is_code_shaped(code, recovery=False):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows.")
        return code


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if not mfa.is_code_shaped(code):
            raise forms.ValidationError(
                "Enter the 6 digits your authenticator app shows, or an 8-character recovery code."
            )
        return code


def _next_url(request: HttpRequest) -> str:
    """The page to continue to: ``next`` when it is on this site, else the dashboard."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard")


def _with_next(url_name: str, request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return reverse(url_name) + (f"?{urlencode({'next': target})}" if target else "")


def _security_page() -> str:
    """The account's security page, where the second factor is managed."""
    return reverse("account_security")


def _refused(
    request: HttpRequest, template: str, context: dict[str, Any], refusal: str
) -> HttpResponse:
    """The page again with its refusal; 429 for a pause, 400 for a wrong or malformed code."""
    context["form"].add_error("code", REFUSALS[refusal])
    status = 429 if refusal in ("throttled", "locked") else 400
    return render(request, template, context, status=status)


def _verified(request: HttpRequest, device: Any) -> None:
    """Mark the session as past its second factor, under a new session key: a key seen before
    the step (a fixed or leaked cookie) must not carry the verified session."""
    request.session.cycle_key()
    otp_login(request, device)


# ----------------------------------------------------------------------------- pages


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with its code.
    The recovery codes are shown once, in the answer to the confirming POST."""
    user = signed_in_user(request)
    if not mfa.session_verified(user) and mfa.has_confirmed_device(user):
        return redirect(_with_next("mfa_verify", request))  # a device to pass first
    if mfa.second_factor_status(user).totp:
        messages.info(request, "Two-factor sign-in is already set up.")
        return redirect(_security_page())
    device = mfa.totp_device_for_setup(user=user)
    form = SetupForm(request.POST or None)
    context = {
        "form": form,
        "next": _next_url(request),
        "required": mfa.mfa_required(user),
        "secret": mfa.totp_secret(device),
        "qr": segno.make(device.config_url, error="m", micro=False).svg_data_uri(scale=5, border=4),
    }
    template = "account/two_factor_setup.html"
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    confirmation = mfa.totp_confirm(device=device, code=form.cleaned_data["code"])
    if confirmation.refusal:
        return _refused(request, template, context, confirmation.refusal)
    device.refresh_from_db()
    _verified(request, device)
    return render(
        request,
        "account/recovery_codes_new.html",
        {"codes": confirmation.recovery_codes, "next": context["next"], "first_time": True},
    )


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    user = signed_in_user(request)
    if mfa.session_verified(user):
        return redirect(_next_url(request))
    if not mfa.has_confirmed_device(user):
        if mfa.mfa_required(user):
            return redirect(_with_next("mfa_setup", request))
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    next_url, locked = _next_url(request), mfa.locked_out(user)
    context: dict[str, Any] = {"form": form, "next": next_url, "locked": locked}
    template = "account/two_factor_verify.html"
    if request.method != "POST":
        return render(request, template, context, status=429 if locked else 200)
    if not form.is_valid():
        return render(request, template, context, status=400)
    check = mfa.code_check(user=user, code=form.cleaned_data["code"])
    if check.refusal:
        context["locked"] = check.refusal == "locked" or mfa.locked_out(user)
        return _refused(request, template, context, check.refusal)
    _verified(request, check.device)
    return redirect(next_url)


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """How many recovery codes are left; POST replaces them all with ten new ones."""
    user = signed_in_user(request)
    status = mfa.second_factor_status(user)
    if not status.totp:
        return redirect("mfa_setup")
    if request.method == "POST":
        codes = mfa.recovery_codes_regenerate(user=user)
        return render(
            request,
            "account/recovery_codes_new.html",
            {"codes": codes, "next": _security_page(), "first_time": False},
        )
    return render(request, "account/recovery_codes.html", {"status": status})


@never_cache
@login_required
def remove(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off, with a current code, for a user whose role allows it."""
    user = signed_in_user(request)
    if mfa.mfa_required(user):
        raise PermissionDenied("Your role requires two-factor sign-in: it cannot be removed.")
    if not mfa.has_confirmed_device(user):
        return redirect(_security_page())
    form = CodeForm(request.POST or None)
    context = {"form": form}
    template = "account/two_factor_remove.html"
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    check = mfa.code_check(user=user, code=form.cleaned_data["code"])
    if check.refusal:
        return _refused(request, template, context, check.refusal)
    mfa.second_factor_remove(user=user)
    messages.success(request, "Two-factor sign-in is off. Sign-in takes your password only.")
    return redirect(_security_page())


# ----------------------------------------------------------------------------- middleware


@cache
def _exempt_paths() -> frozenset[str]:
    """The pages an unverified session may reach: the second step itself, and signing out."""
    return frozenset(reverse(name) for name in ("mfa_verify", "mfa_setup", "logout"))


def _exempt_prefixes() -> tuple[str, ...]:
    return ("/healthz", "/favicon.ico", "/" + settings.STATIC_URL.lstrip("/"))


def _token_authenticated(request: HttpRequest) -> bool:
    """An API call carrying a token (knox's ``Authorization: Token ...``): knox authenticates
    it before the session is looked at, and a token is issued only after its code."""
    words = request.headers.get("Authorization", "").split()
    return bool(words) and words[0].lower() == "token"


CLEAR_KEY = "_mfa_clear_until"
CLEAR_SECONDS = 60


class SecondFactorMiddleware:
    """Holds a signed-in browser session that has not passed its second factor at the verify
    page (a user with a device) or the setup page (a user whose role requires one and who has
    none). Covers every page, the Django admin included; a session-authenticated API call is
    refused with 403 ``mfa_required``. A user without a device whose role does not require
    one passes untouched. Placed after django-otp's OTPMiddleware, which tells whether the
    session is verified.

    Also puts ``request.second_factor`` (the status, read only when used) on the request, for
    the security page's second-factor section."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        status = SimpleLazyObject(
            lambda: mfa.second_factor_status(user) if user.is_authenticated else None
        )
        setattr(request, "second_factor", status)  # noqa: B010  # HttpRequest has no such field
        return self.hold(request) or self.get_response(request)

    def hold(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        path = request.path_info
        if request.path in _exempt_paths() or path.startswith(_exempt_prefixes()):
            return None
        api = path.startswith("/api/")
        if api and _token_authenticated(request):
            return None
        # A session found to owe nothing (no device, no role that requires one) is not asked
        # again for a minute: a page saves the device query. A device set up here verifies
        # the session at once; one added or a role changed elsewhere applies within a minute.
        session = getattr(request, "session", None)
        now = int(time.time())
        if session is not None and session.get(CLEAR_KEY, 0) > now:
            return None
        step = mfa.pending_step(user)
        if step is None:
            if session is not None and not mfa.session_verified(user):
                session[CLEAR_KEY] = now + CLEAR_SECONDS
            return None
        if api:
            return JsonResponse(
                {
                    "code": "mfa_required",
                    "detail": "This session has not passed its second factor: sign in again "
                    "in the browser with your code, or use an API token.",
                },
                status=403,
            )
        target = reverse("mfa_verify" if step == "verify" else "mfa_setup")
        if request.method == "GET":
            # The path only: a query string can carry search terms (patient names).
            target += "?" + urlencode({"next": request.path})
        # The header itself: django-htmx's middleware comes later than this one.
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(target)  # a full page, not a swapped fragment
        return redirect(target)
