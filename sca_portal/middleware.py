"""Sliding idle sessions without a write on every request, and the access log's one write per
request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse

from cases.services.audit import access_log_write
from core.access import client_ip, phi_reads
from core.auth import signed_in_user

logger = logging.getLogger(__name__)

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


class AccessLogMiddleware:
    """Writes the patient-data reads a request noted (``core.access.phi_read``) to the access
    log before the answer leaves. A read that cannot be logged is not served: the answer is
    replaced by a 503 (the body, which carries the data, is dropped unsent). Placed after the
    authentication middleware, so the user is known."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        reads = phi_reads(request)
        if not reads:
            return response
        match = request.resolver_match
        try:
            access_log_write(
                user=signed_in_user(request),
                reads=reads,
                route=match.view_name if match else "",
                method=request.method or "",
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except (DatabaseError, PermissionDenied):
            logger.exception("access log write failed: the read was refused")
            if hasattr(response, "close"):
                response.close()  # a file response's open file
            return unlogged_refusal(request)
        return response


def unlogged_refusal(request: HttpRequest) -> HttpResponse:
    """503: the read happened but could not be logged, so its answer is withheld."""
    detail = "The access log cannot be written just now, so nothing is shown. Try again shortly."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "access_log_unavailable", "detail": detail}, status=503
        )
    else:
        response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response
