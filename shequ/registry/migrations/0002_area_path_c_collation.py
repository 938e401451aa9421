"""On PostgreSQL, compare area paths byte by byte (collation "C") whatever the
database's default collation: subtree queries are path ranges (shequ.core.scoping)
and rely on '/' sorting just before '0'. SQLite compares bytes already."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE registry_area ALTER COLUMN path TYPE varchar(255) COLLATE "C";')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE registry_area ALTER COLUMN path TYPE varchar(255) COLLATE "default";')


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
