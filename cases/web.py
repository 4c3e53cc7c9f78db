"""What every browser view shares: the current practice, the role check, and turning a
service's refusal into form errors (the HTML side of DESIGN.md section 3, house rule 2)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control
from django_htmx.middleware import HtmxDetails

from .models import Practice
from .permissions import can, user_roles

SESSION_KEY = "practice_id"


class HtmxHttpRequest(HttpRequest):
    """A request as the views see it: django_htmx's middleware (settings.MIDDLEWARE) adds
    ``htmx``. For annotations only; Django never builds this class."""

    htmx: HtmxDetails


def current_practice_id(request: HttpRequest) -> int | None:
    """The practice the user is working in: the one chosen in the switcher if they still
    belong to it, else their first practice by name."""
    roles = user_roles(request.user)
    if not roles:
        return None
    chosen = request.session.get(SESSION_KEY)
    if chosen in roles:
        return chosen
    first = (
        Practice.objects.filter(id__in=roles.keys()).order_by("name").values_list("id", flat=True)
    ).first()
    request.session[SESSION_KEY] = first  # remembered: later requests skip this query
    return first


class PracticeMixin(LoginRequiredMixin):
    """Signed in, a member of a practice, with the role ``role_action`` needs there
    (ACTION_ROLES).

    Objects are looked up through the selectors (any of the user's practices), so another
    practice's object is a 404; lists show the current practice only.
    """

    role_action = "case"
    request: HttpRequest  # set by View.setup before dispatch
    practice_id: int
    role: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        practice_id = current_practice_id(request)
        if practice_id is None:
            raise PermissionDenied("You are not a member of any practice.")
        self.practice_id = practice_id
        if not can(request.user, self.practice_id, self.role_action):
            raise PermissionDenied("Your role does not allow this page.")
        self.role = user_roles(request.user)[self.practice_id]
        response = super().dispatch(request, *args, **kwargs)
        # Pages of patient data never stay in the browser's cache (the Back button after
        # signing out) or in a shared proxy.
        patch_cache_control(response, private=True, no_store=True)
        return response

    def require(self, practice_id: int, action: str) -> None:
        """For an object of possibly another of the user's practices."""
        if not can(self.request.user, practice_id, action):
            raise PermissionDenied("Your role does not allow this.")


def htmx_done(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """Go to the next step: htmx follows HX-Redirect, a plain form a 302."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
