"""Issue 14 in a real browser: staff uploads two attachments to a submitted case (a refused
file first), builds the submission packet, downloads it and records a re-send by fax. The
screenshots of the cover sheet and of a stamped attachment page come from here."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from pypdf import PdfReader
from weasyprint import HTML

from cases.models import Submission
from cases.services.submissions import case_submit
from tests.e2e.conftest import (
    allow_browser_errors,
    assert_accessible,
    login,
    pdf_screenshot,
    screenshot,
)
from tests.factories import ConsentFactory, ProviderFactory

pytestmark = pytest.mark.e2e

ASSESSMENT = """<html><head><style>@page { size: letter; margin: 1in }
h1 { font: bold 18pt sans-serif } p { font: 11pt/1.5 serif }</style></head><body>
<h1>Behavior assessment (FBA)</h1><p>Skill acquisition and behavior reduction goals.</p>
<p style="break-before: page">Page two: recommended hours and the treatment plan summary.</p>
</body></html>"""


def _assessment_pdf() -> bytes:
    return HTML(string=ASSESSMENT).write_pdf()


def _referral_png() -> bytes:
    image = Image.new("RGB", (850, 1100), "white")
    ImageDraw.Draw(image).text(
        (80, 80), "Referral for ABA therapy (signed by the PCP)", fill="black"
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def submitted_case(world, ready_case):
    ConsentFactory(case=ready_case)  # the consent form goes into the packet
    ready_case.initiated_by = "practice"
    ready_case.save()
    return case_submit(case_id=ready_case.pk, actor=world.staff, submission_channel="fax")


def test_staff_uploads_attachments_builds_the_packet_and_records_a_fax_resend(
    page, world, submitted_case, tmp_path
):
    case = submitted_case
    login(page, "demo_staff")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Upload or manage attachments").click()
    expect(page.get_by_role("heading", name="Upload an attachment")).to_be_visible()
    assert_accessible(page, "case attachments")

    # Refused: an HTML page renamed .pdf. The error is shown by the field; the input is kept
    # (the page answers 400, which the browser logs).
    allow_browser_errors(page, "status of 400 (Bad Request)")
    fake = tmp_path / "assessment.pdf"
    fake.write_bytes(b"<html><body>not a pdf</body></html>")
    page.get_by_label("Kind of document").select_option(label="Assessment")
    page.get_by_label("Title").fill("FBA March")
    page.locator("input[type=file]").set_input_files(str(fake))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#field-att-file .error")).to_have_text("Upload a PDF, PNG or JPEG file.")
    expect(page.get_by_label("Title")).to_have_value("FBA March")
    expect(page.get_by_label("Kind of document")).to_have_value("assessment")
    assert not case.attachments.exists()

    # Accepted: a two-page PDF and a PNG.
    real = tmp_path / "fba.pdf"
    real.write_bytes(_assessment_pdf())
    page.locator("input[type=file]").set_input_files(str(real))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("region", name="Attachments", exact=True)).to_contain_text("FBA March")
    png = tmp_path / "referral.png"
    png.write_bytes(_referral_png())
    page.get_by_label("Kind of document").select_option(label="Referral")
    page.get_by_label("Title").fill("PCP referral")
    page.locator("input[type=file]").set_input_files(str(png))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("region", name="Attachments", exact=True)).to_contain_text(
        "PCP referral"
    )
    assert "FBA" not in page.url and case.attachments.count() == 2
    screenshot(page, "case-attachments")

    # The packet: built by the worker (in-process here), then downloaded.
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("button", name="Generate the submission packet").click()
    row = page.locator("#document-list li", has_text="Submission packet")
    download = row.get_by_role("link", name="Download PDF")
    expect(download).to_be_visible(timeout=30_000)
    with page.expect_download() as info:
        download.click()
    pdf = Path(info.value.path()).read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    texts = [p.extract_text() for p in reader.pages]
    for n, text in enumerate(texts, start=1):
        assert f"SCA-{case.pk}" in text and f"Page {n} of {total}" in text
    cover = texts[0]
    assert "fax" in cover.lower() and str(total) in cover
    assert not any(code in cover for code in case.client.diagnosis_codes)
    assert "Referral for ABA" not in "".join(texts)  # an image page: no text layer of its own
    pdf_screenshot(pdf, 0, "packet-cover-sheet")
    pdf_screenshot(pdf, total - 2, "packet-stamped-attachment")  # the FBA's second page

    # A re-send by fax, recorded from the workspace.
    panel = page.get_by_role("region", name="Sent to the insurer")
    panel.get_by_text("Record a re-send").click()
    panel.get_by_label("Sent by").select_option(label="Fax")
    panel.get_by_label("Sent to").fill("800-555-0199")
    panel.get_by_label("Confirmation").fill("FAX-22841")
    panel.get_by_role("button", name="Record").click()
    expect(panel.get_by_role("status")).to_have_text("Re-send recorded.")
    expect(page.get_by_role("region", name="Sendings to the insurer")).to_contain_text("FAX-22841")
    assert Submission.objects.filter(case=case).count() == 2
    resend = Submission.objects.get(case=case, confirmation="FAX-22841")
    assert resend.channel == "fax"
    assert_accessible(page, "case workspace with sendings")
    screenshot(page, "case-workspace-sendings")


def test_staff_keeps_a_w9_and_a_certificate_and_sees_which_lapse(page, world, tmp_path):
    provider = ProviderFactory(practice=world.practice, first_name="Morgan", last_name="Reyes")
    login(page, "demo_staff")
    page.goto("/providers/")
    page.get_by_role("link", name="Documents and credentials").click()
    expect(page.get_by_role("heading", name="Add a document")).to_be_visible()
    assert_accessible(page, "provider and practice documents")

    # Refused: a JPEG that does not decode; the typed title and the expiry are kept.
    broken = tmp_path / "certificate.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    allow_browser_errors(page, "status of 400 (Bad Request)")
    page.get_by_label("Provider", exact=True).select_option(label="Morgan Reyes, BCBA")
    page.get_by_label("Kind of document").select_option(label="BCBA certificate")
    page.get_by_label("Title").fill("BCBA certificate 2026")
    soon = (timezone.localdate() + dt.timedelta(days=12)).isoformat()
    page.get_by_label("Expires on").fill(soon)
    page.locator("input[type=file]").set_input_files(str(broken))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#field-doc-file .error")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("BCBA certificate 2026")
    expect(page.get_by_label("Expires on")).to_have_value(soon)

    certificate = tmp_path / "bcba.pdf"
    certificate.write_bytes(_assessment_pdf())
    page.locator("input[type=file]").set_input_files(str(certificate))
    page.get_by_role("button", name="Upload").click()
    table = page.get_by_role("region", name="Provider and practice documents")
    expect(table).to_contain_text("BCBA certificate 2026")
    expect(table).to_contain_text("expires in 12 days")

    # The practice's W-9: no provider, no expiry.
    page.get_by_label("Provider", exact=True).select_option(label="The practice (no provider)")
    page.get_by_label("Kind of document").select_option(label="W-9")
    page.get_by_label("Title").fill("W-9 2026")
    page.get_by_label("Expires on").fill("")
    page.locator("input[type=file]").set_input_files(str(certificate))
    page.get_by_role("button", name="Upload").click()
    expect(table).to_contain_text("W-9 2026")
    assert provider.documents.count() == 1 and world.practice.provider_documents.count() == 2
    screenshot(page, "credentials")
