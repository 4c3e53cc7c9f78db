"""Indexes for the case search on PostgreSQL (prefix matches and reference numbers).

``istartswith`` compiles to ``UPPER(col::text) LIKE 'X%'``: a btree serves it only with
``text_pattern_ops`` unless the database collation is "C", so these are created by hand and only
on PostgreSQL (SQLite, the embedded default, has no operator classes and little data).
"""

from django.db import migrations

INDEXES = {
    "client_search_first": "cases_client (practice_id, UPPER(first_name::text) text_pattern_ops)",
    "client_search_last": "cases_client (practice_id, UPPER(last_name::text) text_pattern_ops)",
    "client_search_member": "cases_client (practice_id, UPPER(member_id::text) text_pattern_ops)",
    "case_search_reference": "cases_case (practice_id, UPPER(insurer_reference::text))",
    "case_search_authorization": "cases_case (practice_id, UPPER(authorization_number::text))",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_dashboard_indexes")]

    operations = [migrations.RunPython(create, drop)]
