"""File responses for documents and consent scans, shared by the API and the pages: the read
is written to the access log, and the file is never cached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import FileResponse

from .models import Consent, Document
from .services.audit import access_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _private(response: FileResponse) -> FileResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(user: User, document: Document) -> FileResponse:
    """The ready PDF (the caller checks that it is ready)."""
    access_record(user=user, action="download_document", obj=document)
    return _private(
        FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.download_name,
            content_type="application/pdf",
        )
    )


def consent_response(user: User, consent: Consent) -> FileResponse:
    """The signed scan, named by the consent's id, never by the uploaded (patient) name."""
    access_record(user=user, action="download_consent", obj=consent)
    ext = (consent.file.name or "").rsplit(".", 1)[-1]  # the caller checks there is a scan
    return _private(
        FileResponse(
            consent.file.open("rb"), as_attachment=True, filename=f"consent-{consent.pk}.{ext}"
        )
    )
