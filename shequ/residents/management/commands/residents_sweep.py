"""End resident grants of people who moved out, and drop old login-code rows (run daily;
the gateway runs the same job hourly, see shequ.core.jobs)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shequ.residents.jobs import residents_sweep


class Command(BaseCommand):
    help = "End resident grants on houses their holders no longer live in; purge old login codes."

    def handle(self, *args, **options) -> None:
        ended, purged = residents_sweep()
        self.stdout.write(f"resident grants ended: {ended}; login codes purged: {purged}")
