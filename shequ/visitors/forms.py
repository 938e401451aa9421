"""Forms of the visitor pages: they parse input only; the services validate, check
rights and save, and their errors are put back on the form field by field."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.access.models import Device
from shequ.registry.models import Area
from shequ.registry.selectors import address_labels
from shequ.registry.validators import IdDocumentType
from shequ.visitors.models import MAX_ENTRIES, VisitKind

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BLANK = [("", "—")]
#: the statistics page covers at most this many days at once
FIGURES_MAX_DAYS = 92


def _minute(moment):
    return timezone.localtime(moment).replace(second=0, microsecond=0)


class DoorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Device) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class PassForm(forms.Form):
    """A resident's new pass. ``houses``: the households they may issue for;
    ``doors``: the doors those households may open."""

    house = forms.TypedChoiceField(label=_("被访住户"), coerce=int)
    visitor_name = forms.CharField(label=_("访客姓名"), max_length=40)
    phone = forms.CharField(label=_("访客手机（选填）"), required=False, max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    plate = forms.CharField(label=_("车牌（选填）"), required=False, max_length=12)
    valid_from = forms.DateTimeField(label=_("开始时间"), widget=DATETIME_INPUT)
    valid_until = forms.DateTimeField(label=_("结束时间"), widget=DATETIME_INPUT)
    max_entries = forms.IntegerField(label=_("可通行次数"), widget=forms.NumberInput(attrs={"min": 1, "max": MAX_ENTRIES}),
                                     help_text=_("每经过一道门禁计一次，最多20次。"))
    doors = DoorChoiceField(label=_("可通行门禁"), queryset=Device.objects.none(), widget=forms.CheckboxSelectMultiple,
                            error_messages={"invalid_choice": _("只能选择本户所在楼栋的单元门和本小区的出入口。"),
                                            "invalid_pk_value": _("请从列表中选择门禁。")})

    def __init__(self, *args, houses: list[Area], doors, **kwargs):
        now = _minute(timezone.now())
        kwargs.setdefault("initial", {"valid_from": now, "valid_until": now + timedelta(hours=4), "max_entries": 2})
        super().__init__(*args, **kwargs)
        labels = address_labels(houses)
        self.houses = {house.pk: house for house in houses}
        self.fields["house"].choices = [(house.pk, labels.get(house.pk, house.name)) for house in houses]
        if len(houses) == 1:
            # one household (the usual case): nothing to choose
            self.fields["house"].widget = forms.HiddenInput()
            self.fields["house"].required = False
            self.initial.setdefault("house", houses[0].pk)
        self.fields["doors"].queryset = doors
        self.fields["doors"].initial = [door.pk for door in doors]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        house = self.houses[data["house"]] if data["house"] else next(iter(self.houses.values()))
        return {"house": house, "visitor_name": data["visitor_name"], "phone": data["phone"],
                "plate": data["plate"], "valid_from": data["valid_from"], "valid_until": data["valid_until"],
                "max_entries": data["max_entries"], "doors": list(data["doors"])}


class WalkInForm(forms.Form):
    """The guard's registration of a visitor without a pass."""

    house = forms.ModelChoiceField(label=_("被访住户"), queryset=Area.objects.none(),
                                   error_messages={"invalid_choice": _("请从列表中选择被访住户。")})
    visitor_name = forms.CharField(label=_("访客姓名"), max_length=40)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdDocumentType.choices, initial=IdDocumentType.RESIDENT_ID)
    id_number = forms.CharField(label=_("证件号码"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label=_("手机号（选填）"), required=False, max_length=20)
    plate = forms.CharField(label=_("车牌（选填）"), required=False, max_length=12)
    purpose = forms.CharField(label=_("来访事由（选填）"), required=False, max_length=100)
    expected_leave_at = forms.DateTimeField(label=_("预计离开"), widget=DATETIME_INPUT)
    host_confirmed = forms.BooleanField(label=_("已通过对讲或电话与住户确认"), required=False)

    def __init__(self, *args, houses, **kwargs):
        kwargs.setdefault("initial", {"expected_leave_at": _minute(timezone.now()) + timedelta(hours=2)})
        super().__init__(*args, **kwargs)
        houses = list(houses)
        labels = address_labels(houses)
        field = self.fields["house"]
        field.queryset = Area.objects.filter(pk__in=[house.pk for house in houses])
        field.label_from_instance = lambda area: labels.get(area.pk, area.name)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in ("house", "visitor_name", "id_type", "id_number", "phone", "plate",
                                           "purpose", "expected_leave_at", "host_confirmed")}


class VisitFilterForm(forms.Form):
    day_from = forms.DateField(label=_("从"), required=False, widget=DATE_INPUT)
    day_to = forms.DateField(label=_("到"), required=False, widget=DATE_INPUT)
    kind = forms.ChoiceField(label=_("方式"), required=False, choices=BLANK + VisitKind.choices)
    complex = forms.TypedChoiceField(label=_("小区"), required=False, coerce=int, empty_value=None)
    name = forms.CharField(label=_("访客姓名"), required=False, max_length=40)
    inside = forms.BooleanField(label=_("仅在访"), required=False)

    def __init__(self, *args, complexes: list[Area], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["complex"].choices = BLANK + [(c.pk, c.name) for c in complexes]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"day_from": data["day_from"], "day_to": data["day_to"], "kind": data["kind"],
                "complex_id": data["complex"], "name": data["name"].strip(), "inside": data["inside"]}


class FiguresForm(forms.Form):
    day_from = forms.DateField(label=_("从"), required=False, widget=DATE_INPUT)
    day_to = forms.DateField(label=_("到"), required=False, widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        day_to = data.get("day_to") or today
        day_from = data.get("day_from") or day_to - timedelta(days=13)
        if day_from > day_to:
            self.add_error("day_to", forms.ValidationError(_("结束日期不能早于开始日期。"), code="range_order"))
        elif (day_to - day_from).days >= FIGURES_MAX_DAYS:
            self.add_error("day_from", forms.ValidationError(_("一次最多统计92天。"), code="range_too_long"))
        data["day_from"], data["day_to"] = day_from, day_to
        return data

    def period(self) -> tuple:
        """(from, to) when valid; the last 14 days otherwise."""
        if self.is_valid():
            return self.cleaned_data["day_from"], self.cleaned_data["day_to"]
        today = timezone.localdate()
        return today - timedelta(days=13), today
