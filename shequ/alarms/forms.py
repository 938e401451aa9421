"""Filters of the alarm history and of the response-time figures."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.alarms.models import AlarmKind, AlarmSource, AlarmStatus, EscalationLevel

#: the figures page covers at most this many days at once
STATS_MAX_DAYS = 366
STATS_DEFAULT_DAYS = 30


class AlarmFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + AlarmStatus.choices)
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + AlarmKind.choices)
    source = forms.ChoiceField(label=_("来源"), required=False, choices=[("", _("全部"))] + AlarmSource.choices)
    escalation = forms.TypedChoiceField(
        label=_("升级"), required=False, coerce=int, empty_value=None,
        choices=[("", _("全部")), (EscalationLevel.POLICE, _("已升级至民警及以上")),
                 (EscalationLevel.STREET, _("已升级至街道"))])


class StatsForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + AlarmKind.choices)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=STATS_DEFAULT_DAYS - 1)
        if start > end:
            raise ValidationError({"start": ValidationError(_("开始日期不能晚于结束日期。"), code="order")})
        if (end - start).days >= STATS_MAX_DAYS:
            raise ValidationError({"start": ValidationError(
                _("一次最多统计 %(days)d 天。") % {"days": STATS_MAX_DAYS}, code="too_long")})
        data["start"], data["end"] = start, end
        return data
