"""Attachments in the browser: the workspace's panel and page, the guided request's step, and
a refused file shown beside its field with what was typed kept."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessAction, AccessLog, CaseAttachment
from tests.factories import CaseAttachmentFactory, blank_pdf

pytestmark = pytest.mark.django_db


def form(kind="treatment_plan", title="Plan for 2026", content=None, name="plan.pdf"):
    content = blank_pdf(2) if content is None else content
    return {"att-kind": kind, "att-title": title, "att-file": SimpleUploadedFile(name, content)}


def test_upload_on_the_attachments_page(world, web, ready_case):
    browser = web(world.staff)
    url = reverse("cases:attachments", args=[ready_case.pk])
    assert browser.get(url).status_code == 200
    response = browser.post(url, form())
    assert response.status_code == 302 and response["Location"] == url
    attachment = CaseAttachment.objects.get()
    assert (attachment.kind, attachment.title, attachment.page_count) == (
        "treatment_plan", "Plan for 2026", 2,
    )  # fmt: skip
    html = browser.get(url).content.decode()
    assert "Plan for 2026" in html
    assert reverse("cases:attachment_download", args=[attachment.pk]) in html


def test_refused_file_shows_the_error_beside_the_field_and_keeps_title_and_kind(
    world, web, ready_case
):
    url = reverse("cases:attachments", args=[ready_case.pk])
    response = web(world.staff).post(
        url, form(kind="medical_necessity", title="LMN from Dr. Ruiz", content=b"<html></html>")
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = html.split('id="field-att-file"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "has-error" in html.split('id="field-att-file"', 1)[0].rsplit("<div", 1)[1]
    assert "PDF, PNG or JPEG" in field
    assert 'value="LMN from Dr. Ruiz"' in html
    assert '<option value="medical_necessity" selected>' in html
    assert not CaseAttachment.objects.exists()


def test_encrypted_pdf_refusal_says_why(world, web, ready_case):
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    url = reverse("cases:attachments", args=[ready_case.pk])
    response = web(world.staff).post(url, form(content=out.getvalue()))
    assert response.status_code == 400
    assert "cannot be merged into a packet" in response.content.decode()


def test_archive_from_the_page(world, web, ready_case):
    attachment = CaseAttachmentFactory(case=ready_case, title="Old assessment")
    browser = web(world.staff)
    url = reverse("cases:attachments", args=[ready_case.pk])
    response = browser.post(url, {"archive": attachment.pk})
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.archived_at is not None
    assert "Old assessment" not in browser.get(url).content.decode()


def test_closed_case_page_has_no_upload_form_and_refuses_a_post(world, web, ready_case):
    ready_case.status = "withdrawn"
    ready_case.save()
    browser = web(world.staff)
    url = reverse("cases:attachments", args=[ready_case.pk])
    html = browser.get(url).content.decode()
    assert 'name="att-file"' not in html and "no longer change" in html
    response = browser.post(url, form())
    assert response.status_code == 400
    assert "cannot change on a case that is withdrawn" in response.content.decode()
    assert not CaseAttachment.objects.exists()


def test_another_practices_attachments_are_404(world, web, ready_case):
    attachment = CaseAttachmentFactory(case=ready_case)
    other = web(world.other_staff)
    assert other.get(reverse("cases:attachments", args=[ready_case.pk])).status_code == 404
    download = reverse("cases:attachment_download", args=[attachment.pk])
    assert other.get(download).status_code == 404
    assert not AccessLog.objects.exists()


def test_download_from_the_page_is_logged(world, web, ready_case):
    attachment = CaseAttachmentFactory(case=ready_case)
    response = web(world.billing).get(reverse("cases:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == attachment.file.open("rb").read()
    assert response["Cache-Control"] == "private, no-store"
    assert AccessLog.objects.filter(
        action=AccessAction.DOWNLOAD_ATTACHMENT, object_id=attachment.pk, user=world.billing
    ).exists()


# ----------------------------------------------------------------------------- the workspace


def test_workspace_panel_lists_current_attachments_and_links_to_the_page(world, web, ready_case):
    CaseAttachmentFactory(case=ready_case, kind="referral", title="Referral from Dr. Ruiz")
    gone = CaseAttachmentFactory(case=ready_case, title="Archived one")
    gone.archived_at = timezone.now()
    gone.save()
    html = web(world.staff).get(reverse("cases:detail", args=[ready_case.pk])).content.decode()
    assert "Referral from Dr. Ruiz" in html and "Archived one" not in html
    assert reverse("cases:attachments", args=[ready_case.pk]) in html
    assert "Upload or manage attachments" in html


def _queries(browser, url) -> int:
    browser.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    return len(ctx)


def test_workspace_query_count_is_the_same_with_0_or_3_attachments(world, web, ready_case):
    browser = web(world.staff)
    url = reverse("cases:detail", args=[ready_case.pk])
    none = _queries(browser, url)
    for kind in ("assessment", "treatment_plan", "referral"):
        CaseAttachmentFactory(case=ready_case, kind=kind, uploaded_by=world.billing)
    assert _queries(browser, url) == none


# ----------------------------------------------------------------------------- the guided request


def test_request_has_an_attachments_step_before_the_review(world, web, ready_case):
    browser = web(world.staff)
    consent = reverse("cases:request_step", args=[ready_case.pk, "consent"])
    step = reverse("cases:request_step", args=[ready_case.pk, "attachments"])
    review = reverse("cases:request_step", args=[ready_case.pk, "review"])
    assert browser.post(consent, {"next": "1"})["Location"] == step + "?saved=1"
    html = browser.get(step).content.decode()
    assert "Attachments" in html and 'name="att-file"' in html
    bar = html.split('aria-label="Request steps"', 1)[1].split("</nav>", 1)[0]
    assert bar.index("Consent") < bar.index("Attachments") < bar.index("Review and submit")
    response = browser.post(step, form(kind="assessment", title="FBA"))
    assert response.status_code == 302 and response["Location"] == step
    assert ready_case.attachments.get().title == "FBA"
    assert "FBA" in browser.get(step).content.decode()
    assert browser.post(step, {"next": "1"})["Location"] == review + "?saved=1"


def test_request_step_refusal_keeps_what_was_typed(world, web, ready_case):
    step = reverse("cases:request_step", args=[ready_case.pk, "attachments"])
    response = web(world.staff).post(
        step, form(kind="referral", title="Referral letter", content=b"MZ\x90\x00", name="r.pdf")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Referral letter"' in html
    assert '<option value="referral" selected>' in html
    assert not CaseAttachment.objects.exists()


def test_request_step_archives(world, web, ready_case):
    attachment = CaseAttachmentFactory(case=ready_case)
    step = reverse("cases:request_step", args=[ready_case.pk, "attachments"])
    assert web(world.staff).post(step, {"archive": attachment.pk}).status_code == 302
    attachment.refresh_from_db()
    assert attachment.archived_at is not None


def test_attachments_pages_name_the_kinds_the_policy_requires(world, web, ready_case, policy):
    policy.required_attachments = ["assessment", "treatment_plan"]
    policy.save()
    CaseAttachmentFactory(case=ready_case, kind="assessment")
    step = reverse("cases:request_step", args=[ready_case.pk, "attachments"])
    html = web(world.staff).get(step).content.decode()
    checklist = html.split('aria-label="Readiness checklist"', 1)[1].split("</ul>", 1)[0]
    assert "Treatment plan" in checklist and "Assessment" not in checklist
    page = web(world.staff).get(reverse("cases:attachments", args=[ready_case.pk]))
    assert "The insurer's protocol asks for: Treatment plan." in page.content.decode()
