"""Mailbox API: the police inbox and replies, and a resident's own letters.

Answers are built from the selectors' ``LetterView``/``MessageView``, like the
pages: an anonymous letter has no sender, phone or house here either. A letter
outside the caller's areas (or, for a resident, not written by them) answers 404
like a missing one. Mounted by ``shequ.api`` through ``ROUTERS``.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from shequ.accounts.audit import Actor
from shequ.core.keyset import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from shequ.mailbox import selectors, services
from shequ.mailbox.models import LetterKind, LetterStatus

router = Router(tags=["mailbox"])


class LetterOut(Schema):
    id: int = Field(..., alias="pk")
    kind: LetterKind
    subject: str
    body: str
    status: LetterStatus
    anonymous: bool
    sender: str = Field(..., alias="sender_label", description="empty of identity for an anonymous letter")
    sender_phone_masked: str
    area: str = Field(..., alias="area_label", description="the complex only for an anonymous letter")
    community: str = Field(..., alias="community_name")
    received_at: datetime
    reply_due_at: datetime
    first_replied_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    case_number: str


class MessageOut(Schema):
    side: str
    author: str = Field(..., alias="author_label")
    body: str
    at: datetime


class LetterDetailOut(LetterOut):
    messages: list[MessageOut]


class LetterPage(Schema):
    items: list[LetterOut]
    next: str | None


class InboxFilters(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="page size")
    after: str | None = Field(None, description="the `next` cursor of the previous page")
    kind: LetterKind | None = None
    status: LetterStatus | None = None
    overdue: bool = False


class MessageIn(Schema):
    body: str = Field(..., min_length=1, max_length=2000)


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


def _page(queryset, filters, *, as_writer: bool) -> dict:
    page = keyset_page(queryset, limit=filters.limit, after=filters.after, keys=("id",))
    return {"items": selectors.letter_views(page["items"], as_writer=as_writer), "next": page["next"]}


def _detail(letter, *, as_writer: bool) -> dict:
    view = selectors.letter_view(letter, as_writer=as_writer)
    data = {name: getattr(view, name) for name in view.__dataclass_fields__}
    return {**data, "messages": selectors.thread(letter=letter, as_writer=as_writer)}


@router.get("/letters", response=LetterPage, url_name="mailbox_letter_list")
def letter_list(request: HttpRequest, filters: Query[InboxFilters]):
    """The police inbox: letters of the caller's areas (mailbox.handle)."""
    letters = selectors.inbox(user=request.user, kind=filters.kind or "", status=filters.status or "",
                              overdue=filters.overdue, now=timezone.now())
    return _page(letters, filters, as_writer=False)


@router.get("/letters/{int:letter_id}", response=LetterDetailOut, url_name="mailbox_letter_get")
def letter_get(request: HttpRequest, letter_id: int):
    letter = selectors.letter_get(user=request.user, pk=letter_id)
    return _detail(letter, as_writer=letter.sender_user_id == request.user.pk)


@router.post("/letters/{int:letter_id}/replies", response={201: MessageOut}, url_name="mailbox_letter_reply")
def letter_reply(request: HttpRequest, letter_id: int, payload: MessageIn):
    letter = selectors.letter_get(user=request.user, pk=letter_id)
    services.letter_reply(actor=_actor(request), letter=letter, body=payload.body)
    return Status(201, selectors.thread(letter=letter, as_writer=letter.sender_user_id == request.user.pk)[-1])


@router.get("/mine", response=LetterPage, url_name="mailbox_my_letter_list")
def my_letter_list(request: HttpRequest, filters: Query[InboxFilters]):
    """The letters the caller wrote."""
    return _page(selectors.my_letters(user=request.user), filters, as_writer=True)


@router.get("/mine/{int:letter_id}", response=LetterDetailOut, url_name="mailbox_my_letter_get")
def my_letter_get(request: HttpRequest, letter_id: int):
    return _detail(selectors.my_letter_get(user=request.user, pk=letter_id), as_writer=True)


@router.post("/mine/{int:letter_id}/messages", response={201: MessageOut}, url_name="mailbox_my_letter_message")
def my_letter_message(request: HttpRequest, letter_id: int, payload: MessageIn):
    letter = selectors.my_letter_get(user=request.user, pk=letter_id)
    services.letter_follow_up(actor=_actor(request), letter=letter, body=payload.body)
    return Status(201, selectors.thread(letter=letter, as_writer=True)[-1])


#: (prefix, router) pairs for shequ.api to mount
ROUTERS = [("/mailbox", router)]
