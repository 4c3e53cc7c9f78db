"""Project-level views: the health check, the dashboard and the practice switcher."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.permissions import user_roles

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # any failure means "down"; the reason goes to the log, not the client
        logger.warning("health check: database unreachable", exc_info=True)
        return False


def broker_ok() -> bool:
    from sca_portal.celery import app

    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("health check: broker unreachable", exc_info=True)
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok" if database_ok() else "down"}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = "ok" if broker_ok() else "down"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503
    )


# ----------------------------------------------------------------------------- browser


class PracticeSwitchView(LoginRequiredMixin, View):
    """Choose the practice to work in (users who belong to several)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        from cases.web import SESSION_KEY

        practice_id: int | None
        try:
            practice_id = int(request.POST.get("practice", ""))
        except ValueError:
            practice_id = None
        if practice_id not in user_roles(request.user):
            messages.error(request, "Choose one of your practices.")
        else:
            request.session[SESSION_KEY] = practice_id
        return redirect("dashboard")


from .dashboard import DashboardView  # noqa: E402,F401


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: a database locked or unreachable anywhere in the request (a
    middleware's session or device query, which no view's exception handling sees) is a 503
    with Retry-After, as in the views; anything else is Django's plain 500 page."""
    from django.db import OperationalError
    from django.views.defaults import server_error as django_server_error

    from .middleware import database_busy_response

    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError):
        return database_busy_response(request, exception)
    return django_server_error(request)
