from django.db import migrations


class Migration(migrations.Migration):
    # Apart from the copy (0006), so that no table is written and altered in one transaction.
    dependencies = [("negotiations", "0006_notification_emails_to_outbox")]

    operations = [
        migrations.RemoveField(model_name="notification", name="emailed"),
    ]
