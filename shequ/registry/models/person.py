from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet
from shequ.registry.models.area import Area, House
from shequ.registry.validators import IdDocumentType


# one list of document types, shared with the validators that check them
IdType = IdDocumentType


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class CareTag(models.Model):
    """A care group (独居老人, 残疾人, 低保户, 退役军人, …) that workers filter by."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("关爱标签")
        verbose_name_plural = _("关爱标签")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PersonQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class Person(models.Model):
    """A person (人). ID and phone numbers exist only encrypted; see shequ.core.pii.

    ``area`` is where the person is managed: their current house while they live
    somewhere, else the community that registered them. Residence keeps history.
    """

    IdType = IdType
    Gender = Gender

    name = models.CharField(_("姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=12, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number_cipher = models.TextField(editable=False)
    id_number_digest = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=40, editable=False)
    # last four characters, already visible in the mask: "find by last digits"
    id_tail = models.CharField(max_length=4, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone_cipher = models.TextField(editable=False, blank=True)
    phone_digest = models.CharField(max_length=64, editable=False, blank=True)
    phone_masked = models.CharField(_("手机号码"), max_length=20, editable=False, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True)
    political_status = models.CharField(_("政治面貌"), max_length=2, blank=True)
    care_tags = models.ManyToManyField(CareTag, blank=True, related_name="people", verbose_name=_("关爱标签"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="people", verbose_name=_("所属区域"))
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [
            # one record per identity document
            models.UniqueConstraint(fields=["id_type", "id_number_digest"], name="person_unique_id_document"),
        ]
        indexes = [
            models.Index(fields=["name"], name="person_name_idx"),  # search by name prefix
            models.Index(fields=["id_tail"], name="person_id_tail_idx"),  # search by last ID digits
            models.Index(fields=["phone_digest"], name="person_phone_digest_idx"),  # search by full phone
            models.Index(fields=["area", "name"], name="person_area_name_idx"),  # scoped list ordered by name
        ]

    def __str__(self) -> str:
        return self.name


class Relation(models.TextChoices):
    OWNER = "owner", _("业主")
    FAMILY = "family", _("家庭成员")
    TENANT = "tenant", _("租户")


class PopulationType(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    RESIDENT = "resident", _("常住人口")
    FLOATING = "floating", _("流动人口")


class ResidenceQuerySet(ScopedQuerySet):
    area_path_lookup = "house__area__path"

    def current(self, on=None) -> ResidenceQuerySet:
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gt=day))


class Residence(models.Model):
    """A person living in a house over a period. Moving out sets ``end_date``;
    the row stays, so the history of a house and of a person is never lost."""

    Relation = Relation
    PopulationType = PopulationType

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="residences", verbose_name=_("人员"))
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="residences", verbose_name=_("房屋"))
    relation = models.CharField(_("关系"), max_length=8, choices=Relation.choices)
    population_type = models.CharField(_("人口类型"), max_length=12, choices=PopulationType.choices)
    start_date = models.DateField(_("入住日期"))
    end_date = models.DateField(_("迁出日期"), null=True, blank=True)
    lease_end = models.DateField(_("租约到期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("居住关系")
        verbose_name_plural = _("居住关系")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="residence_end_after_start",
            ),
            # a person lives in a given house at most once at a time
            models.UniqueConstraint(
                fields=["person", "house"], condition=Q(end_date__isnull=True), name="residence_one_open_per_house"
            ),
        ]
        indexes = [models.Index(fields=["house", "end_date"], name="residence_house_open_idx")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.house}"
