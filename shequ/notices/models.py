"""Notices (信息发布): drafted, approved by a second person, published to an
audience (area nodes and/or care groups) over channels, read by residents.

A notice belongs to the area it is published at (a district, street, community
or complex): that area scopes who may draft, approve and manage it
(``Notice.objects.visible_to(user, Capability.NOTICES_DRAFT)``). Its audience
lies inside that area. When it is published the audience is resolved once into
:class:`NoticeRecipient` rows, one per household (house), which give read counts
per building their denominator and residents their one access path.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet
from shequ.registry.models import Area, CareTag, House
from shequ.registry.models.area import AreaLevel

#: the levels a notice may be published at (its ``area``)
PUBLISH_LEVELS = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY, AreaLevel.COMPLEX)
#: the levels an audience node may have: whole areas down to a building (or one of its units)
AUDIENCE_LEVELS = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY, AreaLevel.COMPLEX,
                   AreaLevel.BUILDING, AreaLevel.UNIT)


class Category(models.TextChoices):
    NOTICE = "notice", _("通知")
    ANNOUNCEMENT = "announcement", _("公告")
    SAFETY = "safety", _("安全提示")
    UTILITIES = "utilities", _("停水停电")
    ACTIVITY = "activity", _("社区活动")
    POLICY = "policy", _("政策宣传")
    SERVICE = "service", _("便民服务")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")


class NoticeQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"

    def live(self, now) -> NoticeQuerySet:
        """Published and not past its expiry, whether or not the tick has marked it yet."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), status=Status.PUBLISHED)


class Notice(models.Model):
    """One notice and where it stands in draft -> submitted -> approved -> published."""

    Category = Category
    Status = Status

    title = models.CharField(_("标题"), max_length=100)
    # plain text; line breaks kept, HTML never interpreted (templates escape it)
    body = models.TextField(_("正文"), max_length=2000)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices, default=Category.NOTICE)
    urgent = models.BooleanField(_("紧急"), default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("拟稿人"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布单位"))
    audience_areas = models.ManyToManyField(Area, blank=True, related_name="+", verbose_name=_("发布范围"))
    care_tags = models.ManyToManyField(CareTag, blank=True, related_name="+", verbose_name=_("关爱群体"))
    to_terminals = models.BooleanField(_("推送到终端"), default=False)
    to_residents = models.BooleanField(_("居民端"), default=True)
    to_staff = models.BooleanField(_("工作人员端"), default=False)
    publish_at = models.DateTimeField(_("定时发布"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("审批人"))
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("撤回人"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    expired_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    # why an approver sent it back to draft, or why it was withdrawn
    status_note = models.CharField(_("说明"), max_length=200, blank=True)
    recipient_count = models.PositiveIntegerField(_("覆盖户数"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(publish_at__isnull=True)
                | Q(expires_at__gt=models.F("publish_at")),
                name="notice_expires_after_publish",
            ),
            # four eyes: the approver is never the author
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("author")),
                name="notice_approver_not_author",
            ),
            models.CheckConstraint(condition=Q(to_terminals=True) | Q(to_residents=True) | Q(to_staff=True),
                                   name="notice_some_channel"),
        ]
        indexes = [
            # the tick: approved notices due, published notices expiring
            models.Index(fields=["status", "publish_at"], name="notice_status_publish_idx"),
            models.Index(fields=["status", "expires_at"], name="notice_status_expires_idx"),
            # the scoped staff list, newest first
            models.Index(fields=["area", "-created_at"], name="notice_area_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def channel_labels(self) -> list[str]:
        return [str(label) for on, label in ((self.to_terminals, _("终端")), (self.to_residents, _("居民端")),
                                             (self.to_staff, _("工作人员端"))) if on]


class NoticeRecipient(models.Model):
    """One household (house) a published notice reached, frozen at publishing.

    Why rows and not a query: a complex has ~4,000 households, so a complex-wide
    notice writes ~4,000 narrow rows once (one executemany: publishing to 4,000
    households measured ~0.4 s on SQLite, 16 queries),
    after which every read is an index lookup: a resident's notices through
    ``(house, notice)``, a notice's counts per building through ``(notice,
    building)`` in one GROUP BY over that notice's rows only. Counting by query
    instead would re-walk the area subtree and the care-tag joins on every page
    view, and its denominator would drift as people move in and out; the rows
    keep "sent to N households" true to the day it was sent. ``read_at`` is the
    household's first read (any member), set with the first read receipt.
    """

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="recipients")
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="+")
    # denormalised from the house's ancestors so counts per building need no join
    building = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知送达户")
        verbose_name_plural = _("通知送达户")
        constraints = [models.UniqueConstraint(fields=["notice", "house"], name="notice_recipient_unique")]
        indexes = [
            # a resident's notices: recipients of my house
            models.Index(fields=["house", "notice"], name="notice_recipient_house_idx"),
            # counts per building and unread households of a building
            models.Index(fields=["notice", "building", "read_at"], name="notice_recipient_building_idx"),
        ]


class ReadReceipt(models.Model):
    """A resident opened a notice: once per user and notice, whatever the reloads."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        verbose_name = _("已读回执")
        verbose_name_plural = _("已读回执")
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_receipt_unique")]
        # the unread badge: my receipts
        indexes = [models.Index(fields=["user", "notice"], name="notice_receipt_user_idx")]


class NoticeTemplateQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class NoticeTemplate(models.Model):
    """Reusable wording with placeholders (``{community}``, ``{date}`` ...; see
    ``shequ.notices.placeholders``). Made at an area, offered to every drafter at
    or below it."""

    name = models.CharField(_("模板名称"), max_length=60)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), max_length=2000)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices, default=Category.NOTICE)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区域"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NoticeTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="notice_template_unique_name")]

    def __str__(self) -> str:
        return self.name
