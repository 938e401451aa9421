"""Settings of the alarms app, each with its default.

Read when used (not at import), so a changed setting takes effect at once. Each
is a Django setting, or else the environment variable of the same name:

- ``SHEQU_ALARM_ESCALATE_POLICE_SECONDS`` (60): an alarm of an escalating kind
  unacknowledged this long after it was raised goes to the community police console;
- ``SHEQU_ALARM_ESCALATE_STREET_SECONDS`` (300): ... and this long, to the street;
- ``SHEQU_ALARM_ESCALATE_KINDS`` ("sos,forced_entry"): the kinds that escalate;
- ``SHEQU_POLICE_LINK_MAX_ATTEMPTS`` (5): tries of one forward before giving up;
- ``SHEQU_POLICE_LINK_BACKOFF_SECONDS`` (2) doubled after each failed try, up to
  ``SHEQU_POLICE_LINK_BACKOFF_MAX_SECONDS`` (60);
- the link's backend, URL, secret and timeout: see :mod:`shequ.alarms.police_link`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.conf import settings


def setting(name: str, default: Any) -> Any:
    """A Django setting, else the environment variable of the same name, else ``default``."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return default if value in (None, "") else value


def escalate_police_after() -> timedelta:
    return timedelta(seconds=float(setting("SHEQU_ALARM_ESCALATE_POLICE_SECONDS", 60)))


def escalate_street_after() -> timedelta:
    return timedelta(seconds=float(setting("SHEQU_ALARM_ESCALATE_STREET_SECONDS", 300)))


def escalate_kinds() -> frozenset[str]:
    kinds = setting("SHEQU_ALARM_ESCALATE_KINDS", "sos,forced_entry")
    if isinstance(kinds, str):
        kinds = kinds.split(",")
    return frozenset(kind.strip() for kind in kinds if kind.strip())


def link_max_attempts() -> int:
    return max(1, int(setting("SHEQU_POLICE_LINK_MAX_ATTEMPTS", 5)))


def link_backoff(failed_tries: int) -> timedelta:
    """The wait after the ``failed_tries``-th failed try: exponential, bounded."""
    base = float(setting("SHEQU_POLICE_LINK_BACKOFF_SECONDS", 2))
    cap = float(setting("SHEQU_POLICE_LINK_BACKOFF_MAX_SECONDS", 60))
    return timedelta(seconds=min(cap, base * 2 ** max(0, failed_tries - 1)))
