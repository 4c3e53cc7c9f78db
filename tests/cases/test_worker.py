"""A real Celery worker process, on Redis and PostgreSQL, renders a requested document."""

import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from kombu import pools as kombu_pools
from pypdf import PdfReader

from cases.models import Document
from cases.services.documents import document_render, document_request, documents_sweep
from sca_portal.celery import app as celery_app
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
MARKER = "Zqxmarker"  # a client name that must never travel in a Celery message


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def use_broker(monkeypatch, url: str) -> None:
    """Point this process's Celery at ``url`` (the env var wins over settings in Celery)."""
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    reset_connections()


def reset_connections() -> None:
    # Celery and kombu cache broker connections per URL; drop them so the new URL is used.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    require_service("Redis", _redis_up())
    url = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    use_broker(monkeypatch, url)
    celery_app.conf.task_always_eager = False
    client = redis.Redis.from_url(url)
    client.delete("celery")  # stray messages from earlier runs
    yield url
    celery_app.conf.task_always_eager = True
    reset_connections()


def start_worker(broker_url: str, private_root: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
        "PRIVATE_MEDIA_ROOT": str(private_root),
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdefghij",
        "ALLOWED_HOSTS": "localhost",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sca_portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_requested_document(broker, ready_case, settings, world):
    client = ready_case.client
    client.first_name = MARKER
    client.save()
    document, created = document_request(
        case_id=ready_case.pk, actor=world.staff, kind="request_letter"
    )
    assert created

    # The message on the broker carries the document id and nothing about the patient.
    raw = redis.Redis.from_url(broker).lrange("celery", 0, -1)
    assert len(raw) == 1
    message = json.loads(raw[0])
    body = base64.b64decode(message["body"]).decode()
    assert json.loads(body)[0] == [document.pk]
    assert MARKER not in raw[0].decode() and MARKER not in body

    worker = start_worker(broker, Path(settings.PRIVATE_MEDIA_ROOT))
    try:
        ok = wait_for(lambda: Document.objects.get(pk=document.pk).status in ("ready", "failed"))
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    document.refresh_from_db()
    assert ok and document.status == "ready", output[-3000:]
    assert MARKER not in output  # nor in the worker's log
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(document.file.read())).pages)
    assert MARKER in text and client.member_id in text
    assert ready_case.events.filter(kind="document_ready").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_submission_packet(broker, ready_case, settings, world):
    from tests.cases.test_packet import attach, pdf_bytes, png_bytes

    attach(ready_case, "assessment", pdf_bytes("Assessment page one", "Assessment page two"))
    attach(ready_case, "treatment_plan", png_bytes(), file_type="png")
    document, created = document_request(
        case_id=ready_case.pk, actor=world.staff, kind="submission_packet"
    )
    assert created and len(document.parts_sha256) == 64

    worker = start_worker(broker, Path(settings.PRIVATE_MEDIA_ROOT))
    try:
        ok = wait_for(lambda: Document.objects.get(pk=document.pk).status in ("ready", "failed"))
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    document.refresh_from_db()
    assert ok and document.status == "ready", (document.error, output[-3000:])
    pages = PdfReader(io.BytesIO(document.file.read())).pages
    assert len(pages) == document.page_count >= 1 + 1 + 3  # cover, letter, 2 + 1 attachment pages
    for n, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"SCA-{ready_case.pk}" in text and f"Page {n} of {len(pages)}" in text
    assert "Assessment page two" in pages[-2].extract_text()
    assert ready_case.client.last_name not in output  # nor in the worker's log


def _files(root: Path) -> list[Path]:
    return [p for p in (root / "documents").rglob("*.pdf")] if (root / "documents").exists() else []


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_render_then_new_worker_delivers_exactly_once(
    broker, ready_case, settings, world
):
    # A long letter (about 140 pages, several seconds) so the worker is surely mid-render.
    ready_case.clinical_justification = (
        "The client needs intensive care with a specialized provider. " * 12 + "\n\n"
    ) * 600
    ready_case.save()
    private = Path(settings.PRIVATE_MEDIA_ROOT)
    document, _ = document_request(case_id=ready_case.pk, actor=world.staff, kind="request_letter")

    first = start_worker(broker, private)
    try:
        assert wait_for(lambda: Document.objects.get(pk=document.pk).status == "rendering", 60)
        time.sleep(1.0)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    document.refresh_from_db()
    assert document.status == "rendering" and document.attempts == 1 and not document.file

    # The sweeper finds it stuck (threshold 0 here instead of 5 minutes) and sends it again.
    assert documents_sweep(older_than_seconds=0) == 1
    second = start_worker(broker, private)
    try:
        ok = wait_for(
            lambda: Document.objects.get(pk=document.pk).status in ("ready", "failed"), 120
        )
    finally:
        second.terminate()
        output = second.communicate(timeout=30)[0]
    document.refresh_from_db()
    assert ok and document.status == "ready", output[-3000:]
    assert document.attempts == 2
    assert len(_files(private)) == 1
    assert ready_case.events.filter(kind="document_ready").count() == 1
    # a late redelivery of the killed worker's message renders nothing
    assert document_render(document_id=document.pk) is None
    assert len(_files(private)) == 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_request_succeeds_and_sweeper_delivers_later(
    monkeypatch, ready_case, settings, world, api, tmp_path, django_capture_on_commit_callbacks
):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    require_service("Redis", _redis_up())
    port = 6391
    url = f"redis://127.0.0.1:{port}/0"

    def start_redis():
        proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(lambda: _port_open(port), 20)
        return proc

    use_broker(monkeypatch, url)
    celery_app.conf.task_always_eager = False
    try:
        redis_proc = start_redis()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        assert not _port_open(port)

        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = api(world.staff).post(
                f"/api/v1/cases/{ready_case.pk}/documents/", {"kind": "consent_form"}, format="json"
            )
        assert response.status_code == 202, response.content
        assert time.monotonic() - started < 15  # bounded publish retries, no hang
        document = Document.objects.get()
        assert document.status == "queued"

        redis_proc = start_redis()
        worker = start_worker(url, Path(settings.PRIVATE_MEDIA_ROOT))
        try:
            assert documents_sweep(older_than_seconds=0) == 1
            ok = wait_for(lambda: Document.objects.get(pk=document.pk).status == "ready", 90)
        finally:
            worker.terminate()
            output = worker.communicate(timeout=30)[0]
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
        assert ok, output[-3000:]
    finally:
        celery_app.conf.task_always_eager = True
        reset_connections()


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
