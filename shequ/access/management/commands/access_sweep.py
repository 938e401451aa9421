"""Periodic access housekeeping (cron or the gateway's timer): raise offline
faults for silent devices and drop compiled entries whose time has passed."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from shequ.access.services import access_sweep, devices_mark_offline


class Command(BaseCommand):
    help = "Mark silent devices offline (raising a fault once) and recompile every door list."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        offline = devices_mark_offline(now=now)
        version = access_sweep(now=now)
        self.stdout.write(f"offline: {len(offline)}; new version: {version or 'none'}")
