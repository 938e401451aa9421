"""Forms of the case pages: they parse input only; the services validate, check
rights and save, and their errors are put back on the form field by field."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.cases import selectors
from shequ.cases.models import AssigneeKind, Category, Channel, Level, RequestType, Status, Urgency
from shequ.meetings.models import TeamMember
from shequ.registry.models import Area, Organization
from shequ.registry.selectors import address_labels

BLANK = [("", "—")]
#: channels staff type in (residents and Open311 come in through their own doors)
STAFF_CHANNELS = [(c.value, c.label) for c in (Channel.STAFF, Channel.HOTLINE, Channel.INSPECTION, Channel.VISIT,
                                               Channel.MAILBOX)]
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; the service checks what each really is."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(PhotosField, self).clean(file, initial) for file in files]


def _category_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=_("问题分类"), choices=BLANK + selectors.category_choices(), coerce=int)


class ScopedForm(forms.Form):
    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class CaseFilterForm(ScopedForm):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + Status.choices)
    category = forms.TypedChoiceField(label=_("分类"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("来源"), required=False, choices=BLANK + Channel.choices)
    level = forms.ChoiceField(label=_("层级"), required=False, choices=BLANK + Level.choices)
    complex = forms.TypedChoiceField(label=_("小区"), required=False, coerce=int, empty_value=None)
    overdue = forms.BooleanField(label=_("仅超期"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = BLANK + selectors.category_choices()
        self.complexes = {area.pk: area for area in selectors.complex_choices(user=self.user)}
        self.fields["complex"].choices = BLANK + [(pk, area.name) for pk, area in self.complexes.items()]

    def filters(self) -> dict:
        """Cleaned filters for ``selectors.case_list``; a bad filter is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        category_pk = data.get("category")
        return {
            "query": data.get("q") or "", "status": data.get("status") or "", "channel": data.get("channel") or "",
            "level": data.get("level") or "", "overdue": bool(data.get("overdue")),
            "category": Category.objects.filter(pk=category_pk).first() if category_pk else None,
            "complex_area": self.complexes.get(data.get("complex")),
        }


class AreaChoiceField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("请从搜索结果中选择一个位置。")}

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(queryset=queryset, **kwargs)


class StaffIntakeForm(ScopedForm):
    """Staff enter what came by phone, from an inspection, a visit or a letter."""

    channel = forms.ChoiceField(label=_("来源渠道"), choices=STAFF_CHANNELS, initial=Channel.STAFF)
    request_type = forms.ChoiceField(label=_("诉求类型"), choices=RequestType.choices, initial=RequestType.COMPLAINT)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    area = AreaChoiceField(queryset=Area.objects.none(), label=_("位置（小区、楼栋、单元或房屋）"))
    title = forms.CharField(label=_("标题"), max_length=120)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 5}))
    location_text = forms.CharField(label=_("具体位置"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("反映人姓名"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    external_ref = forms.CharField(label=_("外部编号（如热线工单号）"), max_length=64, required=False)
    received_at = forms.DateTimeField(label=_("受理时间"), required=False, widget=DATETIME_INPUT,
                                      help_text=_("不填则为当前时间。"))
    photos = PhotosField(label=_("照片"), help_text=_("JPEG、PNG 或 WebP，每张不超过 5 MB，最多 6 张。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = _category_field()
        self.order_fields(["channel", "category", "request_type", "urgency"])
        self.fields["area"].queryset = Area.objects.visible_to(self.user, Capability.CASES_VIEW).active()

    def picked_area(self) -> tuple[int, str] | None:
        """The chosen area as (id, label), so a re-shown form keeps it."""
        value = self["area"].value()
        if not value or not str(value).isdigit():
            return None
        area = self.fields["area"].queryset.filter(pk=value).first()
        if area is None:
            return None
        return area.pk, address_labels([area])[area.pk]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["category"] = Category.objects.get(pk=data["category"])
        return data


class ResidentReportForm(ScopedForm):
    """A resident reports a problem at home or in their complex."""

    place = forms.TypedChoiceField(label=_("位置"), coerce=int)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000)
    location_text = forms.CharField(label=_("具体位置"), max_length=200, required=False,
                                    help_text=_("如：3号楼东侧垃圾桶旁"))
    photos = PhotosField(label=_("照片"), help_text=_("JPEG、PNG 或 WebP，每张不超过 5 MB，最多 6 张。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = _category_field()
        self.order_fields(["category", "place"])
        self.places = {area.pk: area for area in selectors.resident_places(user=self.user)}
        labels = address_labels(self.places.values()) if self.places else {}
        self.fields["place"].choices = [(pk, labels.get(pk, area.name)) for pk, area in self.places.items()]
        if self.places and not self.is_bound:
            self.initial.setdefault("place", next(iter(self.places)))  # their house comes first

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        category = Category.objects.get(pk=data["category"])
        description = data["description"].strip()
        first_line = description.splitlines()[0] if description else ""
        title = f"{category.name}：{first_line}"[:120]
        return {"category": category, "area": self.places[data["place"]], "title": title,
                "description": description, "location_text": data["location_text"], "photos": data["photos"]}


# --- step forms on the case page -----------------------------------------------------------------------------------

class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)


class RequiredNoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class AssignForm(forms.Form):
    assignee_kind = forms.ChoiceField(label=_("承办类型"), choices=BLANK + AssigneeKind.choices)
    assignee_org = forms.ModelChoiceField(label=_("承办单位"), queryset=Organization.objects.none(), required=False)
    assignee_name = forms.CharField(label=_("或填写承办单位名称"), max_length=100, required=False)
    accountable = forms.ModelChoiceField(label=_("2+4责任人"), queryset=TeamMember.objects.none(), required=False)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee_org"].queryset = Organization.objects.visible_to(user).order_by("name")
        self.fields["accountable"].queryset = (TeamMember.objects.current()
                                               .filter(team__complex_id=case.complex_id).order_by("role", "name"))


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("办理结果"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    photos = PhotosField(label=_("办结照片"))


class MergeForm(forms.Form):
    into_number = forms.CharField(label=_("合并到事件编号"), max_length=24)
    note = forms.CharField(label=_("说明"), required=False, max_length=2000)


class ConfirmForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("非常满意")), (4, _("满意")), (3, _("基本满意")), (2, _("不满意")), (1, _("非常不满意"))],
    )
    comment = forms.CharField(label=_("评价"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              max_length=2000)
    follow_up_at = forms.DateField(label=_("希望回访日期（可不填）"), required=False, widget=DATE_INPUT)

    def clean_follow_up_at(self):
        value = self.cleaned_data.get("follow_up_at")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("回访日期不能早于今天。"))
        return value


#: step -> (form class, label of the step)
STEP_FORMS = {
    "accept": (NoteForm, _("受理")),
    "assign": (AssignForm, _("派单")),
    "start": (NoteForm, _("开始办理")),
    "wait": (RequiredNoteForm, _("待居民补充")),
    "resume": (NoteForm, _("恢复办理")),
    "resolve": (ResolveForm, _("办结")),
    "close": (NoteForm, _("关闭")),
    "reopen": (ReasonForm, _("重新打开")),
    "merge": (MergeForm, _("合并重复件")),
    "escalate": (ReasonForm, _("升级")),
    "confirm": (ConfirmForm, _("确认并评价")),
}


def step_form(step: str, *, data=None, files=None, user: User, case, prefix: str = ""):
    form_class, _label = STEP_FORMS[step]
    kwargs = {"data": data, "files": files, "prefix": prefix or step}
    if form_class is AssignForm:
        kwargs.update(user=user, case=case)
    return form_class(**kwargs)
