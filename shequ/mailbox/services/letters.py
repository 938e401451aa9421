"""A letter's life: written by a resident, read and answered by the police,
followed up, closed and rated; and, for an anonymous one, its sender revealed
by the police chief.

Every step takes ``at`` (default: now) so tests and imports can replay history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.cases.services.intake import complex_of
from shequ.core import pii
from shequ.mailbox.deadlines import reply_deadline
from shequ.mailbox.models import Kind, Letter, LetterMessage, Side, Status
from shequ.mailbox.selectors import writable_houses
from shequ.mailbox.services.common import (
    audit, clean_text, field_error, is_writer, lock, require_handle, require_writer,
)
from shequ.mailbox.services.images import images_check, images_save
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel
from shequ.registry.selectors import address_labels

SUBJECT_MAX = 100
BODY_MAX = 5000
MESSAGE_MAX = 2000
COMMENT_MAX = 500
REASON_MAX = 200
RATINGS = range(1, 6)


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _sender_house(actor: Actor, house: Area | None) -> Area:
    """The house the letter is written from: the one given, which must be the
    writer's, or their only one."""
    if house is not None:
        if house.level != AreaLevel.HOUSE or not user_can(actor.user, Capability.MAILBOX_WRITE, house):
            raise PermissionDenied(_("您只能以自己住址的名义写信。"))
        if house.retired_on:
            raise field_error("house", _("该住址已撤销。"), "house_retired")
        return house
    houses = writable_houses(user=actor.user)
    if not houses:
        raise PermissionDenied(_("您的账户没有关联住址，不能写信。"))
    if len(houses) > 1:
        raise field_error("house", _("请选择您的住址。"), "house_required")
    return houses[0]


def _community_of(area: Area) -> Area:
    return Area.objects.get(pk__in=area.ancestor_ids, level=AreaLevel.COMMUNITY)


@transaction.atomic
def letter_write(
    *, actor: Actor, kind: str, subject: str, body: str, anonymous: bool = False, house: Area | None = None,
    images: Sequence[UploadedFile] = (), at: datetime | None = None,
) -> Letter:
    """A resident writes to the community police of their house's community, with
    up to six images. The sender is stored even when the letter is anonymous."""
    if actor.user is None:
        raise PermissionDenied(_("请先登录。"))
    house = _sender_house(actor, house)
    errors: dict[str, list[ValidationError]] = {}
    if kind not in Kind.values:
        errors["kind"] = [ValidationError(_("请选择来信类型。"), code="invalid_choice")]
    for field, value, limit, label in (("subject", subject, SUBJECT_MAX, _("主题")),
                                       ("body", body, BODY_MAX, _("内容"))):
        try:
            clean_text(value, field, limit=limit, label=label)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    checked = []
    try:
        checked = images_check(images)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:  # every bad field at once, and nothing written
        raise ValidationError(errors)

    at = _now(at)
    person = actor.user.person
    phone = pii.EMPTY
    if person is not None and person.phone_cipher:
        phone = pii.Protected(person.phone_cipher, person.phone_digest, person.phone_masked)
    letter = Letter.objects.create(
        kind=kind, subject=subject.strip(), body=body.strip(), area=house, complex=complex_of(house),
        community=_community_of(house), sender_user=actor.user, sender_person=person,
        sender_name=(person.name if person is not None else actor.user.display_name)[:50],
        sender_phone_cipher=phone.cipher, sender_phone_digest=phone.digest, sender_phone_masked=phone.masked,
        anonymous=bool(anonymous), status=Status.NEW, received_at=at, reply_due_at=reply_deadline(kind, at),
        last_message_at=at,
    )
    images_save(letter=letter, images=checked)
    audit(actor, "letter_written", letter, by_sender=True,
          detail={"anonymous": letter.anonymous, "images": len(checked)})
    return letter


def _require_open(letter: Letter, step) -> None:
    if letter.is_closed:
        raise ValidationError(_("来信已关闭，不能%(step)s。") % {"step": step}, code="letter_closed")


@transaction.atomic
def letter_mark_read(*, actor: Actor, letter: Letter, at: datetime | None = None) -> bool:
    """The police opened an unread letter; True when it was unread."""
    require_handle(actor, letter)
    lock(letter)
    if letter.status != Status.NEW:
        return False
    at = _now(at)
    letter.status = Status.READ
    letter.read_at = letter.read_at or at
    letter.save(update_fields=["status", "read_at", "updated_at"])
    audit(actor, "read", letter)
    return True


def _officer_name(actor: Actor) -> str:
    if actor.user is None:
        return actor.name
    return (actor.user.display_name or actor.user.get_username())[:150]


