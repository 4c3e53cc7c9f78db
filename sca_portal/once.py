"""The one-time form token on the pages (DESIGN.md rule 12). static/js/once.js gives every
rendered form that posts a hidden ``_once``; a signed-in POST that carries one claims (user,
"POST", path, token) before its view runs. When the first post with that token answered with a
redirect (a 3xx, or htmx's HX-Redirect), a repeat (a double click, Back and Save again) is
answered with the same redirect and "Already saved." instead of running the view again: no
second record. A repeat that arrives while the first is still running waits for it (up to
``WAIT_SECONDS``). A first answer that was not a redirect (the form re-rendered with its errors)
frees the token, so the corrected form can be sent. The API has its own ``Idempotency-Key``
(cases/api/idempotency.py).

Placed after MessageMiddleware (a repeat says "Already saved.") and after the second-factor
middleware (a session held there never claims); the claim is made in ``process_view``, after
CSRF's check."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from cases.services.idempotency import (
    Claim,
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    request_digest,
)
from core.exceptions import DomainError

logger = logging.getLogger(__name__)

FIELD = "_once"
WAIT_SECONDS = 10.0
ATTR = "_sca_once_claim"


def _redirect_to(response: HttpResponse) -> str:
    """The path a response sends the browser to, or "" when it is not a local redirect. Only a
    path is kept (``/cases/12/services/``): ids, never patient data."""
    if "HX-Redirect" in response:
        location = response["HX-Redirect"]
    elif 300 <= response.status_code < 400 and "Location" in response:
        location = response["Location"]
    else:
        return ""
    if not location.startswith("/") or location.startswith("//"):
        return ""
    return location


def _replay(request: HttpRequest, claim: Claim) -> HttpResponse:
    messages.info(request, "Already saved.")
    location = claim.row.location
    if request.headers.get("HX-Request"):  # htmx follows HX-Redirect, not a 302's page
        response = HttpResponse(status=204)
        response["HX-Redirect"] = location
        return response
    return HttpResponseRedirect(location)


class OnceTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        claim: Claim | None = request.__dict__.pop(ATTR, None)
        if claim is not None:
            location = _redirect_to(response)
            if location:
                idempotency_complete(
                    claim=claim, status_code=response.status_code, location=location
                )
            else:
                idempotency_release(claim=claim)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.method != "POST" or request.path.startswith("/api/"):
            return None
        user = getattr(request, "user", None)
        token = request.POST.get(FIELD)
        if not token or user is None or not user.is_authenticated:
            return None
        try:
            claim = idempotency_claim(
                user=user,
                method="POST",
                path=request.path,
                key=token,
                body_sha256=request_digest(
                    (name, value) for name, values in request.POST.lists() for value in values
                ),
                # Back, a changed field and Save again: the record was made all the same.
                same_body=False,
                wait_seconds=WAIT_SECONDS,
            )
        except ValidationError:  # a token no browser of ours makes: the post runs as sent
            return None
        except DomainError:  # the first is still running after the wait
            logger.warning("form token still running after %.0f s", WAIT_SECONDS)
            response = HttpResponse(
                "This form is still being saved. Reload the page in a moment.",
                status=409,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "5"
            return response
        if not claim.first:
            return _replay(request, claim)
        request.__dict__[ATTR] = claim
        return None
