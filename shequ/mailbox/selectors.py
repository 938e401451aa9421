"""Mailbox reads, and the one place that decides what of a letter a viewer may see.

The police read letters through ``Letter.objects.visible_to(user, "mailbox.handle")``;
a resident reads only the letters they wrote (``sender_user``), not those of the
rest of their household.

Pages, the API and exports never get a ``Letter`` to render: they get
:class:`LetterView` and :class:`MessageView`, built here, which hold only what the
viewer may see. For an anonymous letter that means no name, no phone, and an
address cut to the complex, whoever the viewer is, except the writer themselves.
A template therefore cannot leak the sender by reaching through a relation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.core.scoping import subtree_q
from shequ.mailbox.deadlines import reply_policies
from shequ.mailbox.models import Letter, LetterImage, LetterMessage, LetterReminder, Side, Status
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel
from shequ.registry.selectors import address_labels

_LIST_RELATED = ("complex", "community", "area", "case")


# --- querysets --------------------------------------------------------------------------------------------------

def writable_houses(*, user: User) -> list[Area]:
    """The houses the user may write from (a resident's grant is on their house)."""
    return list(Area.objects.visible_to(user, Capability.MAILBOX_WRITE).active()
                .filter(level=AreaLevel.HOUSE).order_by("path"))


def my_letters(*, user: User) -> QuerySet:
    """The letters the resident wrote, latest activity first."""
    return (Letter.objects.filter(sender_user_id=user.pk).select_related(*_LIST_RELATED)
            .order_by("-last_message_at", "-pk"))


def my_letter_get(*, user: User, pk: int) -> Letter:
    return my_letters(user=user).get(pk=pk)


def _handled(user: User) -> QuerySet:
    return Letter.objects.visible_to(user, Capability.MAILBOX_HANDLE)


def inbox(*, user: User, kind: str = "", status: str = "", overdue: bool = False, complex_area: Area | None = None,
          now: datetime | None = None) -> QuerySet:
    """The police inbox: the letters of the user's areas, unread and oldest deadline first."""
    letters = _handled(user).select_related(*_LIST_RELATED)
    if kind:
        letters = letters.filter(kind=kind)
    if status:
        letters = letters.filter(status=status)
    if overdue:
        letters = letters.overdue(now or timezone.now())
    if complex_area is not None:
        letters = letters.filter(subtree_q("area__path", complex_area.path))
    return letters.order_by("-received_at", "-pk")


def letter_get(*, user: User, pk: int) -> Letter:
    """One letter of the police user's areas; ``Letter.DoesNotExist`` otherwise (a 404)."""
    return _handled(user).select_related(*_LIST_RELATED, "sender_user").get(pk=pk)


def image_get(*, user: User, pk: int) -> LetterImage:
    """An image of a letter the user wrote or handles."""
    image = LetterImage.objects.select_related("letter").get(pk=pk)
    if image.letter.sender_user_id == user.pk or _handled(user).filter(pk=image.letter_id).exists():
        return image
    raise LetterImage.DoesNotExist


def letter_images(*, letter: Letter) -> list[LetterImage]:
    return list(LetterImage.objects.filter(letter=letter).order_by("pk"))


@dataclass(frozen=True)
class ReminderView:
    letter_pk: int
    subject: str
    kind: str
    kind_label: str
    due_at: datetime
    created_at: datetime


def pending_reminders(*, user: User, limit: int = 20) -> list[ReminderView]:
    """Reminders of the user's areas whose letter still waits for its first reply."""
    rows = (LetterReminder.objects.visible_to(user, Capability.MAILBOX_HANDLE).pending()
            .select_related("letter").order_by("-created_at", "-pk")[:limit])
    return [ReminderView(letter_pk=row.letter_id, subject=row.letter.subject, kind=row.kind,
                         kind_label=row.get_kind_display(), due_at=row.due_at, created_at=row.created_at)
            for row in rows]


def complex_choices(*, user: User, limit: int = 500) -> list[Area]:
    """Complexes whose letters the user handles, for the inbox filter (no finer:
    a building filter would narrow an anonymous sender down)."""
    return list(Area.objects.visible_to(user, Capability.MAILBOX_HANDLE).active()
                .filter(level=AreaLevel.COMPLEX).order_by("path")[:limit])


def community_choices(*, user: User, limit: int = 200) -> list[Area]:
    return list(Area.objects.visible_to(user, Capability.MAILBOX_HANDLE).active()
                .filter(level=AreaLevel.COMMUNITY).order_by("path")[:limit])


# --- what a viewer may see --------------------------------------------------------------------------------------

ANONYMOUS_LABEL = _("匿名来信人")
SELF_LABEL = _("我")


@dataclass(frozen=True)
class Deadline:
    state: str  # overdue / due_soon / ok / answered / closed
    label: str


@dataclass(frozen=True)
class LetterView:
    """A letter as one viewer may see it. The sender fields are empty when hidden."""

    pk: int
    kind: str
    kind_label: str
    subject: str
    body: str
    status: str
    status_label: str
    anonymous: bool
    sender_label: str
    sender_phone_masked: str
    area_label: str
    community_name: str
    received_at: datetime
    reply_due_at: datetime
    read_at: datetime | None
    first_replied_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    rating_comment: str
    deadline: Deadline
    case_pk: int | None
    case_number: str
    can_rate: bool

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


@dataclass(frozen=True)
class MessageView:
    side: str
    author_label: str
    body: str
    at: datetime


def deadline_of(letter: Letter, now: datetime, table=None) -> Deadline:
    if letter.status == Status.CLOSED:
        return Deadline("closed", "")
    if letter.first_replied_at is not None:
        return Deadline("answered", str(_("已答复")))
    if letter.reply_due_at < now:
        return Deadline("overdue", str(_("已超期")))
    if letter.reply_due_at - (table or reply_policies())[letter.kind].warn_before <= now:
        return Deadline("due_soon", str(_("即将到期")))
    return Deadline("ok", str(_("未超期")))


def _area_labels(letters: list[Letter], *, as_writer: bool) -> dict[int, str]:
    """Full address for the writer and for named letters; the complex only for anonymous ones."""
    shown = {letter.pk: (letter.area if as_writer or not letter.anonymous else letter.complex) for letter in letters}
    labels = address_labels(shown.values())
    return {pk: labels.get(area.pk, "") for pk, area in shown.items()}


def letter_views(letters: Iterable[Letter], *, as_writer: bool, now: datetime | None = None) -> list[LetterView]:
    """Present letters to the writer (``as_writer``) or to the police: for the police
    an anonymous letter has no sender and an address cut to the complex."""
    letters = list(letters)
    now, table = now or timezone.now(), reply_policies()
    labels = _area_labels(letters, as_writer=as_writer)
    views = []
    for letter in letters:
        hidden = letter.anonymous and not as_writer
        if as_writer:
            sender = str(SELF_LABEL)
        else:
            sender = str(ANONYMOUS_LABEL) if hidden else letter.sender_name
        views.append(LetterView(
            pk=letter.pk, kind=letter.kind, kind_label=letter.get_kind_display(), subject=letter.subject,
            body=letter.body, status=letter.status, status_label=letter.get_status_display(),
            anonymous=letter.anonymous, sender_label=sender,
            sender_phone_masked="" if hidden else letter.sender_phone_masked, area_label=labels[letter.pk],
            community_name=letter.community.name, received_at=letter.received_at, reply_due_at=letter.reply_due_at,
            read_at=letter.read_at, first_replied_at=letter.first_replied_at, closed_at=letter.closed_at,
            rating=letter.rating, rating_comment=letter.rating_comment, deadline=deadline_of(letter, now, table),
            case_pk=letter.case_id, case_number=letter.case.number if letter.case_id else "",
            can_rate=as_writer and letter.first_replied_at is not None and letter.rating is None,
        ))
    return views


def letter_view(letter: Letter, *, as_writer: bool, now: datetime | None = None) -> LetterView:
    return letter_views([letter], as_writer=as_writer, now=now)[0]


def thread(*, letter: Letter, as_writer: bool) -> list[MessageView]:
    """The letter's messages, each labelled with what the viewer may know of its author."""
    if as_writer:
        resident = str(SELF_LABEL)
    else:
        resident = str(ANONYMOUS_LABEL) if letter.anonymous else letter.sender_name or str(Side.RESIDENT.label)
    police = str(Side.POLICE.label)
    return [
        MessageView(side=message.side, at=message.at, body=message.body,
                    author_label=resident if message.side == Side.RESIDENT
                    else f"{police} {message.author_name}".strip())
        for message in LetterMessage.objects.filter(letter=letter).order_by("at", "pk")
    ]


def may_handle(user: User, letter: Letter) -> bool:
    return user_can(user, Capability.MAILBOX_HANDLE, letter.area)


def may_reveal(user: User, letter: Letter) -> bool:
    return letter.anonymous and user_can(user, Capability.MAILBOX_REVEAL_SENDER, letter.area)
