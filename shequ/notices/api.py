"""Notices API, mounted at ``/api/v1/notices`` by ``shequ.api``.

- ``GET /notices``: live (published, unexpired) notices the caller may read: the
  ones they manage, the ones sent to their households (resident channel) and to
  staff of their areas (staff channel). Keyset pages by id.
- ``GET /notices/{id}/reads``: read counts per building of a notice the caller
  manages (drafting or approving rights at its area); 404 otherwise.
- ``POST /notices/{id}/read``: a resident records that they read a notice sent to
  their household (idempotent); 404 for any other notice.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from shequ.accounts.audit import Actor
from shequ.core.keyset import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from shequ.notices import selectors, services
from shequ.notices.models import Notice

router = Router(tags=["notices"])


class NoticeFilters(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="page size")
    after: str | None = Field(None, description="the `next` cursor of the previous page")
    urgent: bool | None = Field(None, description="only urgent (true) or only ordinary (false) notices")


class NoticeOut(Schema):
    id: int
    title: str
    body: str = Field(description="plain text with \\n line breaks; never HTML")
    category: str
    urgent: bool
    area_id: int = Field(description="the area the notice is published at")
    area_name: str = Field(alias="area.name")
    published_at: datetime | None
    expires_at: datetime | None


class NoticePage(Schema):
    items: list[NoticeOut]
    next: str | None = None


class BuildingReadsOut(Schema):
    building_id: int | None
    label: str
    recipients: int
    read: int
    percent: float


class ReadsOut(Schema):
    notice_id: int
    recipients: int = Field(description="households the notice reached when published")
    read: int = Field(description="households where someone opened it")
    percent: float
    buildings: list[BuildingReadsOut]


class ReadOut(Schema):
    notice_id: int
    read_at: datetime
    created: bool = Field(description="false when this user had read it before")


@router.get("", response=NoticePage, url_name="notice_list")
def notice_list(request: HttpRequest, filters: Query[NoticeFilters]):
    notices = selectors.notice_feed(user=request.user)
    if filters.urgent is not None:
        notices = notices.filter(urgent=filters.urgent)
    # a bad cursor raises ValidationError on "after": the API's handler answers it as a 422
    return keyset_page(notices, limit=filters.limit, after=filters.after, keys=("id",))


@router.get("/{int:notice_id}/reads", response=ReadsOut, url_name="notice_reads")
def notice_reads(request: HttpRequest, notice_id: int):
    notice = selectors.notice_get(user=request.user, pk=notice_id)
    counts = selectors.read_counts(notice=notice)
    return {
        "notice_id": notice.pk, "recipients": counts.recipients, "read": counts.read, "percent": counts.percent,
        "buildings": [{"building_id": row.building_id, "label": row.label, "recipients": row.recipients,
                       "read": row.read, "percent": row.percent} for row in counts.buildings],
    }


@router.post("/{int:notice_id}/read", response=ReadOut, url_name="notice_read")
def notice_read(request: HttpRequest, notice_id: int):
    notice: Notice = selectors.my_notice_get(user=request.user, pk=notice_id, now=timezone.now())
    receipt, created = services.notice_read(actor=Actor.from_request(request, via="api"), notice=notice)
    return {"notice_id": notice.pk, "read_at": receipt.read_at, "created": created}
