"""The document sweeper (beat, every minute) is safe to run twice at once: a stuck document is
sent again by one sweep only, so it is never rendered twice (issue 19, item 4)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Document, DocumentKind, DocumentStatus
from cases.services import documents as documents_service
from cases.services.documents import documents_sweep
from tests.conftest import require_service
from tests.factories import CaseFactory


def _stuck_documents(world, count):
    long_ago = timezone.now() - dt.timedelta(hours=1)
    documents = [
        Document.objects.create(
            case=CaseFactory(practice=world.practice, created_by=world.staff),
            kind=DocumentKind.REQUEST_LETTER,
            status=DocumentStatus.RENDERING,
            requested_by=world.staff,
        )
        for _ in range(count)
    ]
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(updated_at=long_ago)
    return documents


def test_a_stuck_document_is_sent_again_once(world, monkeypatch):
    sent = []
    monkeypatch.setattr(documents_service, "_enqueue", sent.append)
    [document] = _stuck_documents(world, 1)
    assert documents_sweep() == 1
    assert documents_sweep() == 0  # fresh now: the next sweep leaves it
    assert sent == [document.pk]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_stuck_document_once(world, monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql")
    sent, lock = [], threading.Lock()

    def enqueue(document_id):
        with lock:
            sent.append(document_id)

    monkeypatch.setattr(documents_service, "_enqueue", enqueue)
    documents = _stuck_documents(world, 30)
    barrier, counts, errors = threading.Barrier(2), [], []

    def sweep():
        try:
            barrier.wait(timeout=30)
            counts.append(documents_sweep())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(sent) == sorted(d.pk for d in documents)  # each once, none lost
    assert sum(counts) == len(documents)
