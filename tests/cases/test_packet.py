"""The submission packet: one PDF (cover sheet, letters, consent form, attachments, provider
documents), every page stamped, rebuilt only when its parts change."""

import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from cases.models import CaseAttachment, Document, InsurerContact, ProviderDocument
from cases.selectors.documents import context_for, template_for
from cases.selectors.packet import packet_is_current
from core.pdf import Footer, assemble_pdf, open_pdf, render_pdf_document
from tests.factories import ConsentFactory, RequestedServiceFactory

PACKET = "submission_packet"


# ----------------------------------------------------------------------------- files


def pdf_bytes(*texts: str, size: str = "Letter") -> bytes:
    """A PDF of one page per text."""
    pages = "".join(f"<p style='break-after: page'>{t}</p>" for t in texts)
    return HTML(string=f"<style>@page {{ size: {size} }}</style>{pages}").write_pdf()


def png_bytes(width: int = 900, height: int = 1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (30, 90, 160, 200)).save(out, format="PNG")
    return out.getvalue()


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes("Locked report")))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stored(model, content: bytes, file_type: str, **fields):
    """A row as the upload service stores it (another module owns the uploads): the real
    bytes in the private FileField, with their type, pages, size and sha256."""
    pages = 1
    if file_type == "pdf":
        reader = PdfReader(io.BytesIO(content))
        pages = 1 if reader.is_encrypted else len(reader.pages)
    row = model(
        file_type=file_type,
        page_count=pages,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        **fields,
    )
    row.file.save(f"upload.{file_type}", ContentFile(content), save=False)
    row.save()
    return row


def attach(case, kind: str, content: bytes, file_type: str = "pdf", **fields) -> CaseAttachment:
    fields.setdefault("title", kind.replace("_", " ").title())
    return _stored(CaseAttachment, content, file_type, case=case, kind=kind, **fields)


def provider_document(practice, kind, content, *, provider=None, **fields) -> ProviderDocument:
    fields.setdefault("title", kind)
    return _stored(
        ProviderDocument, content, "pdf", practice=practice, provider=provider, kind=kind, **fields
    )


# ----------------------------------------------------------------------------- helpers


def ask(api, user, case, capture, execute=True):
    with capture(execute=execute):
        return api(user).post(
            f"/api/v1/cases/{case.pk}/documents/", {"kind": PACKET}, format="json"
        )


def read_back(document) -> list[str]:
    document.refresh_from_db()
    assert document.status == "ready", document.error
    reader = PdfReader(io.BytesIO(document.file.read()))
    assert len(reader.pages) == document.page_count
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def pages_of(kind: str, case) -> int:
    return render_pdf_document(template_for(kind), context_for(kind, case)).page_count


# ----------------------------------------------------------------------------- the packet


