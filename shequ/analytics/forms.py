"""The period picker of the figures page."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.analytics.periods import MAX_CUSTOM_DAYS, Kind, Period

KIND_CHOICES = [(Kind.MONTH, _("月度")), (Kind.QUARTER, _("季度")), (Kind.YEAR, _("年度")),
                (Kind.CUSTOM, _("自定义"))]


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(label=_("统计周期"), choices=KIND_CHOICES, required=False)
    year = forms.IntegerField(label=_("年"), min_value=2000, max_value=2100, required=False)
    quarter = forms.IntegerField(label=_("季度"), min_value=1, max_value=4, required=False)
    month = forms.IntegerField(label=_("月"), min_value=1, max_value=12, required=False)
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kind.CUSTOM:
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("自定义周期请填写开始和结束日期。"), code="custom_incomplete")
            if start > end:
                raise forms.ValidationError(_("开始日期不能晚于结束日期。"), code="custom_reversed")
            if (end - start).days + 1 > MAX_CUSTOM_DAYS:
                raise forms.ValidationError(_("自定义周期最长 %(days)d 天。") % {"days": MAX_CUSTOM_DAYS},
                                            code="custom_too_long")
        return data

    def period(self) -> Period:
        """The chosen period; this year when nothing (valid) was chosen."""
        today = self.today
        if not self.is_valid():
            return Period.year(today.year)
        data = self.cleaned_data
        kind, year = data.get("kind") or Kind.YEAR, data.get("year") or today.year
        if kind == Kind.MONTH:
            return Period.month(year, data.get("month") or (today.month if year == today.year else 1))
        if kind == Kind.QUARTER:
            return Period.quarter(year, data.get("quarter") or
                                  ((today.month - 1) // 3 + 1 if year == today.year else 1))
        if kind == Kind.CUSTOM:
            return Period.custom(data["start"], data["end"])
        return Period.year(year)
