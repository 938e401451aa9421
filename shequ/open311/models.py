"""What Open311 adds to the case model: the questions each service asks, and
what a client sent with a request beyond the case's own fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Datatype(models.TextChoices):
    """GeoReport v2 attribute datatypes."""

    STRING = "string", _("单行文字")
    NUMBER = "number", _("数字")
    DATETIME = "datetime", _("日期时间")
    TEXT = "text", _("多行文字")
    SINGLEVALUELIST = "singlevaluelist", _("单选")
    MULTIVALUELIST = "multivaluelist", _("多选")


LIST_DATATYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})

#: codes of the attributes every service has (see ``shequ.open311.attributes``)
BUILT_IN_CODES = frozenset({"title", "request_type", "urgency"})


class ServiceAttribute(models.Model):
    """An extra question a service (a case category) asks of Open311 clients:
    one ``attribute`` of the GeoReport v2 service definition."""

    category = models.ForeignKey("cases.Category", on_delete=models.CASCADE, related_name="open311_attributes",
                                 verbose_name=_("诉求分类"))
    code = models.SlugField(_("代码"), max_length=40)
    description = models.CharField(_("问题"), max_length=200)
    datatype = models.CharField(_("数据类型"), max_length=16, choices=Datatype.choices, default=Datatype.STRING)
    datatype_description = models.CharField(_("填写说明"), max_length=200, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    # False: a note shown to the client, not a question (GeoReport "variable")
    variable = models.BooleanField(_("需要填写"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    # [{"key": "...", "name": "..."}] for the list datatypes
    values = models.JSONField(_("选项"), default=list, blank=True)

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}:{self.code}"

    def clean(self) -> None:
        if self.code in BUILT_IN_CODES:
            raise ValidationError({"code": _("该代码已被内置属性使用。")}, code="attribute_code_reserved")
        if self.datatype in LIST_DATATYPES:
            values = self.values if isinstance(self.values, list) else None
            if not values or not all(
                isinstance(item, dict) and str(item.get("key", "")).strip() and str(item.get("name", "")).strip()
                for item in values
            ):
                raise ValidationError({"values": _("选项须为 [{\"key\": ..., \"name\": ...}] 形式，且至少一项。")},
                                      code="attribute_values")
        elif self.values:
            raise ValidationError({"values": _("只有单选、多选属性才有选项。")}, code="attribute_values")


class ServiceRequest(models.Model):
    """One request received through Open311: the case it became, the key that sent
    it, its token, and the client's fields the case has no place for."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="open311",
                                verbose_name=_("诉求事件"))
    api_key = models.ForeignKey("exchange.ApiKey", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("API密钥"))
    token = models.CharField(_("令牌"), max_length=32, unique=True)
    media_url = models.URLField(_("图片地址"), max_length=500, blank=True)
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    account_id = models.CharField(_("对方账户"), max_length=64, blank=True)
    device_id = models.CharField(_("对方设备"), max_length=64, blank=True)
    # the reporter's e-mail is personal information: kept encrypted, never answered
    email_cipher = models.TextField(blank=True, editable=False)
    email_masked = models.CharField(_("电子邮箱"), max_length=80, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")

    def __str__(self) -> str:
        return self.token
