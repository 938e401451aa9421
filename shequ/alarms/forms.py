"""Filters of the alarm history."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.alarms.models import AlarmKind, AlarmStatus


class AlarmFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + AlarmStatus.choices)
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + AlarmKind.choices)
