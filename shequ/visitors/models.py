"""Visitors: passes residents issue to their guests, and the visit log.

A pass is a signed QR token (``shequ.visitors.token``) that the doors it names
verify offline. Each door counts its own uses; the platform counts every use it
hears of (``PassUse``, one per access event) and, once the pass is used up or
revoked, has every door refuse it at the next sync (``access`` compiles
``EntryKind.REVOKED_PASS`` entries from :meth:`VisitorPassQuerySet.refused`).

Visits are who came and went: arrivals and departures from pass events at the
doors, pass visitors checked in by hand, and walk-in visitors the guard registers
(ID checked, host household confirmed). Visitors' phone and ID numbers are
personal information: stored encrypted with a keyed digest and shown masked.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet

#: limits of what a resident may authorise (the edge forgets a pass's local use count 40 days after its last use)
MAX_ENTRIES = 20
MAX_DOORS = 8
MAX_WINDOW_DAYS = 30


class PassStatus(models.TextChoices):
    ISSUED = "issued", _("有效")
    REVOKED = "revoked", _("已撤销")
    EXHAUSTED = "exhausted", _("次数已用完")
    EXPIRED = "expired", _("已过期")


#: statuses the doors must be told to refuse (until the pass's own end)
REFUSED_STATUSES = (PassStatus.REVOKED, PassStatus.EXHAUSTED)


class VisitorPassQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"

    def refused(self, now) -> VisitorPassQuerySet:
        """Passes whose signature is still good but that every door must refuse."""
        return self.filter(status__in=REFUSED_STATUSES, valid_until__gt=now)


class VisitorPass(models.Model):
    """A resident's authorisation of one visitor to their household."""

    Status = PassStatus

    #: the id the token carries; short and random (it is printed in the QR code)
    pass_id = models.CharField(_("通行证编号"), max_length=16, unique=True, editable=False)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("被访住户"))
    complex = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("小区"))
    issued_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("授权人"))
    visitor_name = models.CharField(_("访客姓名"), max_length=40)
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("访客手机"), max_length=20, blank=True, editable=False)
    plate = models.CharField(_("车牌"), max_length=10, blank=True)
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"))
    doors = models.ManyToManyField("access.Device", related_name="visitor_passes", verbose_name=_("可通行门禁"))
    max_entries = models.PositiveSmallIntegerField(_("可通行次数"))
    uses = models.PositiveIntegerField(_("已通行次数"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=PassStatus.choices, default=PassStatus.ISSUED)
    token = models.TextField(editable=False)
    #: the unguessable part of the share link (shows the QR code without logging in)
    share_key = models.CharField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    exhausted_at = models.DateTimeField(null=True, blank=True)
    #: the doors were told to forget the pass after its end (revoked and used-up passes only)
    edges_cleared = models.BooleanField(default=False, editable=False)

    objects = VisitorPassQuerySet.as_manager()

    class Meta:
        verbose_name = _("访客通行证")
        verbose_name_plural = _("访客通行证")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_from__lt=models.F("valid_until")), name="visitor_pass_window"),
            models.CheckConstraint(condition=Q(max_entries__gte=1, max_entries__lte=MAX_ENTRIES),
                                   name="visitor_pass_entries_range"),
        ]
        indexes = [
            # the tick: issued passes past their end; refused passes whose doors may forget them
            models.Index(fields=["status", "valid_until"], name="visitor_pass_status_end_idx"),
            # statistics: passes issued per complex and day
            models.Index(fields=["complex", "created_at"], name="visitor_pass_complex_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_name} ({self.pass_id})"

    @property
    def entries_left(self) -> int:
        return max(0, self.max_entries - self.uses)

    @property
    def current_status(self) -> str:
        """The status as of now: an issued pass past its end is expired before the tick marks it so."""
        if self.status == PassStatus.ISSUED and self.valid_until <= timezone.now():
            return PassStatus.EXPIRED
        return self.status

    @property
    def current_status_label(self) -> str:
        return PassStatus(self.current_status).label


class PassUse(models.Model):
    """One use of a pass the platform heard of: one per access event, so an event
    delivered twice counts once."""

    visitor_pass = models.ForeignKey(VisitorPass, on_delete=models.CASCADE, related_name="use_records")
    event = models.OneToOneField("access.AccessEvent", on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField()

    class Meta:
        verbose_name = _("通行证使用记录")
        verbose_name_plural = _("通行证使用记录")


class VisitKind(models.TextChoices):
    PASS = "pass", _("预约通行证")
    WALK_IN = "walk_in", _("门岗登记")


class VisitQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"

    def inside(self) -> VisitQuerySet:
        return self.filter(departed_at__isnull=True)


class Visit(models.Model):
    """A visitor's stay: from arrival (a pass event at a door, or the guard's
    check-in) to departure (a pass event at an exit, or the guard's check-out)."""

    Kind = VisitKind

    kind = models.CharField(_("方式"), max_length=8, choices=VisitKind.choices)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("被访住户"))
    complex = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("小区"))
    visitor_pass = models.ForeignKey(VisitorPass, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="visits", verbose_name=_("通行证"))
    visitor_name = models.CharField(_("访客姓名"), max_length=40)
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("访客手机"), max_length=20, blank=True, editable=False)
    id_type = models.CharField(_("证件类型"), max_length=16, blank=True)
    id_number_cipher = models.TextField(blank=True, editable=False)
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=24, blank=True, editable=False)
    plate = models.CharField(_("车牌"), max_length=10, blank=True)
    purpose = models.CharField(_("来访事由"), max_length=100, blank=True)
    arrived_at = models.DateTimeField(_("到达时间"))
    expected_leave_at = models.DateTimeField(_("预计离开"))
    departed_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    arrival_event = models.ForeignKey("access.AccessEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    checked_in_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("登记人"))
    checked_out_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    host_confirmed_at = models.DateTimeField(_("住户确认时间"), null=True, blank=True)
    overstay_alarm = models.ForeignKey("alarms.Alarm", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    #: when the overstay alarm was raised: at most once per visit
    overstay_alerted_at = models.DateTimeField(null=True, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("来访记录")
        verbose_name_plural = _("来访记录")
        ordering = ["-arrived_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(departed_at__isnull=True) | Q(departed_at__gte=models.F("arrived_at")),
                                   name="visit_departs_after_arrival"),
            models.CheckConstraint(condition=Q(kind="walk_in") | Q(visitor_pass__isnull=False),
                                   name="visit_pass_has_pass"),
        ]
        indexes = [
            # the guard page and the overstay check: who is inside now, by expected leave time
            models.Index(fields=["expected_leave_at"], condition=Q(departed_at__isnull=True),
                         name="visit_inside_idx"),
            # the log and statistics per complex and day
            models.Index(fields=["complex", "arrived_at"], name="visit_complex_arrived_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_name} {self.arrived_at:%Y-%m-%d %H:%M}"

    @property
    def is_inside(self) -> bool:
        return self.departed_at is None
