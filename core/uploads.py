"""The upload limit, held while the body streams in.

The services check an uploaded file's size (``UPLOAD_MAX_BYTES``) once it is in; by then all
of it has been spooled to memory or disk. ``LimitedUploadHandler`` (first in
``FILE_UPLOAD_HANDLERS``) stops spooling a file at the chunk that crosses the limit:
- in the API it stops the parser, and ``UploadTooLarge`` is answered by
  ``core.api.exception_handler`` with a 400 saying "The file is larger than 10 MB.", the words
  the services use, never a 500;
- on a page it skips that file (the rest of it is read and dropped, never kept) and parses the
  other fields, and an ``OversizeUpload`` stands in for the file, so the form's own size check
  refuses it beside its field with the typed input kept.
A body longer than any allowed (``request_max_bytes``) is refused before it is read, on both.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
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


class OversizeUpload(UploadedFile):
    """Stands in for a file a page's upload skipped for its size: no content, and a size past
    the limit (the bytes seen when it was skipped), so every size check refuses it."""

    def __init__(self, *, field: str, name: str, size: int, content_type: str | None) -> None:
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)
        self.field = field


OVERSIZE_ATTR = "_oversize_uploads"


class LimitedUploadHandler(FileUploadHandler):
    """Refuses a body longer than ``request_max_bytes()`` before reading it, and a file over
    ``UPLOAD_MAX_BYTES`` at the chunk that crosses the limit (StopUpload: the rest is neither
    read nor spooled). The refusal is raised once the parser has closed its files, from
    ``upload_complete``."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = int(settings.UPLOAD_MAX_BYTES)
        self.refused_field: str | None = None
        self.in_api = request is not None and request.path.startswith("/api/")
        self.skipped: list[OversizeUpload] = []

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
            if self.in_api:
                self.refused_field = self.field_name
                raise StopUpload(connection_reset=True)
            self.skipped.append(
                OversizeUpload(
                    field=self.field_name,
                    name=self.file_name or "upload",
                    size=start + len(raw_data),
                    content_type=self.content_type,
                )
            )
            raise SkipFile  # the parser drops the rest of it and goes on with the fields
        return raw_data  # the next handler (memory or temporary file) keeps it

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file

    def upload_complete(self) -> None:
        if self.refused_field is not None:
            raise UploadTooLarge(self.refused_field, self.limit)
        if self.skipped and self.request is not None:
            self.request.__dict__[OVERSIZE_ATTR] = self.skipped


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
            for upload in request.__dict__.get(OVERSIZE_ATTR, []):
                request.FILES.appendlist(upload.field, upload)
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
