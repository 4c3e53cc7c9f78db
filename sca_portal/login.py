"""The sign-in form, rate-limited per client address and per username.

django-axes locks a username at an address out after repeated failures; it does not slow a
guesser who spreads attempts over many usernames from one address, or over many addresses
against one username. These two counters do: LOGIN_RATE_PER_IP sign-in POSTs per address
(``core.access.client_ip``, which honours PROXY_COUNT) and LOGIN_RATE_PER_USER per username,
counted in Django's cache (shared by the web processes when CACHE_URL is Redis), like DRF's
throttles. Over either, the answer is a 429 that reads the same whether the user exists.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.access import client_ip

THROTTLED_MESSAGE = "Too many sign-in attempts. Wait a minute and try again."
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's notation: "20/min" -> (20, 60); the period's first letter counts."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


def over_rate(key: str, rate: str) -> bool:
    """Counts one attempt for ``key`` in the current window of the rate's period; true once
    the count passes the rate. A fixed window: cache.incr is atomic in Redis and in the
    per-process cache, where DRF's read-modify-write history list is not."""
    limit, period = parse_rate(rate)
    window_key = f"login-rate:{key}:{int(time.time() // period)}"
    cache.add(window_key, 0, timeout=period)
    try:
        count = cache.incr(window_key)
    except ValueError:  # expired between add and incr
        cache.set(window_key, 1, timeout=period)
        count = 1
    return count > limit


def _user_key(username: str) -> str:
    # Hashed: the key stays short and of safe characters whatever was typed; one counter
    # however the name is cased.
    return "user:" + hashlib.sha256(username.strip().casefold().encode()).hexdigest()


def username_over_rate(username: str) -> bool:
    """Whether ``username`` already failed LOGIN_RATE_PER_USER times in this window (read,
    not counted: only failures count, so a user who signs in often is never locked out)."""
    limit, period = parse_rate(settings.LOGIN_RATE_PER_USER)
    count = cache.get(f"login-rate:{_user_key(username)}:{int(time.time() // period)}", 0)
    return int(count) >= limit


def sign_in_failed(username: str) -> None:
    """A wrong password for ``username`` (the sign-in form and the token endpoint share it)."""
    over_rate(_user_key(username), settings.LOGIN_RATE_PER_USER)


def sign_in_throttled(request: HttpRequest) -> bool:
    """Counts this sign-in POST against its address (every attempt) and says whether the
    address is over its rate or the username has failed too often (``sign_in_failed``)."""
    over_ip = over_rate(f"ip:{client_ip(request) or 'unknown'}", settings.LOGIN_RATE_PER_IP)
    return over_ip or username_over_rate(request.POST.get("username", ""))


class ThrottledLoginView(LoginView):
    """Django's LoginView (which passes ``request`` to authenticate, as django-axes needs),
    with the two rate limits in front of its POST."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if sign_in_throttled(request):
            response = render(
                request,
                "refusal.html",
                {
                    "title": "Too many sign-in attempts",
                    "message": THROTTLED_MESSAGE,
                    "back_url": reverse("login"),
                    "back_label": "Back to sign in",
                },
                status=429,
            )
            rates = (settings.LOGIN_RATE_PER_IP, settings.LOGIN_RATE_PER_USER)
            response["Retry-After"] = str(max(parse_rate(rate)[1] for rate in rates))
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        sign_in_failed(self.request.POST.get("username", ""))
        return super().form_invalid(form)
