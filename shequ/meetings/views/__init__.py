from shequ.meetings.views.common_problems import (
    common_problem_accept, common_problem_detail, common_problem_dismiss, common_problem_list,
)
from shequ.meetings.views.meetings import (
    agenda_add, agenda_build, agenda_note, attendance_record, decision_add, decision_done, meeting_detail,
    meeting_list, meeting_schedule, minutes_record,
)
from shequ.meetings.views.teams import seat_appoint, seat_end, seat_replace, team_detail, team_list
from shequ.meetings.views.visits import (
    coverage, visit_create, visit_detail, visit_houses, visit_list, visit_problem_add,
)

__all__ = [
    "agenda_add", "agenda_build", "agenda_note", "attendance_record", "common_problem_accept",
    "common_problem_detail", "common_problem_dismiss", "common_problem_list", "coverage", "decision_add",
    "decision_done", "meeting_detail", "meeting_list", "meeting_schedule", "minutes_record", "seat_appoint",
    "seat_end", "seat_replace", "team_detail", "team_list", "visit_create", "visit_detail", "visit_houses",
    "visit_list", "visit_problem_add",
]
