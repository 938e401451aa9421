"""The figures rollup: counters of cases per area and day, kept beside the cases.

A district's figures page must answer fast over a million cases, so it never
groups case rows. It reads these counters instead: one row per (area, day) for
every complex and every area above one (community, street, district, city),
holding what the cases received that day in that area have come to. The page
for an area reads its own rows and its children's: at most days x children rows,
however many cases there are.

Rows are derived data: ``shequ.analytics.services`` recomputes them from the
cases (never edits them by hand) and the figures are proven equal to the ones
computed straight from the case rows (tests/test_rollup_equals_direct.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet


class FiguresQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


#: the counters every (area, day) row carries, in the order the rollup writes them
COUNTER_FIELDS = (
    "received", "received_sanitation", "received_property", "received_utilities",
    "resolved", "resolved_on_time", "handling_seconds", "satisfaction_sum", "satisfaction_count", "satisfied",
    "escalated_street", "escalated_district",
)


class AreaDay(models.Model):
    """What became of the cases received on ``day`` (local date) within ``area``."""

    area = models.ForeignKey("registry.Area", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    received = models.PositiveIntegerField(default=0)
    received_sanitation = models.PositiveIntegerField(default=0)
    received_property = models.PositiveIntegerField(default=0)
    received_utilities = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    # sum over resolved cases of (resolved - received), whole seconds each
    handling_seconds = models.PositiveBigIntegerField(default=0)
    satisfaction_sum = models.PositiveIntegerField(default=0)
    satisfaction_count = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)  # rated 4 or 5
    escalated_street = models.PositiveIntegerField(default=0)  # reached the street joint meeting (or higher)
    escalated_district = models.PositiveIntegerField(default=0)  # reached the district leading group

    objects = FiguresQuerySet.as_manager()

    class Meta:
        verbose_name = _("日统计")
        verbose_name_plural = _("日统计")
        constraints = [
            # serves every read: one area (or its children) over a range of days
            models.UniqueConstraint(fields=["area", "day"], name="analytics_areaday_area_day_uniq"),
        ]


class Dimension(models.TextChoices):
    CATEGORY = "category", _("分类")
    CHANNEL = "channel", _("渠道")


class AreaDayCount(models.Model):
    """Cases received on ``day`` within ``area`` by one category or one channel.

    Categories and channels are counted apart, not crossed: the page shows each
    breakdown on its own, and the cross product would hold nearly a row per case."""

    area = models.ForeignKey("registry.Area", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    key = models.CharField(max_length=40)  # category id or channel code
    received = models.PositiveIntegerField(default=0)

    objects = FiguresQuerySet.as_manager()

    class Meta:
        verbose_name = _("分类渠道日统计")
        verbose_name_plural = _("分类渠道日统计")
        constraints = [
            # one area over a range of days, both breakdowns at once
            models.UniqueConstraint(fields=["area", "day", "dimension", "key"],
                                    name="analytics_areadaycount_uniq"),
        ]


class RollupMark(models.Model):
    """A (complex, day) bucket whose cases changed since the rollup last saw it.

    Case services add one in the same transaction as the change (cheap, no
    locks on the counters); ``rollup_refresh`` recomputes the marked buckets and
    deletes exactly the marks it read. ``complex`` empty means "rebuild
    everything from ``day`` on" (a bulk import touching too many buckets)."""

    complex = models.ForeignKey("registry.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    day = models.DateField()

    class Meta:
        verbose_name = _("待更新统计")
        verbose_name_plural = _("待更新统计")


class RollupState(models.Model):
    """One row: until when the rollup is known complete."""

    # every case change committed before this moment is in the counters
    refreshed_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("统计更新状态")
        verbose_name_plural = _("统计更新状态")
