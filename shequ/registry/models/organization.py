from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet
from shequ.registry.models.area import Area
from shequ.registry.models.person import Person


class OrganizationKind(models.TextChoices):
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    MERCHANT = "merchant", _("商户")
    PARTY_ORG = "party_org", _("党组织")
    SOCIAL_ORG = "social_org", _("社会组织")
    SELF_GOVERNANCE = "self_governance", _("自治组织")
    OTHER = "other", _("其他")


class OrganizationQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class Organization(models.Model):
    """An organization (组织) with its unified social credit code (GB 32100)."""

    Kind = OrganizationKind

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类别"), max_length=20, choices=OrganizationKind.choices)
    # party organizations and some social organizations have no USCC: stored as NULL
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("所属区域"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        constraints = [models.UniqueConstraint(fields=["uscc"], name="organization_unique_uscc")]
        indexes = [models.Index(fields=["area", "kind"], name="organization_area_kind_idx")]

    def __str__(self) -> str:
        return self.name


class OrganizationMemberQuerySet(ScopedQuerySet):
    area_path_lookup = "organization__area__path"


class OrganizationMember(models.Model):
    """A person's membership of an organization; ``is_contact`` marks its contacts."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="members", verbose_name=_("组织")
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("人员"))
    role = models.CharField(_("职务"), max_length=50, blank=True)
    is_contact = models.BooleanField(_("联系人"), default=False)
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    objects = OrganizationMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织成员")
        verbose_name_plural = _("组织成员")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person"], condition=Q(end_date__isnull=True), name="member_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} / {self.organization}"
