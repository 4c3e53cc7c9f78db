"""Notifications not yet emailed become pending outbox rows (issue 19): the email of a
reminder written before the outbox is still sent, once. Those already emailed need no row.
A user without an address got no email before either (the old run only marked it), so gets
no row. Reversed, a notification is "emailed" unless its outbox row is still pending."""

from django.db import migrations

SUBJECT = "SCA Portal reminder"  # the reminders' subject (negotiations.services.reminders)
BATCH = 1000


def to_outbox(apps, schema_editor):
    Notification = apps.get_model("negotiations", "Notification")
    EmailOutbox = apps.get_model("negotiations", "EmailOutbox")
    waiting = (
        Notification.objects.filter(emailed=False)
        .exclude(user__email="")
        .values_list("pk", "user_id", "message")
        .order_by("pk")
    )
    rows = [
        EmailOutbox(
            user_id=user_id, key=f"notification:{pk}", subject=SUBJECT, body=message
        )
        for pk, user_id, message in waiting.iterator(chunk_size=BATCH)
    ]
    # Migrated back and forward again, a notification may have its row already: kept as is.
    EmailOutbox.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


def from_outbox(apps, schema_editor):
    Notification = apps.get_model("negotiations", "Notification")
    EmailOutbox = apps.get_model("negotiations", "EmailOutbox")
    pending = {
        int(key.split(":", 1)[1])
        for key in EmailOutbox.objects.filter(
            state="pending", key__startswith="notification:"
        ).values_list("key", flat=True)
    }
    Notification.objects.exclude(pk__in=pending).update(emailed=True)
    Notification.objects.filter(pk__in=pending).update(emailed=False)


class Migration(migrations.Migration):
    dependencies = [("negotiations", "0005_emailoutbox")]

    operations = [migrations.RunPython(to_outbox, from_outbox, elidable=True)]
