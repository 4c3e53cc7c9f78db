"""File responses for documents and consent scans, shared by the API and the pages: the read
is written to the access log, and the file is never cached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import FileResponse

from .models import CaseAttachment, Consent, Document, FileType, ProviderDocument
from .services.audit import access_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


CONTENT_TYPES: dict[str, str] = {
    FileType.PDF: "application/pdf",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
}


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


def attachment_response(user: User, attachment: CaseAttachment) -> FileResponse:
    """A case's clinical attachment, named by the case, kind and id (``download_name``), never
    by the uploaded (patient) name."""
    access_record(user=user, action="download_attachment", obj=attachment)
    return _private(
        FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.download_name,
            content_type=CONTENT_TYPES[attachment.file_type],
        )
    )


def provider_document_response(user: User, document: ProviderDocument) -> FileResponse:
    """A provider's or practice's document (a credential, a W-9, ...)."""
    access_record(user=user, action="download_credential", obj=document)
    kind = document.kind.replace("_", "-")
    return _private(
        FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"credential-{kind}-{document.pk}.{document.file_type}",
            content_type=CONTENT_TYPES[document.file_type],
        )
    )
