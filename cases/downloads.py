"""File responses for documents, consent scans, attachments and provider documents, shared by
the API and the pages: the read is written to the access log, and the file is never cached.

The file is opened (from object storage: fetched) before the response is built, so that a fault
is answered whole, before any header of the file goes out: a file gone from the storage is a
404 ``file_missing`` and a line in the log for the operators, an unreachable storage a 503 with
Retry-After; never a 500, never a partial file. The access log keeps the attempt either way:
it records who asked for which record, and this user did; the operators' log says nothing was
served."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.http.response import HttpResponseBase

from core.access import phi_read
from core.storage import (
    bucket_reachable,
    file_missing_response,
    storage_fault,
    storage_unavailable_response,
)

from .models import CaseAttachment, Consent, Document, FileType, ProviderDocument

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

CONTENT_TYPES: dict[str, str] = {
    FileType.PDF: "application/pdf",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
}


def _file(
    request: HttpRequest,
    action: str,
    obj: Document | Consent | CaseAttachment | ProviderDocument,
    filename: str,
    content_type: str | None = None,
) -> HttpResponseBase:
    """The stored file as an attachment named ``filename`` (never the uploaded, patient, name),
    the read written to the access log first, never cached; or the refusal of a storage
    fault (404 file_missing, 503 storage_unavailable)."""
    if isinstance(obj, ProviderDocument):
        practice_id, pairs = obj.practice_id, []
    else:
        practice_id, pairs = obj.case.practice_id, [(obj.case.client_id, obj.case_id)]
    phi_read(
        request,
        practice_id=practice_id,
        pairs=pairs,
        action=action,
        obj=(type(obj).__name__.lower(), obj.pk),
    )
    try:
        stored = _opened(obj.file)
    except Exception as exc:
        fault = storage_fault(exc)
        if fault is None:
            raise
        # The record's type and id only: the key and the message could say more.
        record = type(obj).__name__
        if fault == "missing" and not bucket_reachable(obj.file.storage):
            fault = "unavailable"  # a wrong or deleted bucket, not this one file
        if fault == "missing":
            logger.warning("%s %s: its file is missing from the private storage", record, obj.pk)
            return file_missing_response(request)
        logger.warning(
            "%s %s: the private storage is unavailable (%s)", record, obj.pk, type(exc).__name__
        )
        return storage_unavailable_response(request)
    if not _as_recorded(stored, getattr(obj, "sha256", "")):
        stored.close()
        logger.warning(
            "%s %s: its stored file differs from its recorded sha256", type(obj).__name__, obj.pk
        )
        return file_missing_response(request)  # the file as recorded is not there
    response = FileResponse(
        stored, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _opened(file: FieldFile) -> FieldFile:
    """The file open at its start, its content in hand: on object storage, opening checks the
    object is there and the first seek fetches it (into memory, or a temporary file past the
    storage's max_memory_size), so the response never starts on a file it cannot finish."""
    file.open("rb")
    try:
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


def _as_recorded(stored: FieldFile, recorded: str) -> bool:
    """Whether the stored bytes are the ones the record's sha256 names (integrity, HIPAA
    §164.312(c)(1)): a truncated or altered object is never served as the document. Read
    from what opening already fetched; True when the record keeps no digest (consents)."""
    if not recorded:
        return True
    digest = hashlib.sha256()
    for chunk in stored.chunks():
        digest.update(chunk)
    stored.seek(0)
    return digest.hexdigest() == recorded


def document_response(request: HttpRequest, document: Document) -> HttpResponseBase:
    """The ready PDF (the caller checks that it is ready)."""
    return _file(request, "download_document", document, document.download_name, "application/pdf")


def consent_response(request: HttpRequest, consent: Consent) -> HttpResponseBase:
    """The signed scan (the caller checks there is one), named by the consent's id."""
    ext = (consent.file.name or "").rsplit(".", 1)[-1]
    return _file(request, "download_consent", consent, f"consent-{consent.pk}.{ext}")


def attachment_response(request: HttpRequest, attachment: CaseAttachment) -> HttpResponseBase:
    """A case's clinical attachment, named by the case, kind and id (``download_name``)."""
    content_type = CONTENT_TYPES[attachment.file_type]
    return _file(request, "download_attachment", attachment, attachment.download_name, content_type)


def provider_document_response(
    request: HttpRequest, document: ProviderDocument
) -> HttpResponseBase:
    """A provider's or practice's document (a credential, a W-9, ...)."""
    kind = document.kind.replace("_", "-")
    name = f"credential-{kind}-{document.pk}.{document.file_type}"
    return _file(request, "download_credential", document, name, CONTENT_TYPES[document.file_type])
