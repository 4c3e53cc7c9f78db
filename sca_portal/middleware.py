"""Sliding idle sessions without a write on every request, and the access log's one write per
request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from cases.services.audit import access_log_write
from core.access import client_ip, phi_reads
from core.auth import signed_in_user
from core.refusals import plain_refusal

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
    return plain_refusal(request, 503, "access_log_unavailable", detail, retry_after=30)


class ApiNoStoreMiddleware:
    """Every answer under /api/ carries patient data or could: ``Cache-Control: no-store``, so
    no browser or proxy keeps a copy, errors (404, 500, a middleware's refusal) included.
    Placed right after SecurityMiddleware, so it sees the others' answers. A download's
    "private, no-store" stays as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            cache_control = response.get("Cache-Control", "")
            if "no-store" not in cache_control:
                response["Cache-Control"] = (
                    f"{cache_control}, no-store" if cache_control else "no-store"
                )
        return response


DATABASE_BUSY_DETAIL = "The database is busy just now. Try again in a few seconds."


class DatabaseBusyMiddleware:
    """A page whose database is locked (SQLite: a write waited past its timeout) or unreachable
    answers 503 with Retry-After, not a 500: the request may simply be tried again. The API's
    views answer the same through ``core.api.exception_handler``; this covers the pages and
    what reaches past DRF."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import OperationalError  # appended block: the file's imports are shared

        if not isinstance(exception, OperationalError):
            return None
        return database_busy_response(request, exception)


def database_busy_response(request: HttpRequest, exception: Exception) -> HttpResponse:
    """503 with Retry-After for a locked or unreachable database: from a view (the middleware
    above) or from anywhere else in the request, a middleware's session or device query
    included (``sca_portal.views.server_error``, the 500 handler)."""
    # The class only: a driver's message can quote the statement and its values.
    logger.warning("database unavailable (%s): answered 503", type(exception).__name__)
    # Plain text on the pages: a template's context processors would query the same database.
    return plain_refusal(request, 503, "database_busy", DATABASE_BUSY_DETAIL, retry_after=5)
