"""The API's ``Idempotency-Key`` on POST creates (DESIGN.md rule 12): a client that sends a
create again with the same key (a retry after a timeout) gets the first answer, status and
body, instead of a second record; the same key with another body is 422
``idempotency_key_reused``; a repeat while the first is still running is 409
``idempotency_in_progress`` (send it again in a moment to get the answer: waiting would hold a
worker). Keys are scoped per (user, method, path) and kept IDEMPOTENCY_HOURS; only a
successful (2xx) answer is kept, so a refused first attempt frees its key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.files.uploadedfile import UploadedFile
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.response import Response

from cases.services.idempotency import (
    HEADER,
    Claim,
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    request_digest,
)
from core.access import LogsPhiReads
from core.api import JSONEncoder
from core.auth import signed_in_user

from .common import ViewSetBase

if TYPE_CHECKING:
    from rest_framework.request import Request

IDEMPOTENCY_KEY = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional, at most 255 characters (a UUID is a good key). Sending the same "
    "create again with the same key within 24 hours answers the first response (status and "
    "body) without making a second record; the same key with another body is 422 "
    "`idempotency_key_reused`; while the first is still running, 409 "
    "`idempotency_in_progress`. Keys are per user, method and path; a failed first attempt "
    "frees its key.",
)


class _Replay(Exception):
    """Carries a repeated request's first answer from ``initial`` to ``handle_exception``."""

    def __init__(self, claim: Claim) -> None:
        super().__init__("replay")
        self.claim = claim


def _fields(data: Any) -> Iterator[tuple[str, object]]:
    """A request's content as (name, value) pairs; an uploaded file as its sha256."""
    if hasattr(data, "lists"):  # a form or multipart body (a QueryDict)
        pairs = [(name, value) for name, values in data.lists() for value in values]
    elif isinstance(data, Mapping):
        pairs = list(data.items())
    else:  # a JSON list or scalar
        pairs = [("", data)]
    for name, value in pairs:
        if isinstance(value, UploadedFile):
            digest = hashlib.sha256()
            for chunk in value.chunks():
                digest.update(chunk)
            value.seek(0)
            yield name, f"file:{digest.hexdigest()}"
        else:
            yield name, value


class IdempotentCreateMixin(ViewSetBase):
    """Put first among a view set's bases. ``idempotent_actions`` are the view set's POSTs that
    make a record; each gets the header in the OpenAPI schema."""

    idempotent_actions: ClassVar[tuple[str, ...]] = ("create",)
    _idempotency: Claim | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        documented = {
            name: extend_schema(parameters=[IDEMPOTENCY_KEY])
            for name in cls.idempotent_actions
            if hasattr(cls, name)
        }
        extend_schema_view(**documented)(cls)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # signed in, allowed: then the claim
        self._idempotency = None
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or self.action not in self.idempotent_actions:
            return
        claim = idempotency_claim(
            user=signed_in_user(request),
            method="POST",
            path=request.path,
            key=key,
            body_sha256=request_digest(_fields(request.data)),
        )
        if not claim.first:
            raise _Replay(claim)
        self._idempotency = claim

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            if not self._still_visible(exc.claim.row.response_body):
                return super().handle_exception(Http404())
            return self._replay(exc.claim)
        self._release()  # before DRF answers, or re-raises what it cannot answer
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Response:
        claim, self._idempotency = self._idempotency, None
        if claim is not None:
            if 200 <= response.status_code < 300:
                body = json.loads(json.dumps(response.data, cls=JSONEncoder))
                location = response.get("Location", "") if hasattr(response, "get") else ""
                idempotency_complete(
                    claim=claim,
                    status_code=response.status_code,
                    response_body=body,
                    location=location,
                )
            else:
                idempotency_release(claim=claim)
        return super().finalize_response(request, response, *args, **kwargs)

    def _release(self) -> None:
        claim, self._idempotency = self._idempotency, None
        if claim is not None:
            idempotency_release(claim=claim)

    def _still_visible(self, body: object) -> bool:
        """A replay shows the record again: only to someone who may still see where it was
        made (a member removed since, or a case since closed to them, gets 404)."""
        try:
            if "case_pk" in self.kwargs:
                getattr(self, "get_case")()  # noqa: B009  (CaseChildMixin's scoped lookup)
            elif self.kwargs.get(self.lookup_url_kwarg or self.lookup_field) is not None:
                self.get_object()
            elif isinstance(body, dict) and "id" in body:
                return self.get_queryset().filter(pk=body["id"]).exists()
        except Http404:
            return False
        return True

    def _replay(self, claim: Claim) -> Response:
        row = claim.row
        body = row.response_body
        if isinstance(self, LogsPhiReads) and isinstance(body, dict) and "id" in body:
            # The first answer shows the record again: a read of it, logged like one.
            self.note_phi(self.get_queryset().filter(pk=body["id"]))
        headers = {"Idempotent-Replayed": "true"}
        if row.location:
            headers["Location"] = row.location
        return Response(body, status=row.status_code, headers=headers)
