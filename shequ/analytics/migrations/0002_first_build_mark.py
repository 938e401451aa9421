"""Cases that existed before the figures rollup get counted: one "rebuild from
the first case's day" mark, which ``analytics_rollup`` (or the periodic run)
turns into counters. Nothing to do on an empty database."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    RollupMark = apps.get_model("analytics", "RollupMark")
    first = Case.objects.order_by("received_at").values_list("received_at", flat=True).first()
    if first is not None:
        RollupMark.objects.create(complex=None, day=first.astimezone(ZoneInfo(settings.TIME_ZONE)).date())


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("cases", "0004_default_categories_policies_calendar"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
