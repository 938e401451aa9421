"""Cases (事): residents' complaints and problems, from intake to closure.

A case belongs to an area node at or below a complex (the complex itself, a
building, or a house), so the complex's "2+4" team, the street and the district
see it through ``Case.objects.visible_to(user)`` like every other row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet


class RequestType(models.TextChoices):
    """The hotline's request types (12345 诉求类型)."""

    CONSULTATION = "consultation", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class DeadlineClass(models.TextChoices):
    URGENT = "urgent", _("紧急")
    UTILITIES = "utilities", _("水电气暖")
    ORDINARY = "ordinary", _("一般")
    COMPLEX = "complex", _("复杂")


class CategoryGroup(models.TextChoices):
    """The groups the mission counts shares of (55% of hotline calls were these)."""

    SANITATION = "sanitation", _("环境卫生")
    PROPERTY = "property", _("物业服务")
    UTILITIES = "utilities", _("水电气暖")
    OTHER = "other", _("其他")


class Category(models.Model):
    """A node of the category tree; ``hotline_labels`` maps the hotline's own names to it."""

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("上级分类"))
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    group = models.CharField(_("统计大类"), max_length=12, choices=CategoryGroup.choices, default=CategoryGroup.OTHER)
    deadline_class = models.CharField(_("办理时限类别"), max_length=12, choices=DeadlineClass.choices,
                                      default=DeadlineClass.ORDINARY)
    # names the 12345 hotline uses for this category, separated by "|"
    hotline_labels = models.CharField(_("热线分类名称"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("自然小时")
    WORKING_HOURS = "working_hours", _("工作小时")
    WORKING_DAYS = "working_days", _("工作日")
    DAYS = "days", _("自然日")


class DeadlinePolicy(models.Model):
    """How long a class of case may take. Defaults (data migration): urgent 2 hours,
    utilities 24 hours, ordinary 7 working days, complex 15 working days."""

    deadline_class = models.CharField(_("时限类别"), max_length=12, choices=DeadlineClass.choices, unique=True)
    amount = models.PositiveIntegerField(_("时限"))
    unit = models.CharField(_("单位"), max_length=14, choices=DeadlineUnit.choices)
    warn_before_hours = models.PositiveIntegerField(_("提前预警(小时)"), default=2)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")

    def __str__(self) -> str:
        return f"{self.get_deadline_class_display()}: {self.amount} {self.get_unit_display()}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday, or a weekend day
    that is worked (调休). Kept as data, editable per year."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Channel(models.TextChoices):
    RESIDENT = "resident", _("居民上报")
    STAFF = "staff", _("工作人员录入")
    HOTLINE = "hotline", _("12345热线")
    INSPECTION = "inspection", _("巡查发现")
    VISIT = "visit", _("入户走访")
    MAILBOX = "mailbox", _("警民信箱")
    OPEN311 = "open311", _("上级平台")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class Status(models.TextChoices):
    NEW = "new", _("新建")
    ACCEPTED = "accepted", _("已受理")
    ASSIGNED = "assigned", _("已派单")
    IN_PROGRESS = "in_progress", _("处理中")
    WAITING = "waiting", _("待居民补充")
    RESOLVED = "resolved", _("已办结待确认")
    CONFIRMED = "confirmed", _("居民已确认")
    CLOSED = "closed", _("已关闭")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = (Status.NEW, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING)


class Level(models.TextChoices):
    """Where a case is handled: the complex's "2+4" team, the street joint meeting,
    or the district leading group."""

    COMPLEX = "complex", _("小区2+4")
    STREET = "street", _("街道联席会议")
    DISTRICT = "district", _("区领导小组")


class AssigneeKind(models.TextChoices):
    PROPERTY = "property", _("物业服务企业")
    UTILITY = "utility", _("供水供电供气供暖单位")
    STREET_DEPARTMENT = "street_department", _("街道部门")
    POLICE = "police", _("公安")
    COMMUNITY = "community", _("社区")
    OTHER = "other", _("其他")


class CaseQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"

    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now) -> CaseQuerySet:
        return self.open().filter(due_at__lt=now, paused_since__isnull=True)


class Case(models.Model):
    """A complaint or problem (事) and where it stands."""

    Channel = Channel
    Status = Status
    Urgency = Urgency
    Level = Level
    RequestType = RequestType
    AssigneeKind = AssigneeKind

    number = models.CharField(_("编号"), max_length=24, unique=True)
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("描述"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("分类"))
    request_type = models.CharField(_("诉求类型"), max_length=14, choices=RequestType.choices,
                                    default=RequestType.COMPLAINT)
    channel = models.CharField(_("来源渠道"), max_length=12, choices=Channel.choices)
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="cases", verbose_name=_("所在区域"))
    # the complex the case belongs to, denormalised: teams, agendas and figures group by it
    complex = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="complex_cases",
                                verbose_name=_("小区"))
    location_text = models.CharField(_("位置"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    reporter = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="cases", verbose_name=_("反映人"))
    reporter_user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="reported_cases", verbose_name=_("上报账户"))
    reporter_name = models.CharField(_("反映人姓名"), max_length=50, blank=True)
    reporter_phone_cipher = models.TextField(blank=True, editable=False)
    reporter_phone_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    reporter_phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)

    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NEW)
    level = models.CharField(_("处理层级"), max_length=10, choices=Level.choices, default=Level.COMPLEX)
    assignee_kind = models.CharField(_("承办类型"), max_length=20, choices=AssigneeKind.choices, blank=True)
    assignee_org = models.ForeignKey("registry.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="assigned_cases", verbose_name=_("承办单位"))
    assignee_name = models.CharField(_("承办单位名称"), max_length=100, blank=True)
    accountable = models.ForeignKey("meetings.TeamMember", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="accountable_cases", verbose_name=_("2+4责任人"))

    received_at = models.DateTimeField(_("受理时间"))
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    # the clock stops while the case waits on the resident: due_at moves by the pause
    paused_since = models.DateTimeField(null=True, blank=True, editable=False)
    paused_seconds = models.PositiveBigIntegerField(default=0, editable=False)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    resolution = models.TextField(_("办理结果"), blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    follow_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("重新打开次数"), default=0)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_cases", verbose_name=_("合并到"))
    # id in the source system: hotline ticket number, Open311 client id, mailbox letter id
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("诉求事件")
        verbose_name_plural = _("诉求事件")
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="case_satisfaction_1_to_5",
            ),
            # a hotline ticket becomes one case only
            models.UniqueConstraint(fields=["channel", "external_ref"], condition=~Q(external_ref=""),
                                    name="case_unique_external_ref"),
        ]
        indexes = [
            models.Index(fields=["complex", "status"], name="case_complex_status_idx"),  # team lists, agendas
            models.Index(fields=["status", "due_at"], name="case_status_due_idx"),  # overdue sweep
            models.Index(fields=["received_at"], name="case_received_idx"),  # figures by period
            models.Index(fields=["area", "received_at"], name="case_area_received_idx"),  # scoped list, newest first
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """One step of a case's life: who did what, when, from which status to which."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("事件"))
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("说明"), blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


def case_photo_path(instance: CasePhoto, filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos", verbose_name=_("事件"))
    image = models.ImageField(_("照片"), upload_to=case_photo_path)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stage = models.CharField(_("阶段"), max_length=12, default="report")  # report / resolution

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")


class CaseNumberCounter(models.Model):
    """The last case number handed out on a day. Numbers are reserved with one
    upsert on this row (see ``shequ.cases.services.numbers``), which locks it until
    the reserving transaction ends: no two cases share a number, on SQLite or
    PostgreSQL, and a rolled-back creation gives its numbers back."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数")
        verbose_name_plural = _("编号计数")
