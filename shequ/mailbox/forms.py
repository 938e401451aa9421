"""Forms of the mailbox pages: they parse input only; the services validate,
check rights and save, and their errors are put back on the form field by field."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import User
from shequ.cases import selectors as case_selectors
from shequ.cases.forms import DATE_INPUT, PhotosField
from shequ.cases.models import Category, Urgency
from shequ.mailbox import selectors
from shequ.mailbox.models import Kind, Status
from shequ.mailbox.services.images import MAX_IMAGE_BYTES, MAX_IMAGES
from shequ.mailbox.services.letters import BODY_MAX, COMMENT_MAX, MESSAGE_MAX, REASON_MAX, SUBJECT_MAX
from shequ.registry.selectors import address_labels

BLANK = [("", "—")]


class ScopedForm(forms.Form):
    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class LetterWriteForm(ScopedForm):
    kind = forms.ChoiceField(label=_("来信类型"), choices=Kind.choices, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("主题"), max_length=SUBJECT_MAX)
    body = forms.CharField(label=_("内容"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6}))
    house = forms.TypedChoiceField(label=_("住址"), coerce=int)
    anonymous = forms.BooleanField(
        label=_("匿名来信"), required=False,
        help_text=_("勾选后，处理来信的民警看不到您的姓名、电话和门牌号，只知道来信来自哪个小区；"
                    "只有社区警务室负责人在确有必要时可以查看，并且每次查看都会留下记录。"
                    "您本人仍可在“我的来信”中查看和跟进。"))
    images = PhotosField(label=_("图片"), help_text=_("JPEG、PNG 或 WebP，每张不超过 %(mb)d MB，最多 %(max)d 张。") % {
        "mb": MAX_IMAGE_BYTES // (1024 * 1024), "max": MAX_IMAGES})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.houses = {area.pk: area for area in selectors.writable_houses(user=self.user)}
        labels = address_labels(self.houses.values()) if self.houses else {}
        self.fields["house"].choices = [(pk, labels.get(pk, area.name)) for pk, area in self.houses.items()]
        if len(self.houses) <= 1:
            # one house: nothing to choose, the service takes it
            self.fields["house"].required = False
            self.fields["house"].widget = forms.HiddenInput()
        elif not self.is_bound:
            self.initial.setdefault("house", next(iter(self.houses)))

    @property
    def asks_house(self) -> bool:
        return len(self.houses) > 1

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"kind": data["kind"], "subject": data["subject"], "body": data["body"],
                "anonymous": data["anonymous"], "house": self.houses.get(data.get("house")),
                "images": data["images"]}


class MessageForm(forms.Form):
    body = forms.CharField(label=_("留言"), max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("答复内容"), max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 4}))


class CloseForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, max_length=MESSAGE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("满意度"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(score, "★" * score) for score in range(5, 0, -1)])
    comment = forms.CharField(label=_("评价"), required=False, max_length=COMMENT_MAX,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ConvertForm(forms.Form):
    category = forms.TypedChoiceField(label=_("事件分类"), coerce=int)
    title = forms.CharField(label=_("事件标题"), required=False, max_length=120,
                            help_text=_("不填则使用来信主题。"))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = BLANK + case_selectors.category_choices()

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"category": Category.objects.get(pk=data["category"]), "title": data["title"],
                "urgency": data["urgency"]}


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看理由"), max_length=REASON_MAX,
                             help_text=_("查看匿名来信人会记入审计日志。"))


class InboxFilterForm(ScopedForm):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=BLANK + Kind.choices)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + Status.choices)
    complex = forms.TypedChoiceField(label=_("小区"), required=False, coerce=int, empty_value=None)
    overdue = forms.BooleanField(label=_("仅超期"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.complexes = {area.pk: area for area in selectors.complex_choices(user=self.user)}
        self.fields["complex"].choices = BLANK + [(pk, area.name) for pk, area in self.complexes.items()]

    def filters(self) -> dict:
        """Cleaned filters for ``selectors.inbox``; a bad filter is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"kind": data.get("kind") or "", "status": data.get("status") or "",
                "overdue": bool(data.get("overdue")), "complex_area": self.complexes.get(data.get("complex"))}


class StatsForm(ScopedForm):
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE_INPUT)
    community = forms.TypedChoiceField(label=_("社区"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.communities = {area.pk: area for area in selectors.community_choices(user=self.user)}
        self.fields["community"].choices = BLANK + [(pk, area.name) for pk, area in self.communities.items()]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data

    def period(self) -> dict:
        """The chosen range (default: the last 30 days) and community."""
        valid = self.is_valid()
        data = self.cleaned_data if valid else {}
        today = timezone.localdate()
        date_to: date = data.get("date_to") or today
        date_from: date = data.get("date_from") or date_to - timedelta(days=29)
        return {"date_from": date_from, "date_to": date_to, "community": self.communities.get(data.get("community"))}
