"""The two places the meetings app writes cases, through the cases services:
a problem found on a visit becomes a case, and a meeting's decision escalates one."""

from __future__ import annotations

from shequ.accounts.audit import Actor
from shequ.cases.models import Case, Category, Channel


def case_from_visit(*, actor: Actor, visit, complex, title: str, description: str, category: Category,
                    urgency: str) -> Case:
    """Open a case (channel "visit") at the visited house; the cases service checks
    the actor's rights, numbers it, sets its deadline and writes its timeline."""
    from shequ.cases.services import case_create

    return case_create(actor=actor, channel=Channel.VISIT, category=category, area=visit.house.area, title=title,
                       description=description, urgency=urgency)


def case_escalate_to(*, actor: Actor, case: Case, level: str, reason: str) -> Case:
    """Send ``case`` one level up, which the caller has checked is ``level``."""
    from shequ.cases.services import case_escalate

    return case_escalate(actor=actor, case=case, reason=str(reason))
