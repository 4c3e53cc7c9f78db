"""Provider and practice documents (certificates, license, CV, W-9, insurance): kept once,
checked like attachments, warned about before they lapse, pulled into packets by kind, never
another practice's."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessAction, AccessLog, ProviderDocument
from cases.selectors.attachments import expiring_provider_documents, provider_documents_for
from cases.services.attachments import provider_document_add, provider_document_archive
from tests.factories import ProviderDocumentFactory, ProviderFactory, blank_pdf

pytestmark = pytest.mark.django_db
URL = "/api/v1/provider-documents/"


def today() -> dt.date:
    return timezone.localdate()


def add(world, provider=None, kind="bcba_certificate", content=None, expires_on=None, title=""):
    return provider_document_add(
        practice_id=world.practice.pk, actor=world.staff,
        provider_id=provider.pk if provider else None, kind=kind, title=title,
        expires_on=expires_on, file=SimpleUploadedFile("cert.pdf", content or blank_pdf()),
    )  # fmt: skip


# ----------------------------------------------------------------------------- the service


def test_document_kept_on_a_provider_or_on_the_practice(world):
    provider = ProviderFactory(practice=world.practice)
    cert = add(world, provider, expires_on=today() + dt.timedelta(days=200))
    w9 = add(world, None, kind="w9", title="W-9 2026")
    assert (cert.provider, cert.title, cert.page_count) == (provider, "BCBA certificate", 1)
    assert (w9.provider, w9.title) == (None, "W-9 2026")
    assert cert.file.name.startswith(f"provider-documents/{world.practice.pk}/")


def test_provider_of_another_practice_is_refused(world):
    theirs = ProviderFactory(practice=world.other_practice)
    with pytest.raises(ValidationError) as exc:
        add(world, theirs)
    assert "provider" in exc.value.message_dict
    assert not ProviderDocument.objects.exists()


def test_provider_document_checked_by_content(world):
    with pytest.raises(ValidationError) as exc:
        add(world, None, kind="w9", content=b"<html>W-9</html>")
    assert "file" in exc.value.message_dict
    assert not ProviderDocument.objects.exists()


def test_repeated_provider_document_upload_makes_no_second_record(world):
    provider = ProviderFactory(practice=world.practice)
    first = add(world, provider)
    assert add(world, provider).pk == first.pk
    assert ProviderDocument.objects.count() == 1


def test_archive_is_idempotent(world):
    document = ProviderDocumentFactory(practice=world.practice)
    stamp = provider_document_archive(document_id=document.pk, actor=world.staff).archived_at
    assert stamp is not None
    again = provider_document_archive(document_id=document.pk, actor=world.staff)
    assert again.archived_at == stamp


def test_packet_takes_the_providers_own_documents_first_then_the_practices(world):
    provider = ProviderFactory(practice=world.practice)
    colleague = ProviderFactory(practice=world.practice)
    w9 = ProviderDocumentFactory(practice=world.practice, kind="w9")
    insurance = ProviderDocumentFactory(practice=world.practice, kind="liability_insurance")
    license_ = ProviderDocumentFactory(practice=world.practice, provider=provider, kind="license")
    cert = ProviderDocumentFactory(
        practice=world.practice, provider=provider, kind="bcba_certificate"
    )
    ProviderDocumentFactory(practice=world.practice, provider=colleague, kind="license")
    ProviderDocumentFactory(practice=world.other_practice, kind="w9")
    ProviderDocumentFactory(
        practice=world.practice, provider=provider, kind="cv", archived_at=timezone.now()
    )
    assert list(provider_documents_for(world.practice.pk, provider.pk, None)) == [
        cert, license_, w9, insurance,
    ]  # fmt: skip
    assert list(provider_documents_for(world.practice.pk, provider.pk, ["w9", "license"])) == [
        license_, w9,
    ]  # fmt: skip
    assert list(provider_documents_for(world.practice.pk, None, ["w9", "license"])) == [w9]


def test_expiring_documents_are_those_lapsing_within_30_days_or_lapsed(world):
    def doc(days):
        return ProviderDocumentFactory(
            practice=world.practice, expires_on=today() + dt.timedelta(days=days)
        )

    lapsed, soon, edge = doc(-3), doc(10), doc(30)
    doc(31)
    ProviderDocumentFactory(practice=world.practice, expires_on=None)
    ProviderDocumentFactory(practice=world.practice, expires_on=today(), archived_at=timezone.now())
    ProviderDocumentFactory(practice=world.other_practice, expires_on=today())
    assert list(expiring_provider_documents(world.practice.pk, today())) == [lapsed, soon, edge]
    assert list(expiring_provider_documents(world.practice.pk, today(), within_days=5)) == [lapsed]


# ----------------------------------------------------------------------------- the API


def test_api_upload_of_a_providers_certificate(world, api):
    provider = ProviderFactory(practice=world.practice)
    content = blank_pdf(2)
    response = api(world.staff).post(
        URL,
        {"provider": provider.pk, "kind": "bcba_certificate", "title": "BACB certificate",
         "expires_on": "2027-01-31", "file": SimpleUploadedFile("Reyes cert.pdf", content)},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["practice"], body["provider"], body["page_count"]) == (
        world.practice.pk, provider.pk, 2,
    )  # fmt: skip
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    download = api(world.billing).get(body["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert "no-store" in download["Cache-Control"]
    log = AccessLog.objects.get(action=AccessAction.DOWNLOAD_CREDENTIAL)
    assert (log.practice_id, log.client_id, log.case_id) == (world.practice.pk, None, None)


def test_api_practice_level_document_and_bad_file(world, api):
    ok = api(world.staff).post(
        URL, {"kind": "w9", "file": SimpleUploadedFile("w9.pdf", blank_pdf())}, format="multipart"
    )
    assert ok.status_code == 201 and ok.json()["provider"] is None
    bad = api(world.staff).post(
        URL, {"kind": "w9", "file": SimpleUploadedFile("w9.pdf", b"MZ\x90")}, format="multipart"
    )
    assert bad.status_code == 400 and "file" in bad.json()
    assert ProviderDocument.objects.count() == 1


def test_api_refuses_another_practices_provider(world, api):
    theirs = ProviderFactory(practice=world.other_practice)
    response = api(world.staff).post(
        URL,
        {
            "provider": theirs.pk,
            "kind": "license",
            "file": SimpleUploadedFile("l.pdf", blank_pdf()),
        },
        format="multipart",
    )
    assert response.status_code == 400 and "provider" in response.json()


def test_api_filters_by_provider_and_expiring(world, api):
    provider = ProviderFactory(practice=world.practice)
    mine = ProviderDocumentFactory(
        practice=world.practice, provider=provider, kind="license",
        expires_on=today() + dt.timedelta(days=12),
    )  # fmt: skip
    practice_level = ProviderDocumentFactory(
        practice=world.practice, expires_on=today() + dt.timedelta(days=300)
    )
    ids = lambda r: [row["id"] for row in r.json()["results"]]  # noqa: E731
    client = api(world.staff)
    assert set(ids(client.get(URL))) == {mine.pk, practice_level.pk}
    assert ids(client.get(URL, {"provider": provider.pk})) == [mine.pk]
    assert ids(client.get(URL, {"expiring": "1"})) == [mine.pk]


def test_api_archive_then_list_hides_it(world, api):
    document = ProviderDocumentFactory(practice=world.practice)
    client = api(world.staff)
    response = client.post(f"{URL}{document.pk}/archive/")
    assert response.status_code == 200 and response.json()["archived_at"]
    assert client.get(URL).json()["results"] == []
    assert len(client.get(URL, {"archived": "1"}).json()["results"]) == 1


def test_api_another_practices_document_is_404(world, api):
    document = ProviderDocumentFactory(practice=world.practice)
    other = api(world.other_staff)
    assert other.get(f"{URL}{document.pk}/").status_code == 404
    assert other.get(f"{URL}{document.pk}/download/").status_code == 404
    assert other.post(f"{URL}{document.pk}/archive/").status_code == 404
    assert other.get(URL).json()["results"] == []
    assert not AccessLog.objects.exists()


# ----------------------------------------------------------------------------- the page


def test_credentials_page_shows_expiry_badges(world, web):
    provider = ProviderFactory(practice=world.practice)
    ProviderDocumentFactory(
        practice=world.practice, provider=provider, kind="license", title="State license",
        expires_on=today() + dt.timedelta(days=12),
    )  # fmt: skip
    ProviderDocumentFactory(
        practice=world.practice, kind="liability_insurance", title="Insurance 2025",
        expires_on=today() - dt.timedelta(days=2),
    )  # fmt: skip
    ProviderDocumentFactory(
        practice=world.practice, kind="w9", title="W-9", expires_on=today() + dt.timedelta(days=90)
    )
    ProviderDocumentFactory(practice=world.other_practice, title="Harbor's W-9")
    html = web(world.staff).get(reverse("cases:credentials")).content.decode()
    assert "expires in 12 days" in html and ">expired<" in html
    assert html.count("expires in") == 1  # not the W-9, 90 days away
    assert "Harbor" not in html
    assert (
        reverse("cases:credentials")
        in web(world.staff).get(reverse("cases:provider_list")).content.decode()
    )


def test_credentials_page_upload_and_refusal_keeps_the_title(world, web):
    provider = ProviderFactory(practice=world.practice)
    browser = web(world.staff)
    url = reverse("cases:credentials")
    bad = browser.post(
        url,
        {"doc-provider": provider.pk, "doc-kind": "rbt_certificate", "doc-title": "RBT card",
         "doc-file": SimpleUploadedFile("c.pdf", b"%PDF-1.4 broken")},
    )  # fmt: skip
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'value="RBT card"' in html and "cannot be opened" in html
    good = browser.post(
        url,
        {"doc-provider": provider.pk, "doc-kind": "rbt_certificate", "doc-title": "RBT card",
         "doc-expires_on": (today() + dt.timedelta(days=5)).isoformat(),
         "doc-file": SimpleUploadedFile("c.pdf", blank_pdf())},
    )  # fmt: skip
    assert good.status_code == 302
    document = ProviderDocument.objects.get()
    assert (document.provider, document.title) == (provider, "RBT card")
    page = browser.get(url, {"provider": provider.pk}).content.decode()
    assert "expires in 5 days" in page
    archive = reverse("cases:credential_archive", args=[document.pk])
    assert browser.post(archive).status_code == 302
    document.refresh_from_db()
    assert document.archived_at is not None


def test_credentials_download_and_archive_of_another_practice_are_404(world, web):
    document = ProviderDocumentFactory(practice=world.practice)
    other = web(world.other_staff)
    assert other.get(reverse("cases:credential_download", args=[document.pk])).status_code == 404
    assert other.post(reverse("cases:credential_archive", args=[document.pk])).status_code == 404
    response = web(world.staff).get(reverse("cases:credential_download", args=[document.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
