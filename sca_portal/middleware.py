"""Sliding idle sessions without a write on every request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REFRESHED_KEY = "_idle_refreshed"


class SlidingSessionMiddleware:
    """A browser session ends after SESSION_IDLE_MINUTES without activity. Instead of saving
    every session on every request (SESSION_SAVE_EVERY_REQUEST: a write per page view), the
    expiry moves forward at most once per SESSION_REFRESH_SECONDS, so the idle timeout is
    exact to within that. Placed after SessionMiddleware, so its change is saved."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only sessions this request read (signed-in browsers); API tokens carry none.
        if session is not None and session.accessed and session.session_key:
            now = int(time.time())
            if now - session.get(REFRESHED_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_KEY] = now  # modified: SessionMiddleware saves it
        return response
