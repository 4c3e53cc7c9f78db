"""The upload limit, held while the body streams in.

The services check an uploaded file's size (``UPLOAD_MAX_BYTES``) once it is in; by then all
of it has been spooled to memory or disk. ``LimitedUploadHandler`` (first in
``FILE_UPLOAD_HANDLERS``) stops the multipart parser as soon as a request or a file is too
large, and ``UploadTooLarge`` carries the refusal out to the page (``UploadLimitMiddleware``)
or the API (``core.api.exception_handler``): a 400 saying "The file is larger than 10 MB.",
the words the services use, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

# Room in a multipart body for its boundaries and part headers, past the file and the fields.
MULTIPART_OVERHEAD = 64 * 1024
MB = 1024 * 1024


def size_label(size: int) -> str:
    """10485760 -> "10 MB", 2621440 -> "2.5 MB", 1024 -> "1 KB"."""
    for unit, scale in (("MB", MB), ("KB", 1024)):
        if size >= scale:
            return f"{round(size / scale, 1):g} {unit}"
    return f"{size} bytes"


def too_large_message(limit: int | None = None) -> str:
    """The one wording of the refusal, for the services' checks and for the parser's."""
    size = settings.UPLOAD_MAX_BYTES if limit is None else limit
    return f"The file is larger than {size_label(size)}."


def request_max_bytes() -> int:
    """The longest multipart body: one file at the limit, the form's other fields (at most
    DATA_UPLOAD_MAX_MEMORY_SIZE, which Django holds them to) and the multipart framing."""
    fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return int(settings.UPLOAD_MAX_BYTES) + fields + MULTIPART_OVERHEAD


class UploadTooLarge(MultiPartParserError):
    """A request or one of its files is over the limit. A MultiPartParserError, so that where
    nothing maps it Django still answers 400 (and DRF a ParseError), never 500."""

    def __init__(self, field: str | None, limit: int) -> None:
        self.field = field  # None: refused on Content-Length, before any part was read
        self.limit = limit
        super().__init__(too_large_message(limit))


class LimitedUploadHandler(FileUploadHandler):
    """Refuses a body longer than ``request_max_bytes()`` before reading it, and a file over
    ``UPLOAD_MAX_BYTES`` at the chunk that crosses the limit (StopUpload: the rest is neither
    read nor spooled). The refusal is raised once the parser has closed its files, from
    ``upload_complete``."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = int(settings.UPLOAD_MAX_BYTES)
        self.refused_field: str | None = None

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > request_max_bytes():
            raise UploadTooLarge(None, self.limit)
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.refused_field = self.field_name
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handler (memory or temporary file) keeps it

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file

    def upload_complete(self) -> None:
        if self.refused_field is not None:
            raise UploadTooLarge(self.refused_field, self.limit)


def upload_refusal(exc: BaseException) -> UploadTooLarge | None:
    """The UploadTooLarge behind ``exc``: itself, or the one DRF's parser turned into a
    ParseError (``raise ParseError(...)`` inside its ``except``)."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if isinstance(candidate, UploadTooLarge):
            return candidate
    return None


def content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class UploadLimitMiddleware:
    """Pages: parses a multipart POST before CsrfViewMiddleware does (it reads the form's token
    from the body), so that a refused upload is answered here with its message. API: refuses a
    body longer than DATA_UPLOAD_MAX_MEMORY_SIZE that is not multipart, before it is read (DRF
    parses JSON from the stream, past Django's own check on ``request.body``). Placed before
    CsrfViewMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if (
            request.path.startswith("/api/")
            and request.content_type != "multipart/form-data"
            and limit is not None
            and content_length(request) > limit
        ):
            detail = f"The request body is larger than {size_label(limit)}."
            return JsonResponse({"code": "too_large", "detail": detail}, status=413)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if (
            request.method != "POST"
            or request.content_type != "multipart/form-data"
            or request.path.startswith("/api/")  # the API maps it in core.api
        ):
            return None
        try:
            request.POST  # noqa: B018  (parses the body, files included)
        except UploadTooLarge as exc:
            return render(
                request,
                "refusal.html",
                {
                    "title": "File too large",
                    "message": str(exc),
                    "back_url": request.path,
                    "back_label": "Back to the form",
                },
                status=400,
            )
        return None
