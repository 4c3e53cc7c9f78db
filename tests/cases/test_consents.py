"""Consents with the signed scan: content-checked, size-limited, stored privately."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Consent

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(api, user, case, content, name):
    body = {
        "signer_name": "Pat Martinez",
        "signer_relationship": "parent",
        "signed_on": "2026-01-05",
        "acknowledges_costs": "true",
        "file": SimpleUploadedFile(name, content),
    }
    return api(user).post(f"/api/v1/cases/{case.pk}/consents/", body, format="multipart")


def test_signed_scan_is_stored_privately_and_downloaded_by_members(
    world, api, ready_case, settings
):
    response = upload(api, world.staff, ready_case, PDF, "Ava Martinez consent.pdf")
    assert response.status_code == 201, response.content
    assert response.json()["has_file"] is True
    assert "file" not in response.json()  # no URL to the file is ever handed out
    consent = Consent.objects.get()
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / consent.file.name
    assert stored.read_bytes() == PDF
    assert "Martinez" not in consent.file.name and consent.file.name.endswith(".pdf")
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))

    url = f"/api/v1/cases/{ready_case.pk}/consents/{consent.pk}/file/"
    download = api(world.billing).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert api(world.other_staff).get(url).status_code == 404


def test_upload_checked_by_content_not_name(world, api, ready_case):
    response = upload(api, world.staff, ready_case, b"MZ\x90\x00 not a pdf", "consent.pdf")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Consent.objects.exists()
    assert upload(api, world.staff, ready_case, PNG, "scan.bin").status_code == 201


def test_upload_size_limited(world, api, ready_case, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(api, world.staff, ready_case, PDF + b"0" * 2048, "consent.pdf")
    assert response.status_code == 400 and "file" in response.json()
    assert not Consent.objects.exists()


def test_consent_validation_names_the_field(world, api, ready_case):
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/consents/",
        {"signer_name": "P", "signer_relationship": "cousin", "signed_on": "2999-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert {"signer_relationship", "signed_on"} <= set(response.json())


def test_consent_without_file_is_fine_and_download_is_404(world, api, ready_case):
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/consents/",
        {
            "signer_name": "P",
            "signer_relationship": "parent",
            "signed_on": "2026-01-01",
            "acknowledges_costs": True,
        },
        format="json",
    )
    assert response.status_code == 201
    url = f"/api/v1/cases/{ready_case.pk}/consents/{response.json()['id']}/file/"
    assert api(world.staff).get(url).status_code == 404


def test_removing_a_consent_deletes_its_scan(
    world, api, ready_case, settings, django_capture_on_commit_callbacks
):
    upload(api, world.staff, ready_case, PDF, "c.pdf")
    consent = Consent.objects.get()
    path = Path(settings.PRIVATE_MEDIA_ROOT) / consent.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.staff).delete(f"/api/v1/cases/{ready_case.pk}/consents/{consent.pk}/")
    assert response.status_code == 204
    assert not path.exists()


def test_removing_a_consent_stands_when_its_scan_cannot_be_deleted(
    world, api, ready_case, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """The delete runs after the commit: a storage that refuses it leaves the scan behind
    (logged by id), never a refusal of a change that is already saved."""
    from django.core.files.storage import FileSystemStorage

    upload(api, world.staff, ready_case, PDF, "c.pdf")
    consent = Consent.objects.get()

    def refuse(self, name):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(FileSystemStorage, "delete", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.staff).delete(f"/api/v1/cases/{ready_case.pk}/consents/{consent.pk}/")
    assert response.status_code == 204
    assert not Consent.objects.exists()
    assert f"consent {consent.pk}: its old scan was not deleted (ConnectionError)" in caplog.text
