"""Forms of the access pages: they shape input; the services validate and save."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.access.models import CredentialKind, Device, DeviceKind, EventKind, FaceConsent
from shequ.access.services import RULE_ROLES
from shequ.access.services.common import day_after, local_midnight
from shequ.registry.forms import BLANK, DATE_INPUT, ScopedForm
from shequ.registry.models import Area

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAY_CHOICES = [("1", _("周一")), ("2", _("周二")), ("3", _("周三")), ("4", _("周四")), ("5", _("周五")),
                   ("6", _("周六")), ("7", _("周日"))]
DEVICE_AREA_LEVELS = (Area.Level.COMMUNITY, Area.Level.COMPLEX, Area.Level.BUILDING, Area.Level.UNIT, Area.Level.HOUSE)


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, area: Area) -> str:
        return "\u3000" * max(area.depth - 3, 0) + area.name


def _editable_areas(user, levels) -> forms.Field:
    queryset = Area.objects.editable_by(user).active().filter(level__in=levels).order_by("path")
    return AreaChoiceField(label=_("安装位置"), queryset=queryset)


class DeviceForm(ScopedForm):
    device_id = forms.SlugField(label=_("设备编号"), max_length=64)
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=DeviceKind.choices)
    vendor = forms.CharField(label=_("厂商"), max_length=60, required=False)
    credential_kinds = forms.MultipleChoiceField(
        label=_("接受的凭证"), choices=CredentialKind.choices, widget=forms.CheckboxSelectMultiple,
        initial=["face", "card", "pin", "qr"], help_text=_("每个门都必须接受至少一种非人脸凭证。"))
    faces_enabled = forms.BooleanField(label=_("启用人脸识别"), required=False, initial=True)
    heartbeat_timeout_seconds = forms.IntegerField(label=_("心跳超时(秒)"), min_value=30, max_value=86400,
                                                   initial=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"] = _editable_areas(self.user, DEVICE_AREA_LEVELS)


class CredentialIssueForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=[c for c in CredentialKind.choices if c[0] != "face"])
    value = forms.CharField(label=_("卡号或车牌"), max_length=40, required=False,
                            help_text=_("IC卡填卡号，车牌填车牌号；密码和二维码由系统生成。"))
    valid_until = forms.DateField(label=_("有效期至"), required=False, widget=DATE_INPUT)

    def clean_valid_until(self) -> datetime | None:
        day = self.cleaned_data.get("valid_until")
        # a date means "through that day": the credential ends at the next midnight
        return local_midnight(day_after(day)) if day is not None else None


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class ConsentForm(ScopedForm):
    method = forms.ChoiceField(label=_("同意方式"), choices=FaceConsent.Method.choices)
    consented_at = forms.DateTimeField(label=_("同意时间"), required=False, widget=DATETIME_INPUT)
    devices = forms.ModelMultipleChoiceField(label=_("适用门禁"), queryset=Device.objects.none(),
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, devices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["devices"].queryset = devices if devices is not None else Device.objects.none()


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=200)


class EventFilterForm(ScopedForm):
    q = forms.CharField(label=_("人员"), required=False, max_length=50)
    device = forms.ModelChoiceField(label=_("门禁"), queryset=Device.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=BLANK + list(EventKind.choices), required=False)
    since = forms.DateTimeField(label=_("开始时间"), required=False, widget=DATETIME_INPUT)
    until = forms.DateTimeField(label=_("结束时间"), required=False, widget=DATETIME_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = Device.objects.visible_to(self.user).order_by("area__path", "name")

    def value(self, name: str, default=None):
        self.is_valid()
        return self.cleaned_data.get(name) or default


class RuleForm(ScopedForm):
    role = forms.ChoiceField(label=_("角色"), choices=list(RULE_ROLES.items()))
    weekdays = forms.MultipleChoiceField(label=_("星期"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple,
                                         initial=[c for c, _label in WEEKDAY_CHOICES])
    start_time = forms.TimeField(label=_("开始时间"), required=False, widget=TIME_INPUT)
    end_time = forms.TimeField(label=_("结束时间"), required=False, widget=TIME_INPUT)
    valid_until = forms.DateField(label=_("有效期至"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"] = _editable_areas(self.user, DEVICE_AREA_LEVELS[:-1])
        self.fields["area"].label = _("适用区域")
        self.order_fields(["area", "role", "weekdays", "start_time", "end_time", "valid_until"])

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["weekdays"] = "".join(sorted(data["weekdays"]))
        return data

