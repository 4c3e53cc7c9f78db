"""File responses for documents, consent scans, attachments and provider documents, shared by
the API and the pages: the read is written to the access log, and the file is never cached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import FileResponse

from core.access import phi_read

from .models import CaseAttachment, Consent, Document, FileType, ProviderDocument

if TYPE_CHECKING:
    from django.http import HttpRequest


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
) -> FileResponse:
    """The stored file as an attachment named ``filename`` (never the uploaded, patient, name),
    the read written to the access log first, never cached."""
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
    response = FileResponse(
        obj.file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(request: HttpRequest, document: Document) -> FileResponse:
    """The ready PDF (the caller checks that it is ready)."""
    return _file(request, "download_document", document, document.download_name, "application/pdf")


def consent_response(request: HttpRequest, consent: Consent) -> FileResponse:
    """The signed scan (the caller checks there is one), named by the consent's id."""
    ext = (consent.file.name or "").rsplit(".", 1)[-1]
    return _file(request, "download_consent", consent, f"consent-{consent.pk}.{ext}")


def attachment_response(request: HttpRequest, attachment: CaseAttachment) -> FileResponse:
    """A case's clinical attachment, named by the case, kind and id (``download_name``)."""
    content_type = CONTENT_TYPES[attachment.file_type]
    return _file(request, "download_attachment", attachment, attachment.download_name, content_type)


def provider_document_response(request: HttpRequest, document: ProviderDocument) -> FileResponse:
    """A provider's or practice's document (a credential, a W-9, ...)."""
    kind = document.kind.replace("_", "-")
    name = f"credential-{kind}-{document.pk}.{document.file_type}"
    return _file(request, "download_credential", document, name, CONTENT_TYPES[document.file_type])
