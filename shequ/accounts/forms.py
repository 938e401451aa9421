"""Forms of the accounts pages. They only parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from shequ.accounts import selectors, services
from shequ.accounts.audit import Actor
from shequ.accounts.models import RoleGrant, User
from shequ.accounts.roles import Capability, Role
from shequ.registry.models import Area


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), strip=False, max_length=4096,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class _CodeField(forms.CharField):
    def to_python(self, value):
        # authenticator apps show "123 456"; accept it as typed
        return super().to_python(value).replace(" ", "")


class TotpCodeForm(forms.Form):
    code = _CodeField(
        label=_("动态验证码"),
        max_length=12,
        validators=[RegexValidator(r"^\d{6}$", _("请输入手机上显示的6位数字。"))],
        widget=forms.TextInput(attrs={
            "autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*",
        }),
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("操作"), max_length=40, required=False,
                             help_text=_("前缀即可，例如 login 或 person."))
    actor = forms.CharField(label=_("操作人"), max_length=150, required=False)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    object_type = forms.CharField(label=_("对象类型"), max_length=60, required=False,
                                  widget=forms.TextInput(attrs={"placeholder": "registry.person"}))
    object_id = forms.CharField(label=_("对象编号"), max_length=40, required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return cleaned

    def filters(self) -> selectors.AuditFilters | None:
        """The filters asked for; None when they are invalid (show the errors, not a guess)."""
        if not self.is_bound:
            return selectors.AuditFilters()
        if not self.is_valid():
            return None
        data = {key: (value.strip() if isinstance(value, str) else value) for key, value in self.cleaned_data.items()}
        return selectors.AuditFilters(**data)


class GrantForm(forms.ModelForm):
    """Add a role grant. User and area are typed (username, area code): the lists
    are far too long for a select, and the querysets keep both inside the scope."""

    user = forms.ModelChoiceField(
        label=_("用户名"), queryset=User.objects.none(), to_field_name="username",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid_choice": _("没有这个用户，或该用户不在您的管理范围内。")},
    )
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    area = forms.ModelChoiceField(
        label=_("区域编码"), queryset=Area.objects.none(), to_field_name="code",
        widget=forms.TextInput(attrs={"list": "grant-areas", "autocomplete": "off"}),
        error_messages={"invalid_choice": _("没有这个区域，或该区域不在您的管理范围内。")},
    )

    class Meta:
        model = RoleGrant
        fields = ["user", "role", "area"]

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["user"].queryset = selectors.user_list(viewer=viewer, capability=Capability.MANAGE_GRANTS)
        self.fields["area"].queryset = selectors.grant_area_choices(viewer=viewer)

    def clean(self):
        cleaned = super().clean()
        if all(cleaned.get(name) for name in ("user", "role", "area")):
            try:
                services.grant_validate(actor=Actor(user=self.viewer), user=cleaned["user"], role=cleaned["role"],
                                        area=cleaned["area"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def validate_unique(self) -> None:
        # the service returns an existing active grant instead of failing on it
        pass


class GrantSearchForm(forms.Form):
    q = forms.CharField(label=_("用户"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=[("", _("全部角色")), *Role.choices], required=False)


class AccountLookupForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
