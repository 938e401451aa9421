"""Forms of the registry pages. They parse and shape input only: the services
validate, check rights and save, and their ValidationErrors are put back onto
these forms field by field (:func:`add_service_errors`).

Fields that pick an area, house or person take an id from the htmx picker
(``registry/picker.html``) and resolve it through ``visible_to``, so a forged id
from another community is just "not a valid choice".
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import User
from shequ.registry.codes import ETHNICITY_CHOICES, POLITICAL_STATUS_CHOICES
from shequ.registry.models import Area, CareTag, Facility, House, Organization, Person, Residence, Vehicle
from shequ.registry.models.area import AreaLevel
from shequ.registry.selectors import SEARCH_KIND_CHOICES

BLANK = [("", "—")]
# <input type="date"> only takes ISO dates, whatever the locale formats dates as
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: each message next to its
    field, messages for fields the form lacks at the top."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        name = field_map.get(key, key)
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        form.add_error(target, ValidationError(errors))


def model_field(model, name: str, **kwargs) -> forms.Field:
    """The form field Django derives from a model field: same label, choices, length."""
    return model._meta.get_field(name).formfield(**kwargs)


class PickedField(forms.ModelChoiceField):
    """An id chosen in a picker, resolved inside a scoped queryset."""

    default_error_messages = {"invalid_choice": _("请从搜索结果中选择一项。")}

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(queryset=queryset, **kwargs)


class ScopedForm(forms.Form):
    """A form that knows the user, for pickers and choices."""

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    @cached_property
    def picked(self) -> dict[str, tuple[int, str]]:
        """{picker field: (id, label)} of the current choices, so a re-shown form
        keeps them checked; one scoped query per picker field."""
        result = {}
        for name, field in self.fields.items():
            value = self[name].value() if isinstance(field, PickedField) else None
            if value in (None, "") or not str(value).isdigit():
                continue
            obj = field.queryset.filter(pk=value).first()
            if obj is not None:
                result[name] = (obj.pk, picked_label(obj))
        return result


def picked_label(obj) -> str:
    """How a picker shows a chosen area, house or person."""
    from shequ.registry.selectors import address_labels

    if isinstance(obj, Area):
        return address_labels([obj])[obj.pk]
    if isinstance(obj, House):
        return address_labels([obj.area])[obj.area_id]
    if isinstance(obj, Person):
        return f"{obj.name}  {obj.id_number_masked}"
    return str(obj)


# --- list filters -----------------------------------------------------------------------------------------------

class FilterForm(ScopedForm):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    area = forms.IntegerField(label=_("区域"), required=False, widget=forms.HiddenInput)

    def clean_area(self) -> Area | None:
        pk = self.cleaned_data.get("area")
        if pk is None:
            return None
        return Area.objects.visible_to(self.user).filter(pk=pk).first()

    def extra_fields(self) -> list[forms.BoundField]:
        """The list's own filters, shown after the search box and area select."""
        return [self[name] for name in self.fields if name not in ("q", "area")]

    def value(self, name: str, default=""):
        """A cleaned filter value; a bad filter is ignored rather than reported."""
        self.is_valid()
        return self.cleaned_data.get(name) or default


def _care_tag_choices() -> list[tuple[str, str]]:
    return [(tag.code, tag.name) for tag in CareTag.objects.order_by("code")]