@transaction.atomic
def letter_reply(*, actor: Actor, letter: Letter, body: str, at: datetime | None = None) -> LetterMessage:
    """The police answer in the thread; the first answer stops the reply clock."""
    require_handle(actor, letter)
    lock(letter)
    _require_open(letter, _("答复"))
    body = clean_text(body, "body", limit=MESSAGE_MAX, label=_("答复内容"))
    at = _now(at)
    message = LetterMessage.objects.create(letter=letter, side=Side.POLICE, author=actor.user,
                                           author_name=_officer_name(actor), body=body, at=at)
    first = letter.first_replied_at is None
    letter.first_replied_at = letter.first_replied_at or at
    letter.read_at = letter.read_at or at
    letter.status = Status.REPLIED
    letter.last_message_at = at
    letter.save(update_fields=["first_replied_at", "read_at", "status", "last_message_at", "updated_at"])
    audit(actor, "replied", letter, detail={"first": first, "late": first and at > letter.reply_due_at})
    return message


@transaction.atomic
def letter_follow_up(*, actor: Actor, letter: Letter, body: str, at: datetime | None = None) -> LetterMessage:
    """The writer adds to their letter; it shows as unread to the police again."""
    require_writer(actor, letter)
    lock(letter)
    _require_open(letter, _("留言"))
    body = clean_text(body, "body", limit=MESSAGE_MAX, label=_("留言内容"))
    at = _now(at)
    message = LetterMessage.objects.create(letter=letter, side=Side.RESIDENT, author=actor.user, body=body, at=at)
    letter.status = Status.NEW
    letter.last_message_at = at
    letter.save(update_fields=["status", "last_message_at", "updated_at"])
    audit(actor, "followed_up", letter, by_sender=True)
    return message


@transaction.atomic
def letter_close(*, actor: Actor, letter: Letter, note: str = "", at: datetime | None = None) -> Letter:
    """Close the thread: the police of the area, or the writer (their question is
    settled). A note is added to the thread for the other side to read."""
    by_sender = is_writer(actor, letter)
    if not by_sender:
        require_handle(actor, letter)
    lock(letter)
    _require_open(letter, _("关闭"))
    note = clean_text(note, "note", limit=MESSAGE_MAX, label=_("说明"), required=False)
    at = _now(at)
    if note:
        LetterMessage.objects.create(letter=letter, side=Side.RESIDENT if by_sender else Side.POLICE,
                                     author=actor.user, author_name="" if by_sender else _officer_name(actor),
                                     body=note, at=at)
        letter.last_message_at = at
    letter.status = Status.CLOSED
    letter.closed_at = at
    letter.save(update_fields=["status", "closed_at", "last_message_at", "updated_at"])
    audit(actor, "closed", letter, by_sender=by_sender, detail={"by": "sender" if by_sender else "police"})
    return letter


@transaction.atomic
def letter_rate(*, actor: Actor, letter: Letter, rating, comment: str = "", at: datetime | None = None) -> Letter:
    """The writer rates the police's answer 1–5, once, after the first reply."""
    require_writer(actor, letter)
    lock(letter)
    if letter.first_replied_at is None:
        raise field_error("rating", _("民警答复后才能评价。"), "rate_before_reply")
    if letter.rating is not None:
        raise field_error("rating", _("您已经评价过这封来信。"), "rated_already")
    try:
        score = int(rating)
    except (TypeError, ValueError):
        score = 0
    if score not in RATINGS:
        raise field_error("rating", _("满意度请选择 1 到 5 分。"), "rating_range")
    letter.rating = score
    letter.rating_comment = clean_text(comment, "comment", limit=COMMENT_MAX, label=_("评价"), required=False)
    letter.rated_at = _now(at)
    letter.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    audit(actor, "rated", letter, by_sender=True, detail={"rating": score})
    return letter


@dataclass(frozen=True)
class RevealedSender:
    """Who sent an anonymous letter, for one page, once."""

    name: str
    phone: str
    address: str
    username: str


def letter_reveal_sender(*, actor: Actor, letter: Letter, reason: str) -> RevealedSender:
    """The sender of an anonymous letter, in clear. Only the police chief role may
    ask, with a reason; every reveal is audited (``mailbox.reveal_sender``)."""
    if actor.user is None or not user_can(actor.user, Capability.MAILBOX_REVEAL_SENDER, letter.area):
        raise PermissionDenied(_("您无权查看匿名来信人。"))
    if not letter.anonymous:
        raise field_error("letter", _("这封来信不是匿名的。"), "not_anonymous")
    reason = clean_text(reason, "reason", limit=REASON_MAX, label=_("查看理由"))
    sender = RevealedSender(
        name=letter.sender_name,
        phone=pii.decrypt(letter.sender_phone_cipher) if letter.sender_phone_cipher else "",
        address=address_labels([letter.area])[letter.area_id],
        username=letter.sender_user.get_username(),
    )
    audit(actor, "reveal_sender", letter, detail={"reason": reason})
    return sender
