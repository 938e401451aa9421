"""Filing an Open311 service request: it becomes a case on the ``open311``
channel through the intake service, acting as the API key's user, so the same
rights, checks, deadline and numbering apply as for staff entry.

Requests that arrive together are written together (``groupcommit``,
``filing``). Errors are Django's: ``ValidationError`` keyed by the Open311 field
a client sent (``service_code``, ``address_id``, ``attribute[urgency]`` ...) and
``PermissionDenied`` when the key's user may not file cases at that place; the
views turn them into the spec's 400 and 403 answers.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.cases.models import Case
from shequ.open311.filing import Filing
from shequ.open311.models import ServiceRequest
from shequ.open311.submission import Submission
from shequ.open311.wire import format_time


def service_request_create(*, raw_key: str, ip: str, submission: Submission) -> ServiceRequest:
    """File a request as a case, acting as the user of the API key ``raw_key``
    (checked with the rest of its batch: ``ApiKeyRefused`` when it is no good);
    returns the row that links the case to its token."""
    writer = apps.get_app_config("open311").writer
    return writer.submit(Filing(raw_key=raw_key, ip=ip, submission=submission, received_at=timezone.now()))


def service_notice(case: Case) -> str:
    """What the requester may expect, in words."""
    if case.is_open and case.due_at:
        return _("已受理，编号 %(number)s，按时限应于 %(due)s 前办理完毕。") % {
            "number": case.number, "due": format_time(case.due_at)}
    return ""


def error_descriptions(exc: ValidationError) -> list[str]:
    """``field: message`` lines for the spec's error list."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [f"{name}: {message}" if name else message
            for name, errors in exc.error_dict.items() for error in errors for message in error.messages]


def permission_description(exc: PermissionDenied) -> str:
    return _("该 api_key 无权在此地点提交诉求（%(reason)s）。") % {"reason": str(exc) or _("超出授权范围")}