def test_packet_is_cover_letter_consent_then_attachments_every_page_stamped(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    case = ready_case
    case.initiated_by = "practice"  # the consent form goes in
    case.save()
    ConsentFactory(case=case)
    attach(case, "treatment_plan", png_bytes(), file_type="png")
    attach(case, "assessment", pdf_bytes("Assessment page one", "Assessment page two"))

    response = ask(api, world.staff, case, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    document = Document.objects.get(kind=PACKET)
    pages = read_back(document)

    letter, consent = pages_of("request_letter", case), pages_of("consent_form", case)
    total = 1 + letter + consent + 3
    assert document.page_count == total == len(pages)
    for n, text in enumerate(pages, start=1):
        assert f"SCA-{case.pk}" in text and f"Page {n} of {total}" in text, n
        assert case.client.member_id in text and case.client.last_name in text
    # The documents' own page numbers and titles give way to the packet's footer.
    assert "Page 1 of" not in pages[1] and f"Page 2 of {total}" in pages[1]
    assert all(text.count("Page ") == 1 for text in pages)

    cover = pages[0]
    assert "Fax cover sheet" in cover and f"{total} (including this cover sheet)" in cover
    assert "Confidentiality notice" in cover and "intended recipient" in cover
    assert world.practice.phone in cover  # the callback number
    for code in case.client.diagnosis_codes:
        assert code not in cover  # a cover sheet never carries a diagnosis
    assert "Diagnosis" not in cover
    # The order: letter, consent form, then the attachments in ATTACHMENT_ORDER.
    assert "Single Case Agreement" in pages[1]
    first_attachment = 1 + letter + consent
    assert "Assessment page one" in pages[first_attachment]
    assert "Assessment page two" in pages[first_attachment + 1]
    assert "Assessment" not in pages[-1]  # the image, a page of its own
    assert cover.index("Assessment") < cover.index("Treatment plan")


def test_provider_documents_the_policy_names_follow_the_attachments(
    world, api, ready_case, policy, django_capture_on_commit_callbacks
):
    policy.required_provider_documents = ["w9", "bcba_certificate"]
    policy.save()
    practice, provider = world.practice, ready_case.provider
    past = timezone.localdate() - dt.timedelta(days=1)
    provider_document(practice, "bcba_certificate", pdf_bytes("Practice-level BCBA"))
    provider_document(
        practice, "bcba_certificate", pdf_bytes("Lapsed BCBA"), provider=provider, expires_on=past
    )
    provider_document(practice, "bcba_certificate", pdf_bytes("Provider BCBA"), provider=provider)
    provider_document(practice, "w9", pdf_bytes("Practice W-9"))
    provider_document(practice, "license", pdf_bytes("Not asked for"))
    attach(ready_case, "referral", pdf_bytes("Referral"))

    ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    pages = read_back(Document.objects.get(kind=PACKET))
    tail = " | ".join(pages[-3:])
    assert tail.index("Referral") < tail.index("Provider BCBA") < tail.index("Practice W-9")
    body = " ".join(pages)
    for absent in ("Practice-level BCBA", "Lapsed BCBA", "Not asked for"):
        assert absent not in body


def test_a_draft_packet_lists_what_is_missing_on_its_cover_sheet(
    world, api, ready_case, policy, django_capture_on_commit_callbacks
):
    policy.required_attachments = ["assessment", "referral"]
    policy.required_provider_documents = ["bcba_certificate"]
    policy.save()
    ready_case.clinical_justification = ""
    ready_case.save()
    attach(ready_case, "referral", pdf_bytes("Referral"))

    assert ask(api, world.staff, ready_case, django_capture_on_commit_callbacks).status_code == 202
    cover = read_back(Document.objects.get(kind=PACKET))[0]
    assert "Draft: not ready to send" in cover
    assert "Write the clinical justification" in cover
    assert "Attach the Assessment:" in cover  # the referral is there
    assert "Upload the BCBA certificate" in cover


def test_a_packet_past_draft_while_readiness_fails_is_refused_with_every_error(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    ready_case.status = "submitted"
    ready_case.submitted_at = timezone.now()
    ready_case.clinical_justification = ""
    ready_case.save()
    ready_case.network_searches.all().delete()

    response = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert response.status_code == 400, response.content
    codes = {e["code"] for e in response.json()["errors"]}
    assert {"justification_missing", "network_search_incomplete"} <= codes
    assert not Document.objects.exists()


def test_a_submitted_case_packet_is_judged_as_of_its_submission_day(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    """Treatment that has started since the case was submitted is no reason to refuse a
    re-send: the case was ready on the day it went out."""
    ready_case.status = "submitted"
    ready_case.submitted_at = timezone.now() - dt.timedelta(days=40)
    ready_case.planned_start_date = timezone.localdate() - dt.timedelta(days=5)
    ready_case.save()
    response = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content


def test_same_parts_return_the_same_packet_changed_parts_build_a_new_one(
    world, api, ready_case, web, django_capture_on_commit_callbacks
):
    attach(ready_case, "assessment", pdf_bytes("Assessment"))
    first = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert first.status_code == 202
    again = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "ready"
    assert Document.objects.filter(kind=PACKET).count() == 1
    packet = Document.objects.get(kind=PACKET)
    assert len(packet.parts_sha256) == 64 and packet_is_current(packet)

    # A requested service changes what the letter prints (it does not raise the case's
    # version): the packet is out of date and asking again builds a new one.
    service = ready_case.services.get()
    service.units = 400
    service.save()
    assert not packet_is_current(packet)
    page = web(world.staff).get(reverse("cases:detail", args=[ready_case.pk])).content.decode()
    assert "Out of date" in page
    second = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert second.status_code == 202 and second.json()["id"] != first.json()["id"]

    # So does a new attachment.
    attach(ready_case, "referral", png_bytes(), file_type="png")
    third = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    earlier = {first.json()["id"], second.json()["id"]}
    assert third.status_code == 202 and third.json()["id"] not in earlier
    latest = Document.objects.get(pk=third.json()["id"])
    assert latest.status == "ready" and packet_is_current(latest)
    RequestedServiceFactory(case=ready_case, modifier="HN", requested_rate=Decimal("20.00"))
    assert not packet_is_current(latest)


def test_a_packet_whose_file_is_gone_is_built_again(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    """Deleted out of band, the ready packet's download is 404 file_missing and says to ask
    again: asking again must build it, not hand back the same packet with no file."""
    first = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    packet = Document.objects.get(pk=first.json()["id"])
    packet.file.storage.delete(packet.file.name)
    again = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert again.status_code == 202 and again.json()["id"] != packet.pk
    rebuilt = Document.objects.get(pk=again.json()["id"])
    assert rebuilt.status == "ready" and rebuilt.file.storage.exists(rebuilt.file.name)


def test_an_encrypted_attachment_fails_the_packet_with_a_readable_error(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    locked = attach(ready_case, "diagnostic_report", encrypted_pdf_bytes(), title="Ava F84.0")
    ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=PACKET)
    assert document.status == "failed" and document.attempts == 1
    assert f"Diagnostic report (attachment {locked.pk})" in document.error
    assert "encrypted" in document.error
    client = ready_case.client
    for phi in (client.first_name, client.last_name, client.member_id, "F84.0"):
        assert phi not in document.error


@pytest.mark.parametrize(
    "content, file_type, reason",
    [
        (b"%PDF-1.7 not really", "pdf", "not a readable PDF"),
        (b"\x89PNG\r\n\x1a\n...", "png", "not a readable image"),
    ],
)
def test_an_unreadable_attachment_fails_the_packet_naming_it(
    world, api, ready_case, content, file_type, reason, django_capture_on_commit_callbacks
):
    row = CaseAttachment(
        case=ready_case,
        kind="referral",
        title="x",
        file_type=file_type,
        page_count=1,
        size_bytes=len(content),
        sha256="0" * 64,
    )
    row.file.save(f"upload.{file_type}", ContentFile(content), save=True)
    ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    document = Document.objects.get(kind=PACKET)
    assert document.status == "failed"
    assert f"Referral (attachment {row.pk})" in document.error and reason in document.error


def test_a_strip_of_an_image_becomes_a_page_not_a_failure(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    # 20000 x 1 pixels once divided by zero when fitted to the page.
    attach(ready_case, "referral", png_bytes(20000, 1), file_type="png")
    ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    assert len(read_back(Document.objects.get(kind=PACKET))) >= 4


def test_a_denied_cases_cover_sheet_goes_to_the_appeals_contact(
    world, api, ready_case, django_capture_on_commit_callbacks
):
    InsurerContact.objects.create(
        practice=world.practice, insurer=ready_case.insurer, purpose="sca_request",
        department="SCA intake", fax="800-555-0111",
    )  # fmt: skip
    InsurerContact.objects.create(
        practice=world.practice, insurer=ready_case.insurer, purpose="appeals",
        department="Appeals unit", fax="800-555-0122",
    )  # fmt: skip
    ready_case.status, ready_case.submitted_at = "denied", timezone.now()
    ready_case.save()
    ask(api, world.staff, ready_case, django_capture_on_commit_callbacks)
    cover = read_back(Document.objects.get(kind=PACKET))[0]
    assert "Appeals unit" in cover and "800-555-0122" in cover and "800-555-0111" not in cover


# ----------------------------------------------------------------------------- core.pdf


def test_a_rotated_or_offset_page_is_stamped_where_it_is_seen():
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes("Rotated", "Offset", size="A4")))
    writer.pages[0].rotate(90)
    writer.pages[1].cropbox.lower_left = (100, 200)
    out = io.BytesIO()
    writer.write(out)
    reader = open_pdf(out.getvalue())
    assembled = assemble_pdf(
        [reader.pages], [Footer("REF-1", "Page 1 of 2"), Footer("REF-1", "Page 2 of 2")]
    )
    result = PdfReader(io.BytesIO(assembled.content))
    for n, page in enumerate(result.pages, start=1):
        seen: list[tuple[str, float, float]] = []

        def visit(text, cm, tm, font, size, seen=seen):
            if "REF-1" in text:
                seen.append((text, cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]))

        page.extract_text(visitor_text=visit)
        assert seen, n
        box = page.cropbox
        _text, _x, y = seen[0]
        assert float(box.bottom) <= y <= float(box.bottom) + 30, (n, y, box)
        assert page.rotation == 0  # the rotation went into the content, upright as seen
