"""Forms of the meetings pages: they parse input only. The services validate,
check rights and save; their errors go back onto the form field by field
(``registry.forms.add_service_errors``). Choice fields are built from scoped
querysets, so a forged id from another complex is "not a valid choice"."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import User
from shequ.cases.models import Case, Category, Urgency
from shequ.core.scoping import subtree_q
from shequ.meetings.models import MeetingKind, TeamMember, TeamRole
from shequ.meetings.services.common import MANAGE
from shequ.registry.forms import BLANK, DATE_INPUT
from shequ.registry.models import Area, House, Organization

TEXTAREA = forms.Textarea(attrs={"rows": 3})


def _today():
    return timezone.localdate()


class _SeatFields(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    title = forms.CharField(label=_("职务"), max_length=60, required=False)
    organization = forms.ModelChoiceField(label=_("所在单位"), queryset=Organization.objects.none(), required=False)
    username = forms.CharField(label=_("平台账户"), max_length=150, required=False,
                               help_text=_("填写其登录用户名，可关联其平台账户（可不填）。"))

    def __init__(self, *args, complex: Area, **kwargs):
        super().__init__(*args, **kwargs)
        # the complex's own organizations and those registered on the levels above it
        self.fields["organization"].queryset = (
            Organization.objects.filter(subtree_q("area__path", complex.path) | Q(area_id__in=complex.ancestor_ids))
            .order_by("name")
        )

    def clean_username(self) -> User | None:
        username = self.cleaned_data.get("username", "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("没有这个用户名的有效账户。"), code="no_user")
        return user


class AppointForm(_SeatFields):
    role = forms.ChoiceField(label=_("岗位"), choices=BLANK + list(TeamRole.choices))
    start_date = forms.DateField(label=_("任职开始"), widget=DATE_INPUT, initial=_today)
    field_order = ["role", "name", "title", "organization", "start_date", "username"]


class ReplaceForm(_SeatFields):
    start_date = forms.DateField(label=_("接任日期"), widget=DATE_INPUT, initial=_today)
    field_order = ["name", "title", "organization", "start_date", "username"]


class EndSeatForm(forms.Form):
    end_date = forms.DateField(label=_("结束日期"), widget=DATE_INPUT)


class MeetingFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("会议类型"), required=False, choices=BLANK + list(MeetingKind.choices))

    def value(self, name: str, default=""):
        self.is_valid()
        return self.cleaned_data.get(name) or default


class MeetingScheduleForm(forms.Form):
    held_on = forms.DateField(label=_("会议日期"), widget=DATE_INPUT, initial=_today)
    location = forms.CharField(label=_("地点"), max_length=100, required=False)


class MinutesForm(forms.Form):
    location = forms.CharField(label=_("地点"), max_length=100, required=False)
    minutes = forms.CharField(label=_("会议纪要"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    is_held = forms.BooleanField(label=_("会议已召开"), required=False)


class AttendanceForm(forms.Form):
    members = forms.MultipleChoiceField(label=_("出席的团队成员"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    guests = forms.CharField(label=_("列席人员"), required=False, widget=TEXTAREA,
                             help_text=_("每行一人：姓名 身份，如：王五 街道城管科"))

    def __init__(self, *args, roster: list[TeamMember], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(member.pk, f"{member.get_role_display()} {member.name}")
                                          for member in roster]

    def clean_guests(self) -> list[tuple[str, str]]:
        guests = []
        for line in self.cleaned_data.get("guests", "").splitlines():
            parts = line.strip().split(None, 1)
            if parts:
                guests.append((parts[0], parts[1] if len(parts) > 1 else ""))
        return guests


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("议题"), max_length=200)


class AgendaNoteForm(forms.Form):
    note = forms.CharField(label=_("讨论情况"), required=False, widget=TEXTAREA)


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("决定事项"), widget=TEXTAREA)
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=TeamMember.objects.none(), required=False)
    owner_name = forms.CharField(label=_("责任人（非团队成员）"), max_length=50, required=False)
    due_date = forms.DateField(label=_("完成期限"), widget=DATE_INPUT, required=False)
    case = forms.ModelChoiceField(label=_("关联事件"), queryset=None, required=False)
    escalate = forms.BooleanField(label=_("提请上一级会议协调"), required=False)

    def __init__(self, *args, owners, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda member: f"{member.get_role_display()} {member.name}"
        self.fields["case"].queryset = Case.objects.filter(pk__in=[case.pk for case in cases]).order_by("number")


def category_choices() -> list[tuple[int, str]]:
    categories = list(Category.objects.filter(is_active=True).select_related("parent"))
    return [(category.pk, f"{category.parent.name} / {category.name}" if category.parent else category.name)
            for category in sorted(categories, key=lambda c: ((c.parent.sort, c.parent.code) if c.parent else
                                                               (c.sort, c.code), c.parent_id is not None, c.sort,
                                                               c.code))]


class ProblemForm(forms.Form):
    """A problem found on a visit; all blank means none."""

    problem_title = forms.CharField(label=_("问题标题"), max_length=120, required=False)
    problem_category = forms.ModelChoiceField(label=_("问题分类"), queryset=Category.objects.filter(is_active=True),
                                              required=False)
    problem_urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    problem_description = forms.CharField(label=_("问题描述"), required=False, widget=TEXTAREA)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem_category"].choices = BLANK + category_choices()

    def clean(self):
        data = super().clean()
        if data.get("problem_title") and not data.get("problem_category"):
            self.add_error("problem_category", _("请选择问题分类。"))
        if data.get("problem_category") and not data.get("problem_title"):
            self.add_error("problem_title", _("请填写问题标题。"))
        return data

    def problem(self):
        from shequ.meetings.services import FoundProblem

        data = self.cleaned_data
        if not data.get("problem_title"):
            return None
        return FoundProblem(title=data["problem_title"], description=data.get("problem_description", ""),
                            category=data["problem_category"], urgency=data.get("problem_urgency") or Urgency.NORMAL)


class VisitForm(ProblemForm):
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Area.objects.none(), required=False)
    house = forms.ModelChoiceField(label=_("走访户"), queryset=House.objects.none(),
                                   error_messages={"invalid_choice": _("请从所选楼栋中选择房屋。")})
    visited_on = forms.DateField(label=_("走访日期"), widget=DATE_INPUT, initial=_today)
    member = forms.ModelChoiceField(label=_("走访人（团队成员）"), queryset=TeamMember.objects.none(), required=False)
    visitor_name = forms.CharField(label=_("走访人姓名"), max_length=50, required=False,
                                   help_text=_("不是团队成员时填写。"))
    people_met = forms.IntegerField(label=_("接触人数"), min_value=0, max_value=999, initial=1)
    notes = forms.CharField(label=_("走访情况"), required=False, widget=TEXTAREA)
    field_order = ["building", "house", "visited_on", "member", "visitor_name", "people_met", "notes"]

    def __init__(self, *args, user: User, complex: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.complex = complex
        self.fields["building"].queryset = Area.objects.filter(parent=complex, level="building",
                                                               retired_on__isnull=True).order_by("name")
        self.fields["house"].queryset = (House.objects.visible_to(user, MANAGE)
                                         .filter(subtree_q("area__path", complex.path), area__retired_on__isnull=True))
        self.fields["member"].queryset = (TeamMember.objects.filter(team__complex=complex).current()
                                          .order_by("role", "pk"))
        self.fields["member"].label_from_instance = lambda member: f"{member.get_role_display()} {member.name}"


class CoverageForm(forms.Form):
    start = forms.DateField(label=_("开始"), widget=DATE_INPUT, required=False)
    end = forms.DateField(label=_("结束"), widget=DATE_INPUT, required=False)

    def period(self):
        """(start, end) chosen, default this quarter so far."""
        today = timezone.localdate()
        quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("start") or quarter_start, data.get("end") or today
        return (start, end) if start <= end else (end, start)
