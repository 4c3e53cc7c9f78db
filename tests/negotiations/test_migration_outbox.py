"""The data migration that moves the reminders' ``emailed`` flag into the email outbox
(issue 19, ``negotiations/migrations/0006_notification_emails_to_outbox.py``), run on
notifications flagged with the historical models of 0005 and checked with the current ones.

Each test migrates the database back and forward, so each one is transactional and puts the
database back at the latest migrations afterwards, whatever happens: the test database is
shared with the rest of the suite."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from negotiations.models import EmailOutbox, Notification, OutboxState
from negotiations.services.outbox import outbox_send
from tests.factories import CaseFactory, UserFactory

BEFORE = "0005_emailoutbox"


class Migrations:
    """Moves the negotiations app between its migrations, the others staying at their latest."""

    def __init__(self):
        self.latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    def migrate(self, targets):
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        executor.loader.build_graph()
        return executor.loader.project_state(targets).apps

    def back_to_0005(self):
        targets = [node for node in self.latest if node[0] != "negotiations"]
        return self.migrate([*targets, ("negotiations", BEFORE)])

    def forward(self):
        self.migrate(self.latest)


@pytest.fixture
def migrations(transactional_db):
    helper = Migrations()
    try:
        yield helper
    finally:
        try:
            helper.forward()
        except Exception:
            # A migration failed on the test's data: drop the data, so that the database is
            # still put back for the rest of the suite, and report the failure.
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            helper.forward()
            raise


def _notifications():
    """Three reminders, written at the latest state: one to a user with an address, one to a
    user without, one already emailed (flagged below, at 0005)."""
    case = CaseFactory(follow_up_on=timezone.localdate())
    with_address, without = UserFactory(), UserFactory(email="")
    waiting = Notification.objects.create(
        user=with_address, case=case, kind="follow_up", key="a", message=f"SCA case #{case.pk}."
    )
    no_address = Notification.objects.create(
        user=without, case=case, kind="follow_up", key="b", message="b"
    )
    emailed = Notification.objects.create(
        user=with_address, case=case, kind="follow_up", key="c", message="c"
    )
    return waiting, no_address, emailed


def test_notifications_not_yet_emailed_become_pending_outbox_rows(migrations):
    waiting, no_address, emailed = _notifications()
    apps = migrations.back_to_0005()
    Notification0005 = apps.get_model("negotiations", "Notification")
    # Reversed with no outbox row pending, every notification counts as emailed.
    assert set(Notification0005.objects.values_list("emailed", flat=True)) == {True}
    Notification0005.objects.filter(pk__in=[waiting.pk, no_address.pk]).update(emailed=False)

    migrations.forward()

    row = EmailOutbox.objects.get()
    assert row.key == f"notification:{waiting.pk}" and row.user_id == waiting.user_id
    assert row.subject == "SCA Portal reminder" and row.body == waiting.message
    assert row.state == OutboxState.PENDING and row.attempts == 0 and row.sent_at is None
    # Sent by the next run, once (the current models' rules).
    assert outbox_send()["sent"] == 1 and outbox_send()["sent"] == 0


def test_reversed_a_notification_is_emailed_unless_its_row_is_pending(migrations):
    waiting, no_address, emailed = _notifications()
    EmailOutbox.objects.create(
        user=waiting.user, key=f"notification:{waiting.pk}", subject="s", body="b"
    )
    EmailOutbox.objects.create(
        user=emailed.user,
        key=f"notification:{emailed.pk}",
        subject="s",
        body="b",
        state=OutboxState.SENT,
        sent_at=timezone.now(),
    )

    apps = migrations.back_to_0005()

    Notification0005 = apps.get_model("negotiations", "Notification")
    flags = dict(Notification0005.objects.values_list("pk", "emailed"))
    assert flags == {waiting.pk: False, no_address.pk: True, emailed.pk: True}

    # Forward again: the rows that are there stay as they were, none is added.
    migrations.forward()
    states = dict(EmailOutbox.objects.values_list("key", "state"))
    assert states == {
        f"notification:{waiting.pk}": OutboxState.PENDING,
        f"notification:{emailed.pk}": OutboxState.SENT,
    }
