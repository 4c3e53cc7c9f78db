import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # A migration of its own: PostgreSQL refuses to alter a table with pending trigger events
    # from the data migration's updates in the same transaction.
    dependencies = [("cases", "0011_policies_per_practice")]

    operations = [
        migrations.AlterField(
            model_name="ratepolicy",
            name="practice",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rate_policies",
                to="cases.practice",
            ),
        ),
    ]
