"""Private files in S3-compatible object storage (PRIVATE_STORAGE_URL), against a real S3 API
over HTTP (tests/cases/conftest.py): uploads land in the bucket encrypted, under keys without
patient data and off the local disk; downloads stream through the app; a missing object is a
404 file_missing, an unreachable server a 503 at download and at upload, and retries then a
readable failure at render."""

import hashlib
import logging

import pytest

from cases.models import AccessLog, CaseAttachment, Consent, Document
from cases.services import documents as document_service
from cases.tasks import render_document
from sca_portal.celery import app as celery_app
from tests.cases.conftest import local_files, use_private_storage
from tests.cases.test_consents import PDF
from tests.cases.test_consents import upload as upload_consent
from tests.cases.test_documents import request_document
from tests.cases.test_packet import attach, pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.services]

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


def unreachable(settings, s3) -> None:
    """The private storage pointed at a port where no server answers."""
    use_private_storage(settings, s3.url.replace(s3.endpoint, CLOSED))


def test_a_consent_scan_lands_in_the_bucket_encrypted_private_and_off_the_disk(
    world, api, ready_case, settings, s3
):
    response = upload_consent(api, world.staff, ready_case, PDF, "Ava Martinez consent.pdf")
    assert response.status_code == 201, response.content
    consent = Consent.objects.get()
    key = s3.key(consent.file.name)
    assert s3.objects() == [key]
    assert key.startswith(f"private/consents/{ready_case.pk}/") and key.endswith(".pdf")
    client = ready_case.client
    for value in ("Ava", "Martinez", client.first_name, client.last_name, client.member_id):
        assert value not in key
    head = s3.head(consent.file.name)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"
    grants = s3.client.get_object_acl(Bucket=s3.name, Key=key)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner's only
    assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)  # no AllUsers group
    assert s3.read(consent.file.name) == PDF
    assert local_files(settings.PRIVATE_MEDIA_ROOT) == []


def test_an_attachment_lands_in_the_bucket_and_downloads_streamed_through_the_app(
    world, api, ready_case, settings, s3
):
    content = pdf_bytes("Assessment page one")
    attachment = attach(ready_case, "assessment", content)
    assert s3.head(attachment.file.name)["ServerSideEncryption"] == "AES256"
    assert local_files(settings.PRIVATE_MEDIA_ROOT) == []

    url = f"/api/v1/cases/{ready_case.pk}/attachments/{attachment.pk}/download/"
    response = api(world.billing).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(content))
    assert b"".join(response.streaming_content) == content
    assert "Location" not in response  # streamed, never a redirect to the bucket
    assert AccessLog.objects.filter(object_type="caseattachment", object_id=attachment.pk).exists()
    assert api(world.other_staff).get(url).status_code == 404


