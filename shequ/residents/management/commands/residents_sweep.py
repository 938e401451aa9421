"""End resident grants of people who moved out, and drop old login-code rows (run daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shequ.accounts.audit import Actor
from shequ.residents.services import login_codes_purge, resident_grants_sweep


class Command(BaseCommand):
    help = "End resident grants on houses their holders no longer live in; purge old login codes."

    def handle(self, *args, **options) -> None:
        ended = resident_grants_sweep(actor=Actor.system(via="cli"))
        purged = login_codes_purge()
        self.stdout.write(f"resident grants ended: {ended}; login codes purged: {purged}")
