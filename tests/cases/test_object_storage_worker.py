"""Past one machine: a letter requested through the API is rendered by a real Celery worker
(Redis, PostgreSQL) into object storage (a real S3 API over HTTP), and downloaded from a second
web process (gunicorn) on another port, with a token: the same bytes, the object in the
bucket, nothing on any process's local disk."""

import hashlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from knox.models import AuthToken

from cases.models import Document
from tests.cases.conftest import free_port, local_files
from tests.cases.test_worker import ROOT, broker, start_worker, wait_for  # noqa: F401 (fixture)

pytestmark = pytest.mark.services


def start_web(port: int, private_root: Path) -> subprocess.Popen:
    """gunicorn on ``port``, on the test database and this test's object storage (the S3
    variables come from the environment, as on a deployed host), with its own empty disk."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PRIVATE_MEDIA_ROOT": str(private_root),
        "SECRET_KEY": "web-test-secret-key-0123456789abcdefghijklmnop",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sca_portal.wsgi:application",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (ours)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


@pytest.mark.django_db(transaction=True)
def test_a_letter_rendered_by_a_worker_is_downloaded_from_a_second_web_process(
    broker,  # noqa: F811 (the fixture imported above)
    s3,
    ready_case,
    world,
    api,
    settings,
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv("PRIVATE_STORAGE_URL", s3.url)  # for the worker and the web process
    worker_disk, web_disk = tmp_path / "worker-private", tmp_path / "web-private"
    worker_disk.mkdir()
    web_disk.mkdir()

    response = api(world.staff).post(
        f"/api/v1/cases/{ready_case.pk}/documents/", {"kind": "request_letter"}, format="json"
    )
    assert response.status_code == 202, response.content
    document_id = response.json()["id"]

    port = free_port()
    web = start_web(port, web_disk)
    worker = start_worker(broker, worker_disk)
    try:
        ready = wait_for(
            lambda: Document.objects.get(pk=document_id).status in ("ready", "failed"), 120
        )
        document = Document.objects.get(pk=document_id)
        assert ready and document.status == "ready", document.error

        token = AuthToken.objects.create(user=world.billing)[1]
        url = f"http://127.0.0.1:{port}/api/v1/documents/{document_id}/download/"
        assert wait_for(lambda: _get(url, token)[0] != 0, 60), "gunicorn did not start"
        status, body = _get(url, token)
        other = AuthToken.objects.create(user=world.other_staff)[1]
        other_status, _ = _get(url, other)
    finally:
        worker.terminate()
        web.terminate()
        worker_log = worker.communicate(timeout=30)[0]
        web_log = web.communicate(timeout=30)[0]

    assert status == 200, (body[:500], web_log[-3000:])
    assert body.startswith(b"%PDF")
    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert len(body) == document.size_bytes
    assert other_status == 404  # the tenant check holds in the second process too
    # The object is in the bucket, encrypted, and on no process's disk.
    assert s3.objects() == [s3.key(document.file.name)]
    assert hashlib.sha256(s3.read(document.file.name)).hexdigest() == document.sha256
    assert s3.head(document.file.name)["ServerSideEncryption"] == "AES256"
    assert local_files(worker_disk) == [] and local_files(web_disk) == []
    assert local_files(settings.PRIVATE_MEDIA_ROOT) == []
    assert ready_case.client.last_name not in worker_log + web_log
