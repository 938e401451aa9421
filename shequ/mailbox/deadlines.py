"""Reply deadlines of letters, on the cases app's working-time arithmetic.

Each kind of letter has a policy ``(amount, unit, warn_before_hours)`` with the
units of ``shequ.cases.models.DeadlineUnit``. The defaults below can be replaced
per deployment with the ``SHEQU_MAILBOX_REPLY_DEADLINES`` setting (a dict of the
same shape; kinds it leaves out keep their default).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from shequ.cases.deadlines import Policy, WorkCalendar, due_at
from shequ.cases.models import DeadlineUnit
from shequ.mailbox.models import Kind

#: a clue may be time-critical: answered by the end of the next working day
DEFAULT_REPLY_DEADLINES: dict[str, tuple[int, str, int]] = {
    Kind.CLUE: (1, DeadlineUnit.WORKING_DAYS, 4),
    Kind.CONSULTATION: (3, DeadlineUnit.WORKING_DAYS, 24),
    Kind.COMPLAINT: (3, DeadlineUnit.WORKING_DAYS, 24),
    Kind.SUGGESTION: (5, DeadlineUnit.WORKING_DAYS, 24),
}


def reply_policies() -> dict[str, Policy]:
    """The reply policy of every kind: the setting over the defaults."""
    configured = getattr(settings, "SHEQU_MAILBOX_REPLY_DEADLINES", None) or {}
    table = {}
    for kind, default in DEFAULT_REPLY_DEADLINES.items():
        amount, unit, warn = configured.get(kind, default)
        table[kind] = Policy(kind, int(amount), str(unit), int(warn))
    return table


def reply_deadline(kind: str, received_at: datetime, calendar: WorkCalendar | None = None,
                   *, table: dict[str, Policy] | None = None) -> datetime:
    """When the first reply to a letter of ``kind`` received at ``received_at`` is due."""
    policy = (table or reply_policies())[kind]
    if calendar is None:
        calendar = WorkCalendar.around(received_at)
    return due_at(received_at, amount=policy.amount, unit=policy.unit, calendar=calendar)
