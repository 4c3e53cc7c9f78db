"""A create that must not happen twice (DESIGN.md rule 12): the API's ``Idempotency-Key`` and
the browser's one-time form token claim a row before the create runs and record its answer
after, so a repeated request (a retry, a double click, Back and save) gets the first answer
instead of a second record.

The claim is committed in its own transaction before the create starts: a duplicate arriving
meanwhile, on another connection, finds it (the unique constraint on (user, method, path, key)
decides which of two simultaneous first requests wins)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import IdempotentRequest
from core.exceptions import DomainError, conflict

if TYPE_CHECKING:
    from django.contrib.auth.models import User

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
# Fields that are not the request's content: the CSRF token and the form token change with
# each rendering, and a confirmation of a duplicate repeats the same create.
UNHASHED_FIELDS = frozenset({"csrfmiddlewaretoken", "_once", "confirm_duplicate"})
# A claim still running after this long was abandoned (its process died): it is taken over.
ABANDONED_AFTER = dt.timedelta(minutes=5)
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Claim:
    """``row`` is this request's claim when ``first``; otherwise the first request's, finished
    (its ``status_code`` and ``response_body`` or ``location`` are the answer to repeat)."""

    row: IdempotentRequest
    first: bool


def request_digest(fields: Iterable[tuple[str, object]]) -> str:
    """The sha256 of a request's content: its (name, value) pairs in a canonical order, the
    tokens left out. A file is given as its own digest by the door."""
    kept = sorted(
        ((name, value) for name, value in fields if name not in UNHASHED_FIELDS),
        key=lambda item: item[0],
    )
    text = json.dumps(kept, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> str:
    """The key as sent, or 400 naming the header (an empty one, or one too long to store)."""
    key = key.strip()
    if not key:
        raise ValidationError({HEADER: "Send a non-empty key, or leave the header out."})
    if len(key) > KEY_MAX_LENGTH:
        raise ValidationError({HEADER: f"Keep the key to {KEY_MAX_LENGTH} characters."})
    if not key.isprintable():  # a NUL cannot be stored, nor should any control character
        raise ValidationError({HEADER: "Use printable characters only."})
    return key


def _expired_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_HOURS)


def _insert(*, user: User, method: str, path: str, key: str, body_sha256: str) -> bool:
    """True when this request's claim is now committed; False when another holds the key."""
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(
                user=user, method=method, path=path, key=key, body_sha256=body_sha256
            )
    except IntegrityError:
        return False
    return True


def idempotency_claim(
    *,
    user: User,
    method: str,
    path: str,
    key: str,
    body_sha256: str,
    same_body: bool = True,
    wait_seconds: float = 0,
) -> Claim:
    """Claim ``key`` for this (user, method, path). The first request gets its own claim
    (``first``); a repeat gets the first one's finished answer. Refused: a repeat with another
    body (422 ``idempotency_key_reused``, unless ``same_body`` is False: a browser form may be
    changed before it is saved again, and the record was made all the same) and a repeat while
    the first is still running, after waiting up to ``wait_seconds`` for it (409
    ``idempotency_in_progress``). A claim older than IDEMPOTENCY_HOURS counts as gone."""
    key = check_key(key)
    path = path[:300]
    scope: dict[str, object] = {"user": user, "method": method, "path": path, "key": key}
    deadline = time.monotonic() + wait_seconds
    while True:
        if _insert(user=user, method=method, path=path, key=key, body_sha256=body_sha256):
            return Claim(row=IdempotentRequest.objects.get(**scope), first=True)
        row = IdempotentRequest.objects.filter(**scope).first()
        if row is None:  # the first request failed and freed the key meanwhile
            continue
        if row.created_at < _expired_before() or (
            row.status_code is None and row.created_at < timezone.now() - ABANDONED_AFTER
        ):
            IdempotentRequest.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if same_body and row.body_sha256 != body_sha256:
            raise DomainError(
                code="idempotency_key_reused",
                detail="This Idempotency-Key was used for a request with another body; use a "
                "new key for a new request.",
                status=422,
            )
        if row.status_code is not None:
            return Claim(row=row, first=False)
        if time.monotonic() >= deadline:
            raise conflict(
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed; send it again "
                "in a moment to get its answer.",
            )
        time.sleep(POLL_SECONDS)


def idempotency_complete(
    *,
    claim: Claim,
    status_code: int,
    response_body: object = None,
    location: str = "",
) -> None:
    """Keep the first request's successful answer for its repeats. ``location`` is a path
    (``/cases/12/``), never anything with patient data in it."""
    IdempotentRequest.objects.filter(pk=claim.row.pk).update(
        status_code=status_code, response_body=response_body, location=location[:300]
    )


def idempotency_release(*, claim: Claim) -> None:
    """The first request failed: the key is free for the next attempt."""
    IdempotentRequest.objects.filter(pk=claim.row.pk, status_code__isnull=True).delete()


def idempotency_sweep() -> int:
    """Delete the claims older than IDEMPOTENCY_HOURS (hourly, from beat)."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=_expired_before()).delete()
    return deleted
