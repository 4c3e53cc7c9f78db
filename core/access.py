"""Reads of patient data, collected during a request and written to the access log once, by
``sca_portal.middleware.AccessLogMiddleware``, before the answer leaves; if the write fails
the answer is refused (503), never served unlogged.

A view or API that shows clients or cases calls ``phi_read`` with the ids it shows (a page
of a list: every row's ids). The request's client address is read here too, through the
proxies the deploy declares (``PROXY_COUNT``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

ATTR = "_phi_reads"


@dataclass
class PracticeRead:
    """What one request read of one practice's patient data."""

    action: str = "read"
    # (client_id, case_id): the pairs the answer carried, one subject row each.
    pairs: set[tuple[int | None, int | None]] = field(default_factory=set)
    # The single record read (a download): (type, id).
    obj: tuple[str, int] | None = None


def _http_request(request: HttpRequest) -> HttpRequest:
    # A DRF Request wraps the HttpRequest the middleware sees.
    return getattr(request, "_request", request)


def phi_read(
    request: HttpRequest,
    *,
    practice_id: int | None,
    pairs: Iterable[tuple[int | None, int | None]] = (),
    action: str = "read",
    obj: tuple[str, int] | None = None,
) -> None:
    """Note that this request shows patient data of ``practice_id``: the (client id, case id)
    ``pairs`` it carries (case id None for a client read alone). A more specific ``action``
    (a download, an export) replaces the generic "read"."""
    reads: dict[int | None, PracticeRead] = _http_request(request).__dict__.setdefault(ATTR, {})
    read = reads.setdefault(practice_id, PracticeRead())
    if action != "read":
        read.action = action
    if obj is not None:
        read.obj = obj
    for client_id, case_id in pairs:
        if client_id is None and case_id is None:
            continue
        read.pairs.add((client_id, case_id))


def phi_reads(request: HttpRequest) -> dict[int | None, PracticeRead]:
    """The reads noted so far, by practice (empty: the request showed no patient data)."""
    return _http_request(request).__dict__.get(ATTR, {})


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the socket's, or with ``PROXY_COUNT`` proxies in front the
    address the outermost trusted proxy appended to X-Forwarded-For (counted from the right:
    anything further left was written by the client and proves nothing)."""
    address = request.META.get("REMOTE_ADDR")
    proxies = settings.PROXY_COUNT
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


def phi_read_cases(request: HttpRequest, cases: Iterable[Any], *, action: str = "read") -> None:
    """The cases shown (anything with ``practice_id``, ``client_id`` and ``pk``)."""
    for case in cases:
        phi_read(
            request, practice_id=case.practice_id, pairs=[(case.client_id, case.pk)], action=action
        )


def phi_read_clients(request: HttpRequest, clients: Iterable[Any], *, action: str = "read") -> None:
    """The clients shown (anything with ``practice_id`` and ``pk``), no case of theirs."""
    for client in clients:
        phi_read(request, practice_id=client.practice_id, pairs=[(client.pk, None)], action=action)


class LogsPhiReads:
    """For a DRF view set whose answers carry patient data: every object it serves
    (``get_object``) and every page of a list (``paginate_queryset``) is noted for the access
    log: on reads, and on updates too, whose answer is the whole stored record (an empty PATCH
    would otherwise read it unlogged); not on a delete. The view set says which (practice,
    client, case) a row belongs to in ``phi_subject``."""

    request: Any
    phi_action = "read"

    def phi_subject(self, row: Any) -> tuple[int | None, int | None, int | None]:
        """(practice id, client id, case id) of one served row."""
        raise NotImplementedError

    def note_phi(self, rows: Iterable[Any]) -> None:
        if self.request.method == "DELETE":
            return
        for row in rows:
            practice_id, client_id, case_id = self.phi_subject(row)
            phi_read(
                self.request,
                practice_id=practice_id,
                pairs=[(client_id, case_id)],
                action=self.phi_action,
            )

    def get_object(self) -> Any:
        obj = super().get_object()  # type: ignore[misc]  # a mixin before a DRF GenericAPIView
        self.note_phi([obj])
        return obj

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]  # as above
        if page is not None:
            self.note_phi(page)
        return page
