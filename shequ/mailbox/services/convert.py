"""A letter becomes a case (事) when it needs more than an answer: a broken street
lamp behind a complaint, a hazard behind a clue.

The case is made by the cases app's ``case_create`` on the "mailbox" channel with
the letter's id as its ``external_ref`` (one case per letter, the cases app's
unique constraint); the letter keeps the case in ``Letter.case`` and the case
reaches its letters through ``case.mailbox_letters``. An anonymous letter's case
knows nothing of the sender: it sits at the complex, not the house, and has no
reporter, name or phone.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.cases.models import Case, Category, Channel, RequestType, Urgency
from shequ.cases.services import case_create
from shequ.core import pii
from shequ.mailbox.models import Kind, Letter
from shequ.mailbox.services.common import audit, field_error, lock, require_handle

REQUEST_TYPE_OF_KIND = {
    Kind.CLUE: RequestType.REPORT,
    Kind.CONSULTATION: RequestType.CONSULTATION,
    Kind.COMPLAINT: RequestType.COMPLAINT,
    Kind.SUGGESTION: RequestType.SUGGESTION,
}


def _reporter(letter: Letter) -> dict:
    if letter.anonymous:
        return {"area": letter.complex}
    return {
        "area": letter.area, "reporter": letter.sender_person, "reporter_name": letter.sender_name,
        "reporter_phone": pii.decrypt(letter.sender_phone_cipher) if letter.sender_phone_cipher else "",
    }


@transaction.atomic
def letter_convert_to_case(*, actor: Actor, letter: Letter, category: Category, title: str = "",
                           urgency: str = Urgency.NORMAL) -> Case:
    """Open a case from the letter (its text and images), once per letter."""
    require_handle(actor, letter)
    lock(letter)
    if letter.case_id is not None:
        raise field_error("letter", _("这封来信已转为事件 %(number)s。") % {"number": letter.case.number},
                          "converted_already")
    case = case_create(
        actor=actor, channel=Channel.MAILBOX, category=category, title=(title or "").strip() or letter.subject,
        description=letter.body, request_type=REQUEST_TYPE_OF_KIND[letter.kind], urgency=urgency,
        external_ref=str(letter.pk), photos=[row.image for row in letter.images.order_by("pk")], **_reporter(letter),
    )
    letter.case = case
    letter.save(update_fields=["case", "updated_at"])
    audit(actor, "converted", letter, detail={"case": case.number})
    return case
