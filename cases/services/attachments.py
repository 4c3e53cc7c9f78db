"""Clinical attachments on a case and the provider or practice documents insurers ask for in
every packet: each upload checked by its content (a packet can only merge a PDF that opens and
an image that decodes), stored privately under a random name, archived rather than deleted."""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from PIL import Image
from pypdf import PasswordType, PdfReader

from cases.models import (
    AttachmentKind,
    Case,
    CaseAttachment,
    CaseStatus,
    FileType,
    Practice,
    Provider,
    ProviderDocument,
    ProviderDocumentKind,
)
from core.exceptions import conflict
from core.uploads import too_large_message

from .case import lock_case, record_event
from .common import lock_row

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# What a file may be, by its first bytes (never by its name or the browser's content type).
MAGIC: dict[bytes, str] = {
    b"%PDF": FileType.PDF,
    b"\x89PNG\r\n\x1a\n": FileType.PNG,
    b"\xff\xd8\xff": FileType.JPEG,
}
PILLOW_FORMATS: dict[str, str] = {FileType.PNG: "PNG", FileType.JPEG: "JPEG"}
# No reviewer reads more; and page_count is a small integer.
PAGES_MAX = 2000
# A letter page scanned at 600 dpi is 34 million pixels; a 9400 x 9400 image decodes to 350 MB.
IMAGE_PIXELS_MAX = 40_000_000
IMAGE_ASPECT_MAX = 20  # a strip 20 times longer than wide is no page
# Closed cases are kept as they were sent; a denied case stays open (it may be appealed).
CLOSED_STATUSES = frozenset({CaseStatus.DECLINED, CaseStatus.WITHDRAWN, CaseStatus.EXPIRED})


@dataclass(frozen=True)
class CheckedFile:
    file_type: str
    page_count: int
    size_bytes: int
    sha256: str


# ----------------------------------------------------------------------------- the upload check


