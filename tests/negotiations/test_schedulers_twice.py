"""Schedulers safe to run twice, and reminders never lost (issue 19, item 4).

Two copies of each periodic task at the same moment (two beats, a retry beside the beat's
run) notify, email and expire each thing exactly once; an email is marked sent only once the
mail server took it, and one it refused waits in the outbox until it can be sent. The
concurrent tests run two threads, each on its own connection, on PostgreSQL (where the locks
are real); the sequential ones check the same rules on any database."""

import datetime as dt
import logging
import smtplib
import socket
import threading
import time
from collections import Counter

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from cases.models import Case
from negotiations.models import EmailOutbox, Notification, OutboxState
from negotiations.services.agreements import agreements_expire
from negotiations.services.outbox import MAX_ATTEMPTS, outbox_enqueue, outbox_send, retry_delay
from negotiations.services.reminders import reminders_run
from negotiations.tasks import OUTBOX_BEAT_SECONDS, send_outbox
from tests.conftest import require_service
from tests.factories import AgreementFactory, CaseFactory, UserFactory

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
COUNTING = f"{__name__}.CountingBackend"
REFUSING = f"{__name__}.RefusingBackend"

# What CountingBackend took: (Message-ID, thread name), across threads.
TAKEN: list[tuple[str, str]] = []
_taken_lock = threading.Lock()


class CountingBackend(BaseEmailBackend):
    """A mail server that takes its time (so two senders really overlap) and counts."""

    def send_messages(self, email_messages):
        for message in email_messages:
            time.sleep(0.02)
            with _taken_lock:
                TAKEN.append((message.extra_headers["Message-ID"], threading.current_thread().name))
        return len(email_messages)


class RefusingBackend(BaseEmailBackend):
    """A server that refuses one recipient (a per-message error) and takes the rest."""

    def send_messages(self, email_messages):
        for message in email_messages:
            if message.to == ["refused@example.com"]:
                raise smtplib.SMTPRecipientsRefused({"refused@example.com": (550, b"no")})
            mail.outbox.append(message)
        return len(email_messages)


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = LOCMEM
    mail.outbox = []
    TAKEN.clear()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mail_server_down(settings) -> None:
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def _follow_ups_due(world, n: int) -> list[Case]:
    today = timezone.localdate()
    return [
        CaseFactory(
            practice=world.practice,
            status="submitted",
            submitted_at=timezone.now(),
            follow_up_on=today,
            assigned_to=world.staff,
        )
        for _ in range(n)
    ]


def _ended_agreements(world, n: int) -> list[Case]:
    today = timezone.localdate()
    cases = []
    for _ in range(n):
        case = CaseFactory(practice=world.practice, status="approved", submitted_at=timezone.now())
        AgreementFactory(
            case=case,
            start_date=today - dt.timedelta(days=100),
            end_date=today - dt.timedelta(days=1),
        )
        cases.append(case)
    return cases


def _twice_at_once(run):
    """``run()`` in two threads released together, each on its own database connection."""
    barrier = threading.Barrier(2)
    results, errors = [], []

    def one():
        try:
            barrier.wait(timeout=30)
            results.append(run())
        except Exception as exc:  # reported below, with the other thread's outcome
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, name=f"runner-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(results) == 2
    return results


def _postgresql():
    require_service("PostgreSQL", connection.vendor == "postgresql")


