"""Scheduled work (Celery beat). Tasks take no arguments with patient data: they load and
call a service. Each is safe to run twice at the same moment (two beats, a retry beside the
beat's run): the services claim or lock what they write (docs/DEPLOY.md, "Scale")."""

from celery import Task, shared_task

from .services.agreements import agreements_expire
from .services.outbox import MAX_ATTEMPTS, OutboxRun, outbox_next_due_in, outbox_send
from .services.reminders import reminders_run
from .services.worklist import task_digests_send

# How often the beat runs send_outbox (settings.CELERY_BEAT_SCHEDULE["send-outbox"]; a test
# checks they agree).
OUTBOX_BEAT_SECONDS = 300.0


def _before_the_beat(wait: float | None) -> bool:
    """An email is waiting and due before the beat's next outbox run: worth a retry of its
    own. Later ones are the beat's, so retries never pile up (nor sit in the broker for hours)."""
    return wait is not None and wait < OUTBOX_BEAT_SECONDS


@shared_task(name="negotiations.send_reminders")
def send_reminders() -> dict:
    created = reminders_run()
    # An email the mail server refused stays in the outbox: try again when it is due.
    wait = outbox_next_due_in()
    if _before_the_beat(wait):
        send_outbox.apply_async(countdown=max(wait or 0.0, 5.0))
    return created


@shared_task(name="negotiations.send_outbox", bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def send_outbox(self: Task) -> OutboxRun:
    """Send the outbox's due emails. While some wait (the mail server refused them) and the
    first is due before the beat's next run (the backoff's first minutes), retry when it is
    due; the beat (every five minutes) takes the later ones. Several of these at once are
    safe: rows are claimed (services.outbox)."""
    run = outbox_send()
    wait = outbox_next_due_in()
    if (
        _before_the_beat(wait)
        and not self.request.is_eager  # in-process (no broker): no retry loop in the caller
        and self.request.retries < MAX_ATTEMPTS
    ):
        raise self.retry(countdown=max(wait or 0.0, 5.0))
    return run


@shared_task(name="negotiations.expire_agreements")
def expire_agreements() -> int:
    return agreements_expire()


@shared_task(name="negotiations.send_task_digests")
def send_task_digests() -> int:
    """07:00: each member's open tasks, one email per member and practice a day (case numbers,
    kinds and due dates only). Two runs at once send each once (the outbox's key)."""
    return task_digests_send()
