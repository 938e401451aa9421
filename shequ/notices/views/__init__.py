"""Notice pages: staff (list, editor, approvals, detail with read counts, board,
templates) and residents (my notices, one notice)."""

from shequ.notices.views.notice_templates import template_create, template_delete, template_edit, template_list
from shequ.notices.views.resident import my_notice_detail, my_notices
from shequ.notices.views.staff import (
    approval_queue, notice_act, notice_create, notice_detail, notice_edit, notice_list, staff_board,
)

__all__ = [
    "approval_queue", "my_notice_detail", "my_notices", "notice_act", "notice_create", "notice_detail",
    "notice_edit", "notice_list", "staff_board", "template_create", "template_delete", "template_edit",
    "template_list",
]
