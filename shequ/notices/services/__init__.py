"""Notice services: every write to a notice or template goes through these
functions, which check the actor's rights, validate, save in a transaction and
write the audit log.

Statuses and the steps between them::

    draft      --submit-->   submitted   (author)
    submitted  --approve-->  approved    (NOTICES_APPROVE, never the author)
    submitted  --reject-->   draft       (NOTICES_APPROVE, with a reason)
    approved   --publish-->  published   (NOTICES_APPROVE now, or the tick at publish_at)
    any open   --withdraw--> withdrawn   (author or NOTICES_APPROVE; terminals told to drop it)
    published  --expire-->   expired     (the tick at expires_at; pages hide it at once)
"""

from shequ.notices.services.drafting import (
    CHANNELS, notice_approve, notice_clean, notice_draft, notice_reject, notice_submit, notice_update,
)
from shequ.notices.services.publishing import (
    notice_publish, notice_withdraw, notices_expire_due, notices_publish_due,
)
from shequ.notices.services.reading import notice_read
from shequ.notices.services.templates import (
    notice_template_create, notice_template_delete, notice_template_update,
)

__all__ = [
    "CHANNELS", "notice_approve", "notice_clean", "notice_draft", "notice_publish", "notice_read", "notice_reject",
    "notice_submit", "notice_template_create", "notice_template_delete", "notice_template_update", "notice_update",
    "notice_withdraw", "notices_expire_due", "notices_publish_due",
]