def file_type_of(upload: File[bytes], *, refusal: str) -> str:
    """PDF, PNG or JPEG judged by the first bytes, at most UPLOAD_MAX_BYTES; ``refusal`` says
    what to upload instead. A consent scan is checked this far (``validate_upload``)."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError({"file": too_large_message(limit)})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, file_type in MAGIC.items():
        if head.startswith(magic):
            return file_type
    raise ValidationError({"file": refusal})


def _pdf_pages(upload: File[bytes]) -> int:
    try:
        reader = PdfReader(upload)
        if reader.is_encrypted:
            # An empty user password opens many "protected" PDFs (printing or copying
            # restricted): those merge. Any other cannot go into a packet.
            try:
                opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
            except Exception:  # e.g. AES without a crypto library: cannot be merged either
                opened = False
            if not opened:
                raise ValidationError(
                    {
                        "file": "This PDF is encrypted with a password, so it cannot be merged "
                        "into a packet. Save or print it as an unprotected PDF and upload that."
                    }
                )
        pages = len(reader.pages)
        for page in reader.pages:  # each page must be readable, not just counted
            _ = page.mediabox
    except ValidationError:
        raise
    except Exception:  # pypdf raises many kinds on hostile or broken input
        pages = 0
    if pages < 1:
        raise ValidationError({"file": "This PDF cannot be opened: it is damaged or incomplete."})
    return pages


def _image_decodes(upload: File[bytes], file_type: str) -> None:
    decoded: str | None
    try:
        with warnings.catch_warnings():
            # A small file that expands to a huge bitmap is refused, not decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                size = image.size
                image.verify()
            if size[0] * size[1] > IMAGE_PIXELS_MAX or max(size) > IMAGE_ASPECT_MAX * min(size):
                decoded = "too large"
            else:
                upload.seek(0)
                with Image.open(upload) as image:  # verify() leaves the image unusable
                    image.load()
                    decoded = image.format
    except Exception:  # Pillow raises many kinds on broken input
        decoded = None
    finally:
        upload.seek(0)
    if decoded == "too large":
        raise ValidationError(
            {
                "file": f"This image is {size[0]} × {size[1]} pixels: scan the page at 300 dpi "
                f"or less (at most {IMAGE_PIXELS_MAX // 1_000_000} million pixels, a page's shape)."
            }
        )
    if decoded != PILLOW_FORMATS[file_type]:
        raise ValidationError({"file": "This image cannot be read: it is damaged or incomplete."})


def _sha256(upload: File[bytes]) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def file_check(upload: File[bytes]) -> CheckedFile:
    """What a packet can carry: a PDF that pypdf opens (not locked by a password) or a PNG or
    JPEG that decodes, at most UPLOAD_MAX_BYTES. Anything else, whatever its name, is refused
    on the ``file`` field and nothing is stored."""
    file_type = file_type_of(upload, refusal="Upload a PDF, PNG or JPEG file.")
    if file_type == FileType.PDF:
        page_count = _pdf_pages(upload)
        if page_count > PAGES_MAX:
            raise ValidationError({"file": f"The PDF has more than {PAGES_MAX} pages."})
    else:
        _image_decodes(upload, file_type)
        page_count = 1
    upload.seek(0)
    return CheckedFile(file_type, page_count, int(upload.size or 0), _sha256(upload))


def _attach(
    obj: CaseAttachment | ProviderDocument, upload: File[bytes], checked: CheckedFile
) -> None:
    obj.file_type = checked.file_type  # before the file: its stored name takes the type
    obj.page_count = checked.page_count
    obj.size_bytes = checked.size_bytes
    obj.sha256 = checked.sha256
    obj.full_clean(exclude=["file"])
    upload.name = f"upload.{checked.file_type}"  # the stored name is random (upload_to)
    obj.file = upload
    obj.save()


def _title(title: str, label: str) -> str:
    return (title or "").strip() or label


# ----------------------------------------------------------------------------- case attachments


def require_open(case: Case) -> None:
    if case.status in CLOSED_STATUSES:
        raise conflict(
            "case_closed",
            f"Attachments cannot change on a case that is {case.get_status_display().lower()}.",
        )


@transaction.atomic
def attachment_add(
    *, case_id: int, actor: User, kind: str, title: str, file: File[bytes]
) -> CaseAttachment:
    """Attach a clinical document. The same file uploaded again as the same kind returns the
    attachment already there (a repeated post makes no second record)."""
    checked = file_check(file)
    case = lock_case(case_id)
    require_open(case)
    existing = CaseAttachment.objects.filter(
        case=case, kind=kind, sha256=checked.sha256, archived_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    label = dict(AttachmentKind.choices).get(kind, "Attachment")
    attachment = CaseAttachment(
        case=case,
        kind=kind,
        title=_title(title, label),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    _attach(attachment, file, checked)
    pages = "1 page" if checked.page_count == 1 else f"{checked.page_count} pages"
    record_event(
        case,
        actor,
        "attachment_added",
        f"{label} attached ({pages}).",  # not the title: it may name the client
        {"attachment": attachment.pk, "kind": kind},
    )
    return attachment


@transaction.atomic
def attachment_archive(*, attachment_id: int, actor: User) -> CaseAttachment:
    """Archived attachments leave the list and future packets; the file is kept (a packet
    already sent may have carried it). Archiving twice changes nothing."""
    attachment = lock_row(CaseAttachment.objects.all(), attachment_id, "This attachment")
    case = lock_case(attachment.case_id)
    require_open(case)
    if attachment.archived_at is None:
        attachment.archived_at = timezone.now()
        attachment.save(update_fields=["archived_at"])
        record_event(
            case,
            actor,
            "attachment_archived",
            f"{attachment.get_kind_display()} archived.",
            {"attachment": attachment.pk, "kind": attachment.kind},
        )
    return attachment


# ----------------------------------------------------------------------------- provider documents


@transaction.atomic
def provider_document_add(
    *,
    practice_id: int,
    actor: User,
    provider_id: int | None,
    kind: str,
    title: str,
    expires_on: dt.date | None,
    file: File[bytes],
) -> ProviderDocument:
    """A credential kept once: on a provider of the practice, or on the practice itself when
    ``provider_id`` is None. The same file again (same owner and kind) returns the one kept."""
    checked = file_check(file)
    practice = lock_row(Practice.objects.all(), practice_id, "This practice")
    provider = None
    if provider_id is not None:
        provider = Provider.objects.filter(pk=provider_id, practice_id=practice.pk).first()
        if provider is None:
            raise ValidationError({"provider": "Not found in this practice."})
    existing = ProviderDocument.objects.filter(
        practice=practice,
        provider=provider,
        kind=kind,
        sha256=checked.sha256,
        archived_at__isnull=True,
    ).first()
    if existing is not None:
        return existing
    document = ProviderDocument(
        practice=practice,
        provider=provider,
        kind=kind,
        title=_title(title, dict(ProviderDocumentKind.choices).get(kind, "Document")),
        expires_on=expires_on,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    _attach(document, file, checked)
    return document


@transaction.atomic
def provider_document_archive(*, document_id: int, actor: User) -> ProviderDocument:
    """A document replaced or no longer valid leaves the lists and future packets; archiving
    twice changes nothing."""
    document = lock_row(ProviderDocument.objects.all(), document_id, "This document")
    if document.archived_at is None:
        document.archived_at = timezone.now()
        document.save(update_fields=["archived_at"])
    return document
