"""Forms of the notice pages. They parse input only; the services validate and
their ValidationErrors are put back on these forms (``add_service_errors``).

Area fields offer the user's own areas (``area_choices`` for NOTICES_DRAFT, a
bounded list) and accept any area the user may draft in, so a forged id from
another community is "not a valid choice" before the service even looks.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.accounts.roles import Capability
from shequ.notices.models import AUDIENCE_LEVELS, PUBLISH_LEVELS, Category, Notice, NoticeTemplate, Status
from shequ.notices.services import CHANNELS
from shequ.registry.forms import BLANK
from shequ.registry.models import Area, CareTag
from shequ.registry.selectors import area_choices

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CHANNEL_CHOICES = [("terminals", _("终端（门口机、室内机、路灯屏）")), ("residents", _("居民端")),
                   ("staff", _("工作人员端"))]
assert {value for value, _label in CHANNEL_CHOICES} == set(CHANNELS)


def _label(area: Area, base: int) -> str:
    return "\u3000" * max(area.depth - base, 0) + area.name


def _area_options(user, levels) -> list[tuple[int, str]]:
    areas = [area for area in area_choices(user=user, capability=Capability.NOTICES_DRAFT) if area.level in levels]
    base = min((area.depth for area in areas), default=0)
    return [(area.pk, _label(area, base)) for area in areas]


class NoticeForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none(), label=_("发布单位"))
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}), max_length=4000,
                           help_text=_("纯文本，换行会保留。可用占位符：{community}、{date} 等，保存时替换。"))
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.NOTICE)
    urgent = forms.BooleanField(label=_("紧急（立即推送到终端并置顶）"), required=False)
    audience_areas = forms.ModelMultipleChoiceField(
        queryset=Area.objects.none(), label=_("发布范围"), required=False, widget=forms.CheckboxSelectMultiple,
    )
    care_tags = forms.ModelMultipleChoiceField(
        queryset=CareTag.objects.all(), label=_("关爱群体"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("发布单位范围内有此类人员居住的家庭。"),
    )
    channels = forms.MultipleChoiceField(label=_("发布渠道"), choices=CHANNEL_CHOICES, required=False,
                                         widget=forms.CheckboxSelectMultiple, initial=["residents"])
    publish_at = forms.DateTimeField(label=_("定时发布"), required=False, widget=DATETIME_INPUT,
                                     help_text=_("留空则审批后立即发布。"))
    expires_at = forms.DateTimeField(label=_("有效期至"), required=False, widget=DATETIME_INPUT,
                                     help_text=_("留空则长期有效。"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        drafting = Area.objects.visible_to(user, Capability.NOTICES_DRAFT).active()
        self.fields["area"].queryset = drafting.filter(level__in=PUBLISH_LEVELS)
        self.fields["area"].choices = BLANK + _area_options(user, PUBLISH_LEVELS)
        self.fields["audience_areas"].queryset = drafting.filter(level__in=AUDIENCE_LEVELS)
        self.fields["audience_areas"].choices = _area_options(user, AUDIENCE_LEVELS)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "area": data["area"], "title": data["title"], "body": data["body"], "category": data["category"],
            "urgent": data["urgent"], "audience_areas": list(data["audience_areas"]),
            "care_tags": list(data["care_tags"]), "channels": data["channels"], "publish_at": data["publish_at"],
            "expires_at": data["expires_at"],
        }

    @classmethod
    def initial_from(cls, notice: Notice | None = None, template: NoticeTemplate | None = None) -> dict:
        """Initial values: a draft being edited, or a template's wording."""
        if notice is not None:
            return {
                "area": notice.area_id, "title": notice.title, "body": notice.body, "category": notice.category,
                "urgent": notice.urgent, "audience_areas": list(notice.audience_areas.values_list("pk", flat=True)),
                "care_tags": list(notice.care_tags.values_list("pk", flat=True)),
                "channels": [name for name, flag in CHANNELS.items() if getattr(notice, flag)],
                "publish_at": notice.publish_at, "expires_at": notice.expires_at,
            }
        if template is not None:
            return {"title": template.title, "body": template.body, "category": template.category}
        return {}


class NoticeFilterForm(forms.Form):
    q = forms.CharField(label=_("标题"), required=False)
    status = forms.ChoiceField(label=_("状态"), choices=BLANK + list(Status.choices), required=False)
    category = forms.ChoiceField(label=_("类别"), choices=BLANK + list(Category.choices), required=False)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"status": data["status"], "category": data["category"], "query": data["q"].strip()}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), required=False, max_length=400,
                             widget=forms.Textarea(attrs={"rows": 2}))


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("模板名称"), max_length=120)
    area = forms.ModelChoiceField(queryset=Area.objects.none(), label=_("所属区域"),
                                  help_text=_("该区域及下级的工作人员都可以使用此模板。"))
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.NOTICE)
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}), max_length=4000)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(user, Capability.NOTICES_DRAFT).active()
        self.fields["area"].choices = BLANK + _area_options(user, PUBLISH_LEVELS)

    def service_kwargs(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("name", "area", "category", "title", "body")}

    @staticmethod
    def initial_from(template: NoticeTemplate) -> dict:
        return {"name": template.name, "area": template.area_id, "category": template.category,
                "title": template.title, "body": template.body}
