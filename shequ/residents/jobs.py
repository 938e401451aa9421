"""The residents app's periodic job (``shequ.core.jobs``)."""

from __future__ import annotations

from datetime import datetime

from shequ.accounts.audit import Actor
from shequ.residents.services import login_codes_purge, resident_grants_sweep


def residents_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """End grants on houses their holders no longer live in (a move-out dated in the
    future has come), and forget old login codes. Returns (grants ended, codes purged)."""
    return resident_grants_sweep(actor=Actor.system(via="jobs")), login_codes_purge(now=now)