# ----------------------------------------------------------------------------- at once


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_notify_and_email_each_condition_once(world, settings):
    _postgresql()
    settings.EMAIL_BACKEND = COUNTING
    cases = _follow_ups_due(world, 12)

    results = _twice_at_once(lambda: reminders_run(today=timezone.localdate()))

    assert sum(result["follow_up"] for result in results) == 12
    assert Notification.objects.filter(kind="follow_up").count() == 12
    assert {n.case_id for n in Notification.objects.all()} == {case.pk for case in cases}
    assert EmailOutbox.objects.count() == 12
    assert set(EmailOutbox.objects.values_list("state", flat=True)) == {OutboxState.SENT}
    sent = Counter(message_id for message_id, _ in TAKEN)
    assert len(sent) == 12 and set(sent.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_two_outbox_senders_at_once_send_each_email_once(world, settings):
    _postgresql()
    settings.EMAIL_BACKEND = COUNTING
    for i in range(20):
        outbox_enqueue(user=world.staff, key=f"test:{i}", subject="SCA Portal reminder", body="x")

    results = _twice_at_once(outbox_send)

    assert sum(result["sent"] for result in results) == 20
    sent = Counter(message_id for message_id, _ in TAKEN)
    assert len(sent) == 20 and set(sent.values()) == {1}
    # Both senders took rows, side by side: the second skipped what the first held.
    assert {thread for _, thread in TAKEN} == {"runner-0", "runner-1"}
    rows = EmailOutbox.objects.all()
    assert all(row.state == OutboxState.SENT and row.attempts == 1 for row in rows)


@pytest.mark.django_db(transaction=True)
def test_two_expiry_runs_at_once_expire_each_agreement_once_with_one_event(world):
    _postgresql()
    cases = _ended_agreements(world, 10)

    results = _twice_at_once(lambda: agreements_expire(today=timezone.localdate()))

    assert sum(results) == 10
    for case in cases:
        case.refresh_from_db()
        assert case.status == "expired"
        assert case.version == 2  # one write, not two
        assert case.events.filter(kind="expired").count() == 1


# ----------------------------------------------------------------------------- server down


@pytest.mark.django_db(transaction=True)
def test_mail_server_down_keeps_the_reminder_pending_then_sends_it_once(world, settings):
    """On any database; on PostgreSQL in CI. Nothing is marked sent while the server is down;
    the attempt is counted with the error's class; once it is back, sent exactly once."""
    (case,) = _follow_ups_due(world, 1)
    _mail_server_down(settings)

    assert reminders_run(today=timezone.localdate())["follow_up"] == 1

    notification = Notification.objects.get(case=case)
    row = EmailOutbox.objects.get()
    assert row.key == f"notification:{notification.pk}" and row.user == world.staff
    assert row.state == OutboxState.PENDING and row.sent_at is None
    assert row.attempts == 1 and row.last_error == "ConnectionRefusedError (111)"
    assert row.next_attempt_at > timezone.now()
    assert mail.outbox == []
    # The run again while it is down, once the row is due: one more attempt, still pending.
    EmailOutbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_send() == {"sent": 0, "retrying": 1, "failed": 0, "skipped": 0}
    row.refresh_from_db()
    assert row.state == OutboxState.PENDING and row.attempts == 2

    settings.EMAIL_BACKEND = LOCMEM
    assert outbox_send()["sent"] == 0  # not due yet: the backoff holds
    EmailOutbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_send()["sent"] == 1
    assert outbox_send()["sent"] == 0
    assert reminders_run(today=timezone.localdate())["follow_up"] == 0

    row.refresh_from_db()
    assert row.state == OutboxState.SENT and row.sent_at is not None and row.attempts == 3
    assert row.last_error == ""
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.staff.email]
    assert f"#{case.pk}" in mail.outbox[0].body and case.client.last_name not in mail.outbox[0].body


# ----------------------------------------------------------------------------- in turn


def test_each_reminder_email_is_an_outbox_row_sent_once(world):
    cases = _follow_ups_due(world, 3)
    today = timezone.localdate()

    assert reminders_run(today=today)["follow_up"] == 3
    assert reminders_run(today=today)["follow_up"] == 0
    assert outbox_send() == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    send_outbox.apply()  # the beat's run of the task

    assert len(mail.outbox) == 3
    assert EmailOutbox.objects.filter(state=OutboxState.SENT).count() == 3
    keys = {f"notification:{n.pk}" for n in Notification.objects.all()}
    assert set(EmailOutbox.objects.values_list("key", flat=True)) == keys
    assert not any(c.client.last_name in m.body for c in cases for m in mail.outbox)


def test_message_ids_name_the_row(world):
    """Fixed per row: an email sent again after a crash (between the server taking it and the
    row's commit) is recognisably the same one, and mail systems that drop duplicates by
    Message-ID show it once."""
    row = outbox_enqueue(user=world.staff, key="test:1", subject="s", body="b")
    outbox_send()
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<sca-outbox-{row.pk}@")


def test_enqueueing_the_same_key_twice_makes_one_row(world):
    assert outbox_enqueue(user=world.staff, key="digest:1:2026-01-05", subject="s", body="b")
    assert (
        outbox_enqueue(user=world.staff, key="digest:1:2026-01-05", subject="s", body="b") is None
    )
    assert EmailOutbox.objects.count() == 1


