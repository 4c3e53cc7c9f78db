"""Documents: ask for one (queued, rendered after commit by a worker), render it once."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from typing import TYPE_CHECKING

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import (
    ACTIVE_STATUSES,
    Case,
    Document,
    DocumentKind,
    DocumentStatus,
    FileType,
)
from cases.selectors.documents import (
    DocumentNotAvailable,
    context_for,
    document_check,
    template_for,
)
from cases.selectors.packet import (
    PacketPart,
    PacketPlan,
    cover_sheet_context,
    packet_footer,
    packet_plan,
    packet_refusals,
)
from core.exceptions import DomainError
from core.storage import StorageUnavailable, storage_fault

from .case import lock_case, record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from pypdf import PdfReader
    from weasyprint.document import Document as WeasyDocument

    from core.pdf import RenderedPdf

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STORAGE_DOWN = "Could not store the document: object storage unreachable."


RENDER_TASK = "cases.render_document"  # cases.tasks, by its registered name


def _enqueue(document_id: int) -> None:
    # Looked up by name in the project's Celery app (the current app: sca_portal.celery makes
    # it so; CasesConfig.ready registers the task), so that the services neither import the
    # tasks that import them nor the project's wiring; ``delay`` still honours eager mode.
    current_app.tasks[RENDER_TASK].delay(document_id)


@transaction.atomic
def document_request(*, case_id: int, actor: User, kind: str) -> tuple[Document, bool]:
    """A queued document of ``kind`` for the case, or the one already queued or rendering.
    Returns (document, created). The render task is sent only after the commit. A kind the
    case cannot have now is refused here, not by the worker (409: ``document_check``, e.g.
    ``not_denied`` for an appeal letter, ``no_counter`` for a counter-offer letter). A
    submission packet is refused past draft while a readiness error stands, and a ready
    packet built from the same parts (``parts_sha256``) is returned rather than rendered
    again."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": f"Choose one of {', '.join(DocumentKind.values)}."})
    case = lock_case(case_id)  # serializes requests per case: one active document per kind
    document_check(case, kind)
    packet = kind == DocumentKind.SUBMISSION_PACKET
    if packet:
        _check_packet(case)
    active = case.documents.filter(kind=kind, status__in=ACTIVE_STATUSES).first()
    if active:
        return active, False
    digest = ""
    if packet:  # a packet built from the same parts is the one to send: no second render
        digest = packet_plan(case, checklist=False).digest
        built = case.documents.filter(kind=kind, status=DocumentStatus.READY, parts_sha256=digest)
        current = built.first()
        # Unless its file is gone from the storage (deleted out of band): then build it again.
        if current is not None and _file_present(current):
            return current, False
    try:
        with transaction.atomic():
            document = Document.objects.create(
                case=case,
                kind=kind,
                parts_sha256=digest,
                requested_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        return case.documents.get(kind=kind, status__in=ACTIVE_STATUSES), False
    record_event(
        case,
        actor,
        "document_requested",
        f"{document.get_kind_display()} requested.",
        {"document": document.pk},
    )
    # robust: a broker hiccup (or, in eager mode, a render error) never fails the request;
    # the document stays queued and can be sent again.
    transaction.on_commit(lambda: _enqueue(document.pk), robust=True)
    return document, True


def _check_packet(case: Case) -> None:
    """A packet goes to the insurer: past draft it is refused, as a submission is, while any
    readiness error stands (every failing rule in ``errors``)."""
    failing = packet_refusals(case)
    if failing:
        raise DomainError(
            code=failing[0].code,
            detail=f"The packet cannot be built: {len(failing)} check(s) failed.",
            errors=[{"code": c.code, "detail": c.detail} for c in failing],
        )


def _file_present(document: Document) -> bool:
    """Whether a ready document's file is in the private storage (unreachable storage counts
    as present: the download answers 503 and the packet stays the one to send)."""
    try:
        name = document.file.name
        return bool(name) and document.file.storage.exists(name or "")
    except Exception as exc:
        if storage_fault(exc) is None:
            raise
        return True


def _claim(document_id: int) -> Document | None:
    """Move the document to rendering and count the attempt; None when there is nothing to
    do (already ready or failed: a re-delivered task renders nothing twice)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status in (DocumentStatus.READY, DocumentStatus.FAILED):
            return None
        if document.attempts >= MAX_ATTEMPTS:
            document.status = DocumentStatus.FAILED
            document.error = f"Gave up after {document.attempts} attempts."
            document.save(update_fields=["status", "error", "updated_at"])
            return None
        document.status = DocumentStatus.RENDERING
        document.attempts += 1
        document.save(update_fields=["status", "attempts", "updated_at"])
        return document


def _fail(document_id: int, message: str) -> None:
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.READY:
            return
        document.status = DocumentStatus.FAILED
        document.error = message[:300]
        document.save(update_fields=["status", "error", "updated_at"])
        record_event(
            document.case,
            None,
            "document_failed",
            f"{document.get_kind_display()} failed.",
            {"document": document.pk},
        )


def _requeue(document_id: int, message: str) -> None:
    Document.objects.filter(pk=document_id, status=DocumentStatus.RENDERING).update(
        status=DocumentStatus.QUEUED, error=message[:300], updated_at=timezone.now()
    )


def document_render(*, document_id: int) -> Document | None:
    """Render the document's PDF and store it privately. Transient errors (OSError) are
    re-raised for the task to retry; others mark the document failed with a readable error.
    Patient data never goes into the error or the logs: only ids and exception types."""
    from core.pdf import render_pdf_document

    document = _claim(document_id)
    if document is None:
        return None
    started = time.monotonic()
    digest = ""
    try:
        if document.kind == DocumentKind.SUBMISSION_PACKET:
            rendered, digest = _render_packet(document.case)
        else:
            rendered = render_pdf_document(
                template_for(document.kind), context_for(document.kind, document.case)
            )
    except DocumentNotAvailable as exc:
        _fail(document_id, str(exc))
        return None
    except StorageUnavailable:  # a packet's stored file could not be read
        if _gave_up_on_storage(document):
            return None
        raise
    except OSError as exc:
        logger.warning("document %s: transient render error %s", document_id, type(exc).__name__)
        _requeue(document_id, f"Temporary error ({type(exc).__name__}); retrying.")
        raise
    except Exception as exc:
        # No traceback: its messages may quote template values (patient data).
        logger.error("document %s: render failed (%s)", document_id, type(exc).__name__)
        _fail(
            document_id,
            f"Rendering failed ({type(exc).__name__}). The support team has the details.",
        )
        return None
    elapsed_ms = int((time.monotonic() - started) * 1000)
    try:
        return _store(document_id, rendered, digest, elapsed_ms)
    except StorageUnavailable:
        if _gave_up_on_storage(document):
            return None
        raise


def _gave_up_on_storage(document: Document) -> bool:
    """The private storage was unreachable (reading a packet's file, saving the PDF): nothing
    was stored. True when the document's attempts are spent and it ended failed, saying why;
    otherwise it goes back to queued and the task retries it with backoff."""
    logger.warning("document %s: private storage unreachable", document.pk)
    if document.attempts >= MAX_ATTEMPTS:
        _fail(document.pk, STORAGE_DOWN)
        return True
    _requeue(document.pk, f"{STORAGE_DOWN} Retrying.")
    return False


def _store(document_id: int, rendered: RenderedPdf, digest: str, elapsed_ms: int) -> Document:
    """Save the PDF and mark the document ready, in one transaction: ready only once the file
    is stored (a save the storage cannot take raises StorageUnavailable and marks nothing)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("case").get(pk=document_id)
        if document.status != DocumentStatus.RENDERING:
            return document  # another delivery finished it first: keep its file
        try:
            document.file.save("document.pdf", ContentFile(rendered.content), save=False)
        except Exception as exc:
            if storage_fault(exc) == "unavailable":
                raise StorageUnavailable(STORAGE_DOWN) from exc
            raise
        document.sha256 = hashlib.sha256(rendered.content).hexdigest()
        document.size_bytes = len(rendered.content)
        document.page_count = rendered.page_count
        document.parts_sha256 = digest or document.parts_sha256  # what it was built from
        document.render_ms = elapsed_ms
        document.status = DocumentStatus.READY
        document.error = ""
        document.rendered_at = timezone.now()
        document.save()
        record_event(
            document.case,
            None,
            "document_ready",
            f"{document.get_kind_display()} ready.",
            {"document": document.pk, "pages": rendered.page_count},
        )
    logger.info(
        "document %s ready: %s pages, %s bytes, %s ms",
        document_id,
        rendered.page_count,
        len(rendered.content),
        elapsed_ms,
    )
    return document


def _render_packet(case: Case) -> tuple[RenderedPdf, str]:
    """The packet of ``case`` as one PDF, and the digest of the parts it was built from: the
    generated parts laid out fresh, the stored files read (images made pages), the cover sheet
    laid out last so that it states the total, the generated pages written in one pass (fonts
    embedded once), every page stamped with the case's footer. A file that cannot be merged
    fails the packet with a message naming its kind and id."""
    from core.pdf import Footer, UnreadablePdf, assemble_pdf, laid_out, open_pdf, write_together

    plan = packet_plan(case)
    layouts, files = {}, {}
    for i, part in enumerate(plan.parts):
        if part.source is None:
            # In a packet the stamped footer numbers the pages (print.css hides the document's
            # own title and numbers, which would disagree).
            context = {**context_for(part.kind, plan.case), "in_packet": True}
            layouts[i] = laid_out(template_for(part.kind), context)
        else:
            files[i] = _read_part(part)
    pages = [
        len(layouts[i].pages) if i in layouts else len(files[i].pages)
        for i in range(len(plan.parts))
    ]
    cover = _cover(plan, pages, cover_pages=1)
    if len(cover.pages) != 1:  # a long checklist: state the total it really makes
        cover = _cover(plan, pages, cover_pages=len(cover.pages))
    generated = open_pdf(write_together([cover, *layouts.values()])).pages
    parts, at = [generated[: len(cover.pages)]], len(cover.pages)
    for i in range(len(plan.parts)):
        if i in layouts:
            parts.append(generated[at : at + pages[i]])
            at += pages[i]
        else:
            parts.append(files[i].pages)
    total = sum(len(part) for part in parts)
    left = packet_footer(plan.case)
    footers = [Footer(left, f"Page {n} of {total}") for n in range(1, total + 1)]
    try:
        return assemble_pdf(parts, footers), plan.digest
    except UnreadablePdf as exc:
        failed = plan.parts[exc.part - 1] if exc.part else None  # part 0 is the cover sheet
        if failed is None or failed.source is None:
            raise
        raise DocumentNotAvailable(f"{failed.named} cannot go into the packet: {exc}.") from None


def _read_part(part: PacketPart) -> PdfReader:
    """A stored file of the packet as a PDF (an image made a page), or the packet's failure."""
    from core.pdf import UnreadablePdf, image_pdf, open_pdf

    assert part.source is not None
    try:
        with part.source.file.open("rb") as stored:
            content = stored.read()
        is_pdf = part.source.file_type == FileType.PDF
        return open_pdf(content if is_pdf else image_pdf(content))
    except FileNotFoundError:
        raise DocumentNotAvailable(f"The file of {part.named} is missing.") from None
    except UnreadablePdf as exc:
        raise DocumentNotAvailable(
            f"{part.named} cannot go into the packet: {exc}. Upload a readable, unlocked copy."
        ) from None
    except Exception as exc:  # whatever else a stored file makes the image or PDF code raise
        if storage_fault(exc) == "unavailable":  # the storage's fault, not the file's: retried
            raise StorageUnavailable(STORAGE_DOWN) from exc
        raise DocumentNotAvailable(
            f"{part.named} cannot go into the packet ({type(exc).__name__}). Upload a readable, "
            "unlocked copy."
        ) from None


def _cover(plan: PacketPlan, pages: list[int], *, cover_pages: int) -> WeasyDocument:
    from core.pdf import laid_out

    total = cover_pages + sum(pages)
    context = cover_sheet_context(plan, pages=pages, cover_pages=cover_pages, total_pages=total)
    return laid_out("pdf/cover_sheet.html", {**context, "in_packet": True})


def documents_sweep(*, older_than_seconds: int | None = None) -> int:
    """Send again every document stuck queued or rendering for too long: its message was lost
    (broker down when it was requested) or its worker died mid-render. Rendering ones go back
    to queued; the attempt counter stops one that keeps killing its worker.

    Safe to run twice at once (two beats): a document is sent only by the sweep whose
    conditional update moved it (still stuck, still active); the other finds it fresh."""
    age = settings.DOCUMENT_STUCK_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=age)
    stuck = Document.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=cutoff)
    ids: list[int] = []
    for document_id in list(stuck.values_list("pk", flat=True)):
        if not stuck.filter(pk=document_id).update(
            status=DocumentStatus.QUEUED, updated_at=timezone.now()
        ):
            continue  # another sweep sent it meanwhile
        ids.append(document_id)
        try:
            _enqueue(document_id)
        except Exception as exc:  # broker still down: the next sweep tries again
            logger.warning(
                "sweeper: could not send document %s (%s)", document_id, type(exc).__name__
            )
    if ids:
        logger.info("sweeper: sent %s stuck document(s) again", len(ids))
    return len(ids)
