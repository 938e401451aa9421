"""Make the audit table append-only in the database itself: UPDATE, DELETE (and
TRUNCATE on PostgreSQL) raise. The hash chain detects tampering by anyone who
bypasses this (e.g. drops the trigger with owner rights); the trigger stops every
ordinary code path."""

from django.db import migrations

from shequ.accounts.migrations._audit_triggers import CREATE, DROP


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