def test_a_rendered_letter_is_stored_in_the_bucket_and_downloaded(
    world, api, ready_case, settings, s3, django_capture_on_commit_callbacks
):
    request_document(
        api, world.staff, ready_case, "request_letter", django_capture_on_commit_callbacks
    )
    document = Document.objects.get()
    assert document.status == "ready", document.error
    assert s3.objects() == [s3.key(document.file.name)]
    assert s3.head(document.file.name)["ServerSideEncryption"] == "AES256"
    response = api(world.staff).get(f"/api/v1/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.sha256
    assert local_files(settings.PRIVATE_MEDIA_ROOT) == []


def test_an_object_deleted_out_of_band_is_404_file_missing_and_logged(
    world, api, web, ready_case, s3, caplog
):
    attachment = attach(ready_case, "assessment", pdf_bytes("Gone"))
    s3.client.delete_object(Bucket=s3.name, Key=s3.key(attachment.file.name))

    url = f"/api/v1/cases/{ready_case.pk}/attachments/{attachment.pk}/download/"
    with caplog.at_level(logging.WARNING, logger="cases.downloads"):
        response = api(world.staff).get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "file_missing" and response.json()["detail"]
    assert response["Cache-Control"].startswith("no-store")
    lines = [r.getMessage() for r in caplog.records if r.name == "cases.downloads"]
    assert lines == [
        f"CaseAttachment {attachment.pk}: its file is missing from the private storage"
    ]
    assert ready_case.client.last_name not in caplog.text
    # The attempt is in the access log: the user asked for that record.
    entry = AccessLog.objects.get(object_type="caseattachment", object_id=attachment.pk)
    assert entry.action == "download_attachment"

    page = web(world.staff).get(f"/attachments/{attachment.pk}/download/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/plain")


def test_a_truncated_object_is_never_served_as_the_file(world, api, ready_case, s3, caplog):
    """The bytes must be the ones the record's sha256 names (integrity): half a file is
    refused like a missing one, and operators are told which record."""
    content = pdf_bytes("Whole")
    attachment = attach(ready_case, "assessment", content)
    key = s3.key(attachment.file.name)
    s3.client.put_object(Bucket=s3.name, Key=key, Body=content[: len(content) // 2])
    with caplog.at_level(logging.WARNING, logger="cases.downloads"):
        response = api(world.staff).get(
            f"/api/v1/cases/{ready_case.pk}/attachments/{attachment.pk}/download/"
        )
    assert response.status_code == 404 and response.json()["code"] == "file_missing"
    assert f"CaseAttachment {attachment.pk}: its stored file differs" in caplog.text


def test_a_wrong_bucket_is_503_not_every_file_missing(world, api, ready_case, settings, s3):
    """A bucket deleted or misnamed makes every object look missing: the download says the
    storage is unavailable (an operator's fault), not that this record's file is gone."""
    attachment = attach(ready_case, "assessment", pdf_bytes("Kept"))
    use_private_storage(settings, s3.url.replace(f"s3://{s3.name}/", "s3://no-such-bucket-19/"))
    response = api(world.staff).get(
        f"/api/v1/cases/{ready_case.pk}/attachments/{attachment.pk}/download/"
    )
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"


def test_a_download_past_two_megabytes_spools_to_disk_not_memory(s3):
    from cases.models.parts import private_storage

    assert private_storage.max_memory_size == 2 * 1024 * 1024


def test_a_file_missing_from_the_local_disk_is_404_file_missing_too(
    world, api, ready_case, settings, caplog
):
    # No object storage here: the embedded default, local disk.
    attachment = attach(ready_case, "assessment", pdf_bytes("Gone"))
    (settings.PRIVATE_MEDIA_ROOT / attachment.file.name).unlink()
    url = f"/api/v1/cases/{ready_case.pk}/attachments/{attachment.pk}/download/"
    with caplog.at_level(logging.WARNING, logger="cases.downloads"):
        response = api(world.staff).get(url)
    assert response.status_code == 404 and response.json()["code"] == "file_missing"
    assert f"CaseAttachment {attachment.pk}: its file is missing" in caplog.text


def test_storage_unreachable_at_download_is_503_with_retry_after(
    world, api, web, ready_case, settings, s3, caplog
):
    attachment = attach(ready_case, "assessment", pdf_bytes("Kept"))
    consent_response = upload_consent(api, world.staff, ready_case, PDF, "c.pdf")
    consent = Consent.objects.get(pk=consent_response.json()["id"])
    unreachable(settings, s3)

    with caplog.at_level(logging.WARNING, logger="cases.downloads"):
        response = api(world.staff).get(
            f"/api/v1/cases/{ready_case.pk}/attachments/{attachment.pk}/download/"
        )
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert int(response["Retry-After"]) > 0
    assert not hasattr(response, "streaming_content")  # nothing of the file went out
    assert "EndpointConnectionError" in caplog.text

    page = web(world.staff).get(f"/consents/{consent.pk}/download/")
    assert page.status_code == 503 and page["Content-Type"].startswith("text/plain")
    assert "Retry-After" in page


def test_storage_unreachable_at_upload_is_503_and_nothing_is_saved(
    world, api, ready_case, settings, s3
):
    unreachable(settings, s3)
    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/attachments/",
        {"kind": "assessment", "title": "Initial", "file": _upload(pdf_bytes("Scan"))},
        format="multipart",
    )
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "storage_unavailable" and "Retry-After" in response
    assert not CaseAttachment.objects.exists()


def requested(world, api, case, capture, kind="request_letter") -> Document:
    """A document requested through the API, its task not yet run."""
    response = request_document(api, world.staff, case, kind, capture, execute=False)
    assert response.status_code == 202, response.content
    return Document.objects.get(pk=response.json()["id"])


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", content)


@pytest.fixture
def retries_in_process():
    """The task run in-process chains its retries (each at once, no countdown) and keeps the
    last error in its result instead of raising it."""
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = propagates


def test_storage_unreachable_at_render_retries_then_fails_with_a_readable_error(
    retries_in_process,
    world,
    api,
    ready_case,
    settings,
    s3,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    # The task in-process runs its retries at once (no countdown); three attempts, not five.
    monkeypatch.setattr(document_service, "MAX_ATTEMPTS", 3)
    unreachable(settings, s3)
    document = requested(world, api, ready_case, django_capture_on_commit_callbacks)
    assert render_document.apply(args=[document.pk], throw=False).get() == "skipped"
    document.refresh_from_db()
    assert document.status == "failed"
    assert document.attempts == 3
    assert document.error == "Could not store the document: object storage unreachable."
    assert not document.file and not document.sha256
    assert ready_case.events.filter(kind="document_failed").count() == 1
    assert not ready_case.events.filter(kind="document_ready").exists()
    response = api(world.staff).get(f"/api/v1/documents/{document.pk}/download/")
    assert response.status_code == 409  # never a half-written file


def test_storage_back_before_the_attempts_run_out_makes_the_document_ready(
    world, api, ready_case, settings, s3, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.files.storage import Storage

    real_save, calls = Storage.save, {"n": 0}

    def down_once(storage, name, content, max_length=None):
        calls["n"] += 1
        if calls["n"] == 1:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url=s3.endpoint)
        return real_save(storage, name, content, max_length=max_length)

    monkeypatch.setattr(Storage, "save", down_once)
    document = requested(world, api, ready_case, django_capture_on_commit_callbacks)
    assert render_document.apply(args=[document.pk], throw=False).get() == "ready"
    document.refresh_from_db()
    assert document.status == "ready" and document.attempts == 2 and not document.error
    assert s3.objects() == [s3.key(document.file.name)]


def test_a_packet_whose_stored_part_is_unreachable_is_retried_not_blamed_on_the_part(
    retries_in_process,
    world,
    api,
    ready_case,
    settings,
    s3,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from tests.cases.test_packet import ask

    monkeypatch.setattr(document_service, "MAX_ATTEMPTS", 2)
    attach(ready_case, "assessment", pdf_bytes("Assessment"))
    attach(ready_case, "treatment_plan", pdf_bytes("Plan"))
    unreachable(settings, s3)
    response = ask(api, world.staff, ready_case, django_capture_on_commit_callbacks, execute=False)
    assert response.status_code == 202, response.content
    document = Document.objects.get()
    render_document.apply(args=[document.pk], throw=False)
    document.refresh_from_db()
    assert document.status == "failed" and document.attempts == 2
    assert "object storage unreachable" in document.error
