"""A real Celery worker process, on Redis and PostgreSQL, renders a requested document."""

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from pypdf import PdfReader

from cases.models import Document
from cases.services import document_request
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


@pytest.fixture
def broker(monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    require_service("Redis", _redis_up())
    url = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    celery_app.conf.task_always_eager = False
    client = redis.Redis.from_url(url)
    client.delete("celery")  # stray messages from earlier runs
    yield url
    celery_app.conf.task_always_eager = True


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
