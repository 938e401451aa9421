"""Forms of the resident pages. They only shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.access.models import Device


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={
        "inputmode": "tel", "autocomplete": "tel", "placeholder": _("请输入登记的手机号码"), "autofocus": True}))


class CodeForm(forms.Form):
    code = forms.RegexField(label=_("验证码"), regex=r"^\s*\d{6}\s*$", max_length=8,
                            error_messages={"invalid": _("请输入短信中的6位数字验证码。")},
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                          "class": "code", "autofocus": True, "maxlength": 6}))


class ChooseForm(forms.Form):
    """Family members sharing one phone: whose account to open."""

    person = forms.TypedChoiceField(label=_("登录身份"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(person.pk, person.name) for person in people]


class DeviceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Device) -> str:
        return obj.name


class FaceEnrolForm(forms.Form):
    devices = DeviceChoiceField(label=_("在哪些门禁使用人脸识别"), queryset=Device.objects.none(),
                                widget=forms.CheckboxSelectMultiple,
                                error_messages={"required": _("请至少选择一个门禁。"),
                                                "invalid_choice": _("只能选择您有权通行且支持人脸识别的门禁。")})
    agree = forms.BooleanField(label=_("我已阅读上述说明，同意在所选门禁使用人脸识别"),
                               error_messages={"required": _("请勾选同意后再提交。")})
    photo = forms.FileField(label=_("本人正面照片"), required=False, widget=forms.ClearableFileInput(attrs={
        "accept": "image/jpeg,image/png,image/webp", "capture": "user"}))

    def __init__(self, *args, doors=(), blocked=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        usable = [door.pk for door in doors if door.pk not in blocked]
        self.fields["devices"].queryset = Device.objects.filter(pk__in=usable).order_by("area__path", "name")


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("本人正面照片"), required=False, widget=forms.ClearableFileInput(attrs={
        "accept": "image/jpeg,image/png,image/webp", "capture": "user"}))


class SosForm(forms.Form):
    house = forms.TypedChoiceField(label=_("报警地址"), coerce=int)
    detail = forms.CharField(label=_("补充说明（可不填）"), max_length=200, required=False,
                             widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：老人摔倒、有人闯入")}))
    # filled by the phone's location, when the resident allows it (residents/sos.js)
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=10, decimal_places=6, widget=forms.HiddenInput)

    def __init__(self, *args, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house"].choices = [(house.pk, label) for house, label in houses]
        if len(self.fields["house"].choices) == 1:
            self.fields["house"].initial = self.fields["house"].choices[0][0]
            self.fields["house"].widget = forms.HiddenInput()