class PersonFilterForm(FilterForm):
    care_tag = forms.ChoiceField(label=_("关爱标签"), required=False)
    population_type = forms.ChoiceField(label=_("人口类型"), required=False,
                                        choices=BLANK + list(Residence.PopulationType.choices))
    id_type = forms.ChoiceField(label=_("证件类型"), required=False, choices=BLANK + list(Person.IdType.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_tag"].choices = BLANK + _care_tag_choices()


class HouseFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + list(House.Status.choices))
    use = forms.ChoiceField(label=_("用途"), required=False, choices=BLANK + list(House.Use.choices))


class OrganizationFilterForm(FilterForm):
    kind = forms.ChoiceField(label=_("类别"), required=False, choices=BLANK + list(Organization.Kind.choices))


class VehicleFilterForm(FilterForm):
    plate_kind = forms.ChoiceField(label=_("号牌种类"), required=False, choices=BLANK + list(Vehicle.PlateKind.choices))


class FacilityFilterForm(FilterForm):
    kind = forms.ChoiceField(label=_("类别"), required=False, choices=BLANK + list(Facility.Kind.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + list(Facility.Status.choices))
    due = forms.BooleanField(label=_("待检查"), required=False)


class FindForm(forms.Form):
    q = forms.CharField(label=_("查找"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("按"), required=False, choices=[("", _("自动判断"))] + SEARCH_KIND_CHOICES)


# --- people -----------------------------------------------------------------------------------------------------

class PersonFieldsMixin(forms.Form):
    name = model_field(Person, "name")
    id_type = forms.ChoiceField(label=_("证件类型"), choices=Person.IdType.choices, initial=Person.IdType.RESIDENT_ID)
    id_number = forms.CharField(label=_("证件号码"), max_length=40)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    ethnicity = forms.ChoiceField(label=_("民族"), required=False, choices=BLANK + ETHNICITY_CHOICES)
    political_status = forms.ChoiceField(label=_("政治面貌"), required=False, choices=BLANK + POLITICAL_STATUS_CHOICES)
    care_tags = forms.MultipleChoiceField(label=_("关爱标签"), required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def _init_choices(self) -> None:
        self.fields["care_tags"].choices = _care_tag_choices()
        self.fields["id_number"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.fields["phone"].widget.attrs.update(autocomplete="off", inputmode="tel")


class PersonCreateForm(ScopedForm, PersonFieldsMixin):
    """A new person, placed in a house (moving in at once) or in a community."""

    area = PickedField(queryset=Area.objects.none(), label=_("房屋或社区"))
    relation = forms.ChoiceField(label=_("与房屋关系"), required=False, choices=BLANK + list(Residence.Relation.choices),
                                 initial=Residence.Relation.OWNER)
    population_type = forms.ChoiceField(label=_("人口类型"), required=False,
                                        choices=BLANK + list(Residence.PopulationType.choices),
                                        initial=Residence.PopulationType.RESIDENT)
    start_date = forms.DateField(label=_("入住日期"), required=False, widget=DATE_INPUT)

    field_order = ["name", "id_type", "id_number", "phone", "ethnicity", "political_status", "care_tags",
                   "area", "relation", "population_type", "start_date", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_choices()
        self.fields["area"].queryset = Area.objects.visible_to(self.user).active().filter(
            level__in=[AreaLevel.HOUSE, AreaLevel.COMMUNITY]
        )
        self.fields["start_date"].initial = timezone.localdate

    def clean(self):
        data = super().clean()
        area = data.get("area")
        if area is not None and area.level == AreaLevel.HOUSE:
            for name in ("relation", "population_type"):
                if not data.get(name):
                    self.add_error(name, _("住进房屋时必须填写此项。"))
        return data

    @property
    def moves_in(self) -> bool:
        return self.cleaned_data["area"].level == AreaLevel.HOUSE


class PersonEditForm(ScopedForm, PersonFieldsMixin):
    """Changing a person. ID and phone stay as they are unless a new value is typed."""

    clear_phone = forms.BooleanField(label=_("删除手机号码"), required=False)

    field_order = ["name", "id_type", "id_number", "phone", "clear_phone", "ethnicity", "political_status",
                   "care_tags", "note"]

    def __init__(self, *args, person: Person, **kwargs):
        self.person = person
        kwargs.setdefault("initial", {
            "name": person.name, "id_type": person.id_type, "ethnicity": person.ethnicity,
            "political_status": person.political_status, "note": person.note,
            "care_tags": [tag.code for tag in person.care_tags.all()],
        })
        super().__init__(*args, **kwargs)
        self._init_choices()
        self.fields["id_number"].required = False
        self.fields["id_number"].help_text = _("当前：%(masked)s。留空则不修改。") % {"masked": person.id_number_masked}
        self.fields["phone"].help_text = (
            _("当前：%(masked)s。留空则不修改。") % {"masked": person.phone_masked} if person.phone_masked
            else _("当前未登记。")
        )

    def service_changes(self) -> dict:
        """Keyword arguments for ``person_update``: only what was actually given."""
        data = self.cleaned_data
        changes = {
            "name": data["name"], "ethnicity": data["ethnicity"], "political_status": data["political_status"],
            "note": data["note"], "care_tags": data["care_tags"],
        }
        if data["id_type"] != self.person.id_type or data["id_number"]:
            changes["id_type"] = data["id_type"]
            changes["id_number"] = data["id_number"] or None
        if data["clear_phone"]:
            changes["phone"] = ""
        elif data["phone"]:
            changes["phone"] = data["phone"]
        return changes


class ResidenceStartForm(ScopedForm):
    house = PickedField(queryset=House.objects.none(), label=_("房屋"))
    relation = forms.ChoiceField(label=_("与房屋关系"), choices=Residence.Relation.choices)
    population_type = forms.ChoiceField(label=_("人口类型"), choices=Residence.PopulationType.choices,
                                        initial=Residence.PopulationType.RESIDENT)
    start_date = forms.DateField(label=_("入住日期"), widget=DATE_INPUT)
    lease_end = forms.DateField(label=_("租约到期"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house"].queryset = House.objects.visible_to(self.user).select_related("area")
        self.fields["start_date"].initial = timezone.localdate


class EndDateForm(forms.Form):
    end_date = forms.DateField(label=_("结束日期"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = timezone.localdate


# --- houses, organizations, vehicles, facilities ---------------------------------------------------------------

class HouseEditForm(forms.Form):
    number = model_field(House, "number")
    floor = model_field(House, "floor")
    # the model's check constraint would only say "constraint violated"
    floor_area = model_field(House, "floor_area", min_value=Decimal("0.01"))
    use = model_field(House, "use")
    status = model_field(House, "status")
    ownership = model_field(House, "ownership")

    #: the house's area node is named and coded after its number
    service_field_map = {"code": "number", "name": "number"}


class HouseCreateForm(ScopedForm, HouseEditForm):
    unit = PickedField(queryset=Area.objects.none(), label=_("所在单元"))

    field_order = ["unit", "number", "floor", "floor_area", "use", "status", "ownership"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Area.objects.visible_to(self.user).active().filter(level=AreaLevel.UNIT)


class OrganizationForm(ScopedForm):
    name = model_field(Organization, "name")
    kind = model_field(Organization, "kind")
    uscc = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=30,
                           help_text=_("党组织等没有代码的可留空。"))
    area = PickedField(queryset=Area.objects.none(), label=_("所属区域"))
    address = model_field(Organization, "address")
    legal_representative = model_field(Organization, "legal_representative")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(self.user).active().exclude(level=AreaLevel.HOUSE)


class MemberAddForm(ScopedForm):
    person = PickedField(queryset=Person.objects.none(), label=_("人员"))
    role = forms.CharField(label=_("职务"), required=False, max_length=50)
    is_contact = forms.BooleanField(label=_("联系人"), required=False)
    start_date = forms.DateField(label=_("开始日期"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.visible_to(self.user)


class VehicleForm(ScopedForm):
    plate = forms.CharField(label=_("车牌号"), max_length=12, help_text=_("例如：陕A12345、陕AD12345。"))
    area = PickedField(queryset=Area.objects.none(), label=_("所属区域"))
    owner = PickedField(queryset=Person.objects.none(), label=_("车主"), required=False)
    house = PickedField(queryset=House.objects.none(), label=_("房屋"), required=False)
    parking_space = model_field(Vehicle, "parking_space")
    brand = model_field(Vehicle, "brand")
    color = model_field(Vehicle, "color")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(self.user).active().exclude(level=AreaLevel.HOUSE)
        self.fields["owner"].queryset = Person.objects.visible_to(self.user)
        self.fields["house"].queryset = House.objects.visible_to(self.user).select_related("area")


class FacilityForm(ScopedForm):
    kind = model_field(Facility, "kind")
    name = model_field(Facility, "name")
    serial = model_field(Facility, "serial")
    area = PickedField(queryset=Area.objects.none(), label=_("所属区域"))
    location = model_field(Facility, "location")
    latitude = model_field(Facility, "latitude")
    longitude = model_field(Facility, "longitude")
    status = model_field(Facility, "status")
    installed_on = model_field(Facility, "installed_on", widget=DATE_INPUT)
    last_inspected_on = model_field(Facility, "last_inspected_on", widget=DATE_INPUT)
    next_inspection_on = model_field(Facility, "next_inspection_on", widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(self.user).active().exclude(level=AreaLevel.HOUSE)


def initial_from(obj, form_class: type[forms.Form]) -> dict:
    """Initial form values from a model instance, by field name."""
    return {name: getattr(obj, name) for name in form_class.base_fields if hasattr(obj, name)}
