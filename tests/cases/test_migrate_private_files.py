"""``manage.py migrate_private_files``: 20 private files copied from the local disk to object
storage (a real S3 API over HTTP) and back, under the same keys, each verified by sha256;
resumable; a missing source or a bad copy reported, counted and failing the run."""

import hashlib
import io
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.models import CaseAttachment, Consent, Document, ProviderDocument
from tests.cases.conftest import local_files, use_private_storage
from tests.factories import CaseAttachmentFactory, ConsentFactory, ProviderDocumentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def use_local_storage(settings) -> None:
    """The private storage on the local disk, as before PRIVATE_STORAGE_URL is set."""
    from django.core.files.storage import storages
    from django.utils.functional import empty

    from cases.models.parts import private_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(settings.PRIVATE_MEDIA_ROOT), "base_url": None},
        },
    }
    storages._storages.pop("private", None)
    private_storage._wrapped = empty


@pytest.fixture
def twenty(world, ready_case, settings, s3) -> dict[str, str]:
    """Twenty private files of every kind on the local disk: {key: sha256}."""
    use_local_storage(settings)
    for i in range(8):
        CaseAttachmentFactory(case=ready_case, file__data=os.urandom(2000 + i))
    for i in range(4):
        ProviderDocumentFactory(practice=world.practice, file__data=os.urandom(3000 + i))
    for i in range(4):
        consent = ConsentFactory(case=ready_case)
        consent.file.save("consent.png", ContentFile(os.urandom(1000 + i)))
    for i in range(4):
        content = os.urandom(5000 + i)
        digest = hashlib.sha256(content).hexdigest()
        document = Document(case=ready_case, kind="request_letter", status="ready", sha256=digest)
        document.file.save("document.pdf", ContentFile(content))
    keys = {}
    for model in (CaseAttachment, ProviderDocument, Consent, Document):
        for name in model.objects.values_list("file", flat=True):
            keys[name] = hashlib.sha256(
                (settings.PRIVATE_MEDIA_ROOT / name).read_bytes()
            ).hexdigest()
    assert len(keys) == 20 and len(local_files(settings.PRIVATE_MEDIA_ROOT)) == 20
    use_private_storage(settings, s3.url)  # PRIVATE_STORAGE_URL set, the files not moved yet
    return keys


def migrate(to: str) -> str:
    out = io.StringIO()
    call_command("migrate_private_files", "--to", to, stdout=out)
    return out.getvalue()


def failing(to: str) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("migrate_private_files", "--to", to, stdout=out)
    return out.getvalue(), str(exc.value)


def in_bucket(s3) -> dict[str, str]:
    return {
        key.removeprefix("private/"): hashlib.sha256(
            s3.read(key.removeprefix("private/"))
        ).hexdigest()
        for key in s3.objects()
    }


def test_to_s3_copies_every_file_under_its_key_verified_with_a_progress_bar(twenty, s3):
    output = migrate("s3")
    assert in_bucket(s3) == twenty
    for key in twenty:
        assert s3.head(key)["ServerSideEncryption"] == "AES256"
    assert "20 private files to copy to s3." in output
    assert "[" + "#" * 30 + "] 20/20" in output
    assert "[###############               ] 10/20" in output
    assert "To s3: 20 copied, 0 already there, 0 failed, 0 not reached (of 20)." in output


def test_a_second_run_skips_what_is_there_and_continues_where_it_stopped(twenty, s3):
    migrate("s3")
    keys = sorted(twenty)
    for key in keys[:5]:  # as if the first run had stopped before these
        s3.client.delete_object(Bucket=s3.name, Key=s3.key(key))
    # and one interrupted or stale copy
    s3.client.put_object(Bucket=s3.name, Key=s3.key(keys[5]), Body=b"half a file")
    output = migrate("s3")
    assert "To s3: 6 copied, 14 already there, 0 failed" in output
    assert in_bucket(s3) == twenty


def test_a_missing_source_is_reported_counted_and_fails_the_run(twenty, s3, settings):
    victim = sorted(twenty)[3]
    (settings.PRIVATE_MEDIA_ROOT / victim).unlink()
    output, error = failing("s3")
    assert f"({victim}): missing at the source" in output
    assert "To s3: 19 copied, 0 already there, 1 failed" in output
    assert error == "1 file(s) failed; see above."
    assert victim not in in_bucket(s3) and len(in_bucket(s3)) == 19


def test_a_copy_whose_sha256_differs_is_removed_and_fails_the_run(
    twenty, s3, settings, monkeypatch
):
    migrate("s3")
    for path in local_files(settings.PRIVATE_MEDIA_ROOT):
        path.unlink()
    victim = sorted(twenty)[7]
    save = FileSystemStorage._save

    def corrupting(storage, name, content):
        if name == victim:
            content = ContentFile(b"not what was sent")
        return save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", corrupting)
    output, _ = failing("local")
    assert f"({victim}): sha256 of the copy differs from the source's" in output
    assert "To local: 19 copied, 0 already there, 1 failed" in output
    assert not (settings.PRIVATE_MEDIA_ROOT / victim).exists()


def test_to_local_brings_every_file_back_and_the_app_serves_them(
    twenty, s3, settings, world, api, ready_case
):
    migrate("s3")
    for path in local_files(settings.PRIVATE_MEDIA_ROOT):
        path.unlink()
    output = migrate("local")
    assert "To local: 20 copied, 0 already there, 0 failed" in output
    on_disk = {
        str(p.relative_to(settings.PRIVATE_MEDIA_ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in local_files(settings.PRIVATE_MEDIA_ROOT)
    }
    assert on_disk == twenty
    assert "To local: 0 copied, 20 already there, 0 failed" in migrate("local")

    use_local_storage(settings)
    attachment = CaseAttachment.objects.first()
    response = api(world.staff).get(
        f"/api/v1/cases/{ready_case.pk}/attachments/{attachment.pk}/download/"
    )
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == twenty[attachment.file.name]


def test_an_unreachable_storage_stops_the_run_to_be_run_again(twenty, s3, settings):
    use_private_storage(settings, s3.url.replace(s3.endpoint, "http://127.0.0.1:9"))
    output, error = failing("s3")
    assert "run again to continue" in error
    assert "0 copied" in output and "20 not reached" in output


def test_without_an_object_storage_url_it_says_what_to_set(db):
    with pytest.raises(CommandError, match="Set PRIVATE_STORAGE_URL"):
        call_command("migrate_private_files", "--to", "s3", stdout=io.StringIO())


def test_keys_stay_the_records_names(twenty, s3):
    migrate("s3")
    names = set(CaseAttachment.objects.values_list("file", flat=True))
    assert names <= set(in_bucket(s3))
    assert all(Path(name).parts[0] == "attachments" for name in names)


def test_to_local_never_replaces_a_file_that_matches_its_record(twenty, s3, settings):
    """The bucket holds corrupt bytes, the disk the ones the record's sha256 names: the copy
    back is refused, and the good file stays."""
    migrate("s3")
    document = Document.objects.first()
    s3.client.put_object(Bucket=s3.name, Key=s3.key(document.file.name), Body=b"corrupt")
    good = (settings.PRIVATE_MEDIA_ROOT / document.file.name).read_bytes()
    output, error = failing("local")
    assert "the source differs from the sha256 its record keeps; not copied" in output
    assert (settings.PRIVATE_MEDIA_ROOT / document.file.name).read_bytes() == good
