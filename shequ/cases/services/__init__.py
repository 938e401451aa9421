"""Case services: every write to a case goes through these functions, which check
the actor's rights, validate, time-stamp the step on the case's timeline and
write the audit log."""

from shequ.cases.services.intake import (
    IntakeContext, case_create, case_created_event, case_prepare, complex_of,
)
from shequ.cases.services.lifecycle import (
    case_accept, case_assign, case_close, case_confirm, case_escalate, case_merge, case_reopen, case_resolve,
    case_resume, case_start, case_wait_on_resident, cases_escalate_overdue, cases_warn_due_soon,
)
from shequ.cases.services.numbers import case_numbers_reserve
from shequ.cases.services.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, photos_check

__all__ = [
    "IntakeContext", "MAX_PHOTOS", "MAX_PHOTO_BYTES", "case_accept", "case_assign", "case_close", "case_confirm",
    "case_create", "case_created_event", "case_escalate", "case_merge", "case_numbers_reserve", "case_prepare",
    "case_reopen", "case_resolve", "case_resume", "case_start", "case_wait_on_resident", "cases_escalate_overdue",
    "cases_warn_due_soon", "complex_of", "photos_check",
]
