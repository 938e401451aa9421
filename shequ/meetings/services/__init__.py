"""Meetings services: every write of the "2+4" mechanism goes through these
functions, which check the actor's rights in the area, validate, save and audit."""

from shequ.meetings.services.common_problems import (
    category_rises, common_problem_accept, common_problem_dismiss, common_problems_propose,
)
from shequ.meetings.services.meetings import (
    agenda_item_add, agenda_item_note, decision_complete, decision_record, meeting_attendance_record,
    meeting_build_agenda, meeting_kind_for, meeting_record, meeting_roster, meeting_schedule,
)
from shequ.meetings.services.teams import (
    team_get_or_create, team_member_appoint, team_member_end, team_member_replace,
)
from shequ.meetings.services.visits import FoundProblem, complex_of, visit_problem_add, visit_record

__all__ = [
    "FoundProblem", "agenda_item_add", "agenda_item_note", "category_rises", "common_problem_accept",
    "common_problem_dismiss", "common_problems_propose", "complex_of", "decision_complete", "decision_record",
    "meeting_attendance_record", "meeting_build_agenda", "meeting_kind_for", "meeting_record", "meeting_roster",
    "meeting_schedule", "team_get_or_create", "team_member_appoint", "team_member_end", "team_member_replace",
    "visit_problem_add", "visit_record",
]
