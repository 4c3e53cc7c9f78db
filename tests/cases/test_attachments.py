"""Clinical attachments: checked by content (a packet merges only what opens), stored privately
under a random name, listed, downloaded through the access log, archived; never another
practice's."""

import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from cases.models import AccessAction, AccessLog, CaseAttachment, CaseEvent
from cases.selectors.attachments import attachment_for, attachments_of
from cases.services.attachments import attachment_add, attachment_archive, file_check
from core.exceptions import DomainError
from tests.factories import CaseAttachmentFactory, blank_pdf

pytestmark = pytest.mark.django_db


def image(fmt: str = "PNG", size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(content: bytes, name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refusal(content: bytes, name: str = "scan.pdf") -> str:
    with pytest.raises(ValidationError) as exc:
        file_check(upload(content, name))
    return " ".join(exc.value.message_dict["file"])


def post(api, user, case, content, name="assessment.pdf", kind="assessment", title="Initial"):
    return api(user).post(
        f"/api/v1/cases/{case.pk}/attachments/",
        {"kind": kind, "title": title, "file": upload(content, name)},
        format="multipart",
    )


def set_status(case, status):
    case.status = status
    case.submitted_at = None if status in ("draft", "withdrawn") else timezone.now()
    case.save()


def stored_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT) / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ----------------------------------------------------------------------------- the upload check


def test_file_check_refuses_a_renamed_executable():
    assert "PDF, PNG or JPEG" in refusal(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "plan.pdf")


def test_file_check_refuses_html_called_pdf():
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    assert "PDF, PNG or JPEG" in refusal(html, "assessment.pdf")


def test_file_check_refuses_a_gif():
    assert "PDF, PNG or JPEG" in refusal(b"GIF89a\x01\x00\x01\x00" + b"\x00" * 40, "a.png")


def test_file_check_refuses_a_pdf_that_does_not_open():
    assert "cannot be opened" in refusal(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    assert "cannot be opened" in refusal(blank_pdf(2)[:200])  # cut short


def test_file_check_refuses_an_image_that_does_not_decode():
    assert "cannot be read" in refusal(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "scan.png")
    assert "cannot be read" in refusal(image("JPEG")[:100], "scan.jpg")


def test_file_check_refuses_an_encrypted_pdf_because_it_cannot_be_merged():
    assert "cannot be merged" in refusal(encrypted_pdf("secret"))


def test_file_check_accepts_a_pdf_protected_only_by_an_empty_password():
    assert file_check(upload(encrypted_pdf(""))).page_count == 1


def test_file_check_refuses_a_file_too_big(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    content = blank_pdf(12)
    assert len(content) > 1024
    assert "larger than" in refusal(content)


def test_file_check_accepts_png_as_one_page():
    content = image("PNG")
    checked = file_check(upload(content, "whatever.bin"))
    assert (checked.file_type, checked.page_count) == ("png", 1)
    assert checked.size_bytes == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_file_check_accepts_jpeg():
    assert file_check(upload(image("JPEG"), "x.jpg")).file_type == "jpeg"


def test_file_check_counts_the_pages_of_a_pdf():
    checked = file_check(upload(blank_pdf(2)))
    assert (checked.file_type, checked.page_count) == ("pdf", 2)


# ----------------------------------------------------------------------------- the service


def test_attachment_added_records_the_check_and_an_event(world, ready_case):
    attachment = attachment_add(
        case_id=ready_case.pk, actor=world.staff, kind="treatment_plan",
        title=" Ava Martinez plan ", file=upload(blank_pdf(2)),
    )  # fmt: skip
    assert (attachment.file_type, attachment.page_count) == ("pdf", 2)
    assert attachment.title == "Ava Martinez plan"
    assert attachment.uploaded_by == world.staff
    event = CaseEvent.objects.get(case=ready_case, kind="attachment_added")
    assert event.data == {"attachment": attachment.pk, "kind": "treatment_plan"}
    assert "Martinez" not in event.message  # a title may name the client: never in events


def test_blank_title_takes_the_kinds_name(world, ready_case):
    attachment = attachment_add(
        case_id=ready_case.pk, actor=world.staff, kind="referral", title="",
        file=upload(image()),
    )  # fmt: skip
    assert attachment.title == "Referral"


def test_no_patient_name_in_stored_file_name(world, ready_case, settings):
    last = ready_case.client.last_name
    attachment = attachment_add(
        case_id=ready_case.pk, actor=world.staff, kind="assessment", title="Assessment",
        file=upload(blank_pdf(), f"{last} {ready_case.client.first_name} assessment.pdf"),
    )  # fmt: skip
    assert last not in attachment.file.name
    assert attachment.file.name.startswith(f"attachments/{ready_case.pk}/")
    assert attachment.file.name.endswith(".pdf")
    assert last not in attachment.download_name
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / attachment.file.name).read_bytes() == blank_pdf()


@pytest.mark.parametrize("status", ["withdrawn", "declined", "expired"])
def test_closed_case_refuses_attachments_409(world, ready_case, settings, status):
    set_status(ready_case, status)
    with pytest.raises(DomainError) as exc:
        attachment_add(
            case_id=ready_case.pk, actor=world.staff, kind="assessment", title="",
            file=upload(blank_pdf()),
        )  # fmt: skip
    assert (exc.value.code, exc.value.status) == ("case_closed", 409)
    assert stored_files(settings) == []


@pytest.mark.parametrize("status", ["submitted", "in_negotiation", "approved", "denied"])
def test_open_case_in_any_status_takes_attachments(world, ready_case, status):
    set_status(ready_case, status)
    attachment_add(
        case_id=ready_case.pk, actor=world.staff, kind="progress_report", title="",
        file=upload(blank_pdf()),
    )  # fmt: skip
    assert ready_case.attachments.count() == 1


def test_repeated_upload_makes_no_second_record(world, ready_case, settings):
    def add(kind="assessment"):
        return attachment_add(
            case_id=ready_case.pk, actor=world.staff, kind=kind, title="Again",
            file=upload(blank_pdf(2)),
        )  # fmt: skip

    first = add()
    assert add().pk == first.pk
    assert ready_case.attachments.count() == 1 and len(stored_files(settings)) == 1
    # The same file as another kind is another attachment; so is one after archiving.
    assert add("medical_necessity").pk != first.pk
    attachment_archive(attachment_id=first.pk, actor=world.staff)
    assert add().pk != first.pk


def test_archive_is_idempotent_and_keeps_the_file(world, ready_case):
    attachment = CaseAttachmentFactory(case=ready_case)
    archived = attachment_archive(attachment_id=attachment.pk, actor=world.staff)
    stamp = archived.archived_at
    assert stamp is not None
    assert attachment_archive(attachment_id=attachment.pk, actor=world.staff).archived_at == stamp
    assert CaseEvent.objects.filter(case=ready_case, kind="attachment_archived").count() == 1
    assert list(attachments_of(ready_case)) == []
    assert list(attachments_of(ready_case, archived=True)) == [attachment]
    assert archived.file.storage.exists(archived.file.name)


def test_archive_refused_on_a_closed_case(world, ready_case):
    attachment = CaseAttachmentFactory(case=ready_case)
    set_status(ready_case, "withdrawn")
    with pytest.raises(DomainError) as exc:
        attachment_archive(attachment_id=attachment.pk, actor=world.staff)
    assert exc.value.status == 409


def test_attachments_listed_in_packet_order_then_upload_order(world, ready_case):
    other = CaseAttachmentFactory(case=ready_case, kind="other")
    plan_1 = CaseAttachmentFactory(case=ready_case, kind="treatment_plan")
    assessment = CaseAttachmentFactory(case=ready_case, kind="assessment")
    plan_2 = CaseAttachmentFactory(case=ready_case, kind="treatment_plan")
    assert list(attachments_of(ready_case)) == [assessment, plan_1, plan_2, other]


def test_attachment_for_another_practice_is_404(world, ready_case):
    from django.http import Http404

    attachment = CaseAttachmentFactory(case=ready_case)
    assert attachment_for(world.staff, attachment.pk) == attachment
    with pytest.raises(Http404):
        attachment_for(world.other_staff, attachment.pk)


# ----------------------------------------------------------------------------- the API


def test_api_upload_answers_with_what_the_check_found(world, api, ready_case):
    content = blank_pdf(2)
    response = post(api, world.staff, ready_case, content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("kind", "title", "file_type", "page_count")} == {
        "kind": "assessment", "title": "Initial", "file_type": "pdf", "page_count": 2,
    }  # fmt: skip
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size_bytes"] == len(content) and body["uploaded_by"] == world.staff.pk
    assert body["archived_at"] is None and "file" not in body
    assert body["download"].endswith(
        f"/api/v1/cases/{ready_case.pk}/attachments/{body['id']}/download/"
    )


@pytest.mark.parametrize(
    "content,name",
    [
        (b"MZ\x90\x00 renamed executable", "assessment.pdf"),
        (b"<html><body>not a pdf</body></html>", "assessment.pdf"),
        (b"%PDF-1.7\nbroken", "assessment.pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "scan.png"),
    ],
)
def test_api_refuses_bad_files_400_and_stores_nothing(
    world, api, ready_case, settings, content, name
):
    response = post(api, world.staff, ready_case, content, name)
    assert response.status_code == 400
    assert "file" in response.json()
    assert not CaseAttachment.objects.exists() and stored_files(settings) == []


def test_api_refuses_an_encrypted_pdf_with_the_reason(world, api, ready_case):
    response = post(api, world.staff, ready_case, encrypted_pdf("secret"))
    assert response.status_code == 400
    assert "encrypted" in response.json()["file"][0]


def test_api_closed_case_is_409(world, api, ready_case):
    set_status(ready_case, "withdrawn")
    response = post(api, world.staff, ready_case, blank_pdf())
    assert response.status_code == 409
    assert response.json()["code"] == "case_closed"


def test_api_list_archive_and_archived_filter(world, api, ready_case):
    first = post(api, world.staff, ready_case, blank_pdf(2)).json()
    post(api, world.staff, ready_case, image(), "p.png", kind="referral")
    url = f"/api/v1/cases/{ready_case.pk}/attachments/"
    assert [a["kind"] for a in api(world.billing).get(url).json()] == ["assessment", "referral"]
    archived = api(world.staff).post(f"{url}{first['id']}/archive/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    again = api(world.staff).post(f"{url}{first['id']}/archive/")
    assert again.json()["archived_at"] == archived.json()["archived_at"]
    assert [a["kind"] for a in api(world.staff).get(url).json()] == ["referral"]
    assert len(api(world.staff).get(url + "?archived=1").json()) == 2
    assert api(world.staff).get(f"{url}{first['id']}/").status_code == 200


def test_api_download_writes_the_access_log_and_streams_the_bytes(world, api, ready_case):
    content = image("JPEG")
    created = post(api, world.staff, ready_case, content, "Ava scan.jpg", kind="referral").json()
    response = api(world.billing).get(created["download"])
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == created["sha256"]
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    attachment = CaseAttachment.objects.get()
    assert f'filename="{attachment.download_name}"' in response["Content-Disposition"]
    assert "Ava" not in response["Content-Disposition"]
    log = AccessLog.objects.get(action=AccessAction.DOWNLOAD_ATTACHMENT)
    assert (log.user, log.case_id, log.client_id) == (
        world.billing, ready_case.pk, ready_case.client_id,
    )  # fmt: skip
    assert (log.object_type, log.object_id) == ("caseattachment", attachment.pk)


def test_api_another_practices_attachment_is_404(world, api, ready_case):
    attachment = CaseAttachmentFactory(case=ready_case)
    other = api(world.other_staff)
    base = f"/api/v1/cases/{ready_case.pk}/attachments/"
    assert other.get(base).status_code == 404
    assert other.get(f"{base}{attachment.pk}/").status_code == 404
    assert other.get(f"{base}{attachment.pk}/download/").status_code == 404
    assert other.post(f"{base}{attachment.pk}/archive/").status_code == 404
    assert post(api, world.other_staff, ready_case, blank_pdf()).status_code == 404
    assert not AccessLog.objects.filter(action=AccessAction.DOWNLOAD_ATTACHMENT).exists()
    attachment.refresh_from_db()
    assert attachment.archived_at is None


def test_api_attachment_of_another_case_is_404_under_this_case(world, api, ready_case):
    from tests.factories import CaseFactory

    elsewhere = CaseAttachmentFactory(case=CaseFactory(practice=world.practice))
    url = f"/api/v1/cases/{ready_case.pk}/attachments/{elsewhere.pk}/"
    assert api(world.staff).get(url).status_code == 404


def test_schema_documents_the_multipart_upload(world, api):
    schema = api(world.staff).get("/api/schema/?format=json").json()
    post_op = schema["paths"]["/api/v1/cases/{case_pk}/attachments/"]["post"]
    assert "multipart/form-data" in post_op["requestBody"]["content"]
    ref = post_op["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert component["properties"]["file"]["format"] == "binary"


@pytest.mark.parametrize("size", [(9400, 9400), (20000, 1)])
def test_an_image_too_large_or_no_page_shaped_is_refused_before_decoding(size):
    image = Image.new("L", size, 255)
    out = io.BytesIO()
    image.save(out, format="PNG")
    with pytest.raises(ValidationError) as refused:
        file_check(upload(out.getvalue(), "scan.png"))
    assert "pixels" in refused.value.message_dict["file"][0]