def test_a_user_without_address_gets_no_email_and_an_inactive_one_is_skipped(world):
    nobody = UserFactory(email="")
    assert outbox_enqueue(user=nobody, key="test:none", subject="s", body="b") is None
    leaver = UserFactory()
    row = outbox_enqueue(user=leaver, key="test:leaver", subject="s", body="b")
    leaver.is_active = False
    leaver.save()

    assert outbox_send()["skipped"] == 1
    row.refresh_from_db()
    assert row.state == OutboxState.SKIPPED and mail.outbox == []


def test_a_refused_recipient_does_not_hold_up_the_others(world, settings):
    settings.EMAIL_BACKEND = REFUSING
    refused = UserFactory(email="refused@example.com")
    bad = outbox_enqueue(user=refused, key="test:refused", subject="s", body="b")
    outbox_enqueue(user=world.staff, key="test:fine", subject="s", body="b")

    assert outbox_send() == {"sent": 1, "retrying": 1, "failed": 0, "skipped": 0}
    bad.refresh_from_db()
    assert bad.state == OutboxState.PENDING and bad.last_error == "SMTPRecipientsRefused"


def test_a_message_that_cannot_be_sent_does_not_hold_up_the_others(world):
    """A newline in an address makes Django refuse the message (BadHeaderError): that row
    counts its attempt and waits; the rows behind it go out."""
    broken = UserFactory(email="bad\n@example.com")
    bad = outbox_enqueue(user=broken, key="test:bad", subject="s", body="b")
    outbox_enqueue(user=world.staff, key="test:fine", subject="s", body="b")

    assert outbox_send() == {"sent": 1, "retrying": 1, "failed": 0, "skipped": 0}
    bad.refresh_from_db()
    assert bad.state == OutboxState.PENDING and bad.attempts == 1
    assert [m.to for m in mail.outbox] == [[world.staff.email]]


def test_outbox_gives_up_after_its_attempts_and_logs_ids_only(world, settings, caplog):
    _mail_server_down(settings)
    row = outbox_enqueue(user=world.staff, key="test:1", subject="s", body="SCA case #7")
    EmailOutbox.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)

    with caplog.at_level(logging.WARNING, logger="negotiations.services.outbox"):
        assert outbox_send()["failed"] == 1

    row.refresh_from_db()
    assert row.state == OutboxState.FAILED and row.attempts == MAX_ATTEMPTS
    assert outbox_send()["failed"] == 0  # never tried again
    assert f"email {row.pk} to user {world.staff.pk} failed after {MAX_ATTEMPTS}" in caplog.text
    assert world.staff.email not in caplog.text and "#7" not in caplog.text


def test_failed_attempts_back_off_doubling_up_to_two_hours():
    delays = [retry_delay(n).total_seconds() for n in range(1, MAX_ATTEMPTS)]
    assert delays[:4] == [60, 120, 240, 480]
    assert max(delays) == 2 * 60 * 60
    # All attempts together: a mail server down for a morning loses nothing.
    assert sum(delays) >= 5 * 60 * 60


def test_send_outbox_retries_while_an_email_is_due_before_the_beat(world, settings, monkeypatch):
    _mail_server_down(settings)
    outbox_enqueue(user=world.staff, key="test:1", subject="s", body="b")
    countdowns = []

    def retry(*, countdown):  # what Celery would publish, caught here
        countdowns.append(countdown)
        return Retry()

    monkeypatch.setattr(send_outbox, "retry", retry)
    send_outbox.push_request(is_eager=False, retries=0)
    try:
        with pytest.raises(Retry):
            send_outbox.run()
        # Due beyond the beat's next run: the beat's, no retry of this one.
        EmailOutbox.objects.update(next_attempt_at=timezone.now() + dt.timedelta(hours=1))
        send_outbox.run()
    finally:
        send_outbox.pop_request()
    assert len(countdowns) == 1 and 55 <= countdowns[0] <= 60  # the first backoff
    assert EmailOutbox.objects.get().state == OutboxState.PENDING


def test_the_beat_runs_the_outbox_as_often_as_the_task_assumes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["send-outbox"]
    assert entry["task"] == "negotiations.send_outbox"
    assert entry["schedule"] == OUTBOX_BEAT_SECONDS


def test_expiry_run_twice_in_turn_expires_once_with_one_event(world):
    cases = _ended_agreements(world, 3)
    today = timezone.localdate()
    assert agreements_expire(today=today) == 3
    assert agreements_expire(today=today) == 0
    for case in cases:
        assert case.events.filter(kind="expired").count() == 1
