"""The "2+4" mechanism: the team of each complex, its weekly meetings, the street
joint meetings and district leading group sessions, household visits, and the
common problems proposed to a level's agenda."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet


class TeamRole(models.TextChoices):
    SERVICE_LEADER = "service_leader", _("小区服务长")
    STREET_LIAISON = "street_liaison", _("街道联系长")
    POLICE = "police", _("社区民警")
    LEGAL_ADVISER = "legal_adviser", _("法律顾问")
    PROPERTY = "property", _("物业服务者")
    SELF_GOVERNANCE = "self_governance", _("自治组织")


class TeamQuerySet(ScopedQuerySet):
    area_path_lookup = "complex__path"


class Team(models.Model):
    """The "2+4" team of one complex."""

    complex = models.OneToOneField("registry.Area", on_delete=models.PROTECT, related_name="team",
                                   verbose_name=_("小区"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("2+4团队")
        verbose_name_plural = _("2+4团队")

    def __str__(self) -> str:
        return str(self.complex)


class TeamMemberQuerySet(ScopedQuerySet):
    area_path_lookup = "team__complex__path"

    def current(self, on=None) -> TeamMemberQuerySet:
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gt=day))


#: roles a team may fill with several holders at once: a complex can have an owners'
#: committee and a property management committee (物管会) or 协治委 side by side
MULTI_HOLDER_ROLES = frozenset({TeamRole.SELF_GOVERNANCE})
_OPEN_SINGLE_HOLDER_SEAT = Q(end_date__isnull=True) & ~Q(role__in=[role.value for role in sorted(MULTI_HOLDER_ROLES)])


class TeamMember(models.Model):
    """A seat on a team over a period: the roster keeps its history.

    ``end_date`` is exclusive: a seat replaced on day D ends on D and its successor
    starts on D, so exactly one holder is current on every day."""

    Role = TeamRole

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members", verbose_name=_("团队"))
    role = models.CharField(_("角色"), max_length=16, choices=TeamRole.choices)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="team_seats", verbose_name=_("账户"))
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    organization = models.ForeignKey("registry.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="team_seats", verbose_name=_("所在单位"))
    start_date = models.DateField(_("任职开始"))
    end_date = models.DateField(_("任职结束"), null=True, blank=True)

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="teammember_end_after_start"),
            # one open-ended seat per single-holder role; overlapping dated seats are refused by the service
            models.UniqueConstraint(fields=["team", "role"],
                                    condition=_OPEN_SINGLE_HOLDER_SEAT,
                                    name="teammember_one_open_seat_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class MeetingKind(models.TextChoices):
    WEEKLY = "weekly", _("2+4碰头会")
    STREET_JOINT = "street_joint", _("街道末梢治理联席会议")
    DISTRICT_GROUP = "district_group", _("区领导小组会议")


class MeetingQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class Meeting(models.Model):
    """A weekly "2+4" meeting (area = complex), a street joint meeting (area =
    street) or a district leading group session (area = district)."""

    Kind = MeetingKind

    kind = models.CharField(_("会议类型"), max_length=16, choices=MeetingKind.choices)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="meetings",
                             verbose_name=_("区域"))
    held_on = models.DateField(_("会议日期"))
    location = models.CharField(_("地点"), max_length=100, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    is_held = models.BooleanField(_("已召开"), default=False)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["area", "kind", "held_on"], name="meeting_area_kind_day_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("会议"))
    member = models.ForeignKey(TeamMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("身份"), max_length=60, blank=True)
    present = models.BooleanField(_("出席"), default=True)

    class Meta:
        verbose_name = _("出席")
        verbose_name_plural = _("出席")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], condition=Q(member__isnull=False),
                                    name="attendance_one_row_per_member"),
        ]


class CommonProblemQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class CommonProblem(models.Model):
    """The same category rising across many complexes of a street or district in a
    period: proposed as one item for that level's agenda, linking its cases."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待审议")
        ACCEPTED = "accepted", _("已列入议程")
        DISMISSED = "dismissed", _("不予列入")

    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="common_problems",
                             verbose_name=_("区域"))
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("分类"))
    period_start = models.DateField(_("统计开始"))
    period_end = models.DateField(_("统计结束"))
    title = models.CharField(_("标题"), max_length=200)
    complexes_count = models.PositiveIntegerField(_("涉及小区数"))
    cases_count = models.PositiveIntegerField(_("事件数"))
    previous_count = models.PositiveIntegerField(_("上期事件数"))
    cases = models.ManyToManyField("cases.Case", related_name="common_problems", verbose_name=_("关联事件"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommonProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("共性问题")
        verbose_name_plural = _("共性问题")
        constraints = [
            models.UniqueConstraint(fields=["area", "category", "period_start", "period_end"],
                                    name="commonproblem_unique_period"),
        ]

    def __str__(self) -> str:
        return self.title


class AgendaReason(models.TextChoices):
    """Why an item is on an agenda, in the order the agenda lists them."""

    OVERDUE = "overdue", _("已超期")
    RETURNED = "returned", _("上级退回")
    AWAITING = "awaiting", _("待议定承办")
    FOLLOW_UP = "follow_up", _("决定事项到期")
    OPEN = "open", _("办理中")
    ESCALATED = "escalated", _("已提请上级")
    COMMON_PROBLEM = "common_problem", _("共性问题")
    MANUAL = "manual", _("临时议题")


class AgendaItem(models.Model):
    Reason = AgendaReason

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name=_("会议"))
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    title = models.CharField(_("议题"), max_length=200)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="agenda_items", verbose_name=_("关联事件"))
    common_problem = models.ForeignKey(CommonProblem, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="agenda_items", verbose_name=_("共性问题"))
    reason = models.CharField(_("列入原因"), max_length=20, choices=AgendaReason.choices, blank=True)
    note = models.TextField(_("讨论情况"), blank=True)

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["order", "pk"]
        constraints = [
            # rebuilding an agenda never lists a case or a common problem twice
            models.UniqueConstraint(fields=["meeting", "case"], condition=Q(case__isnull=False),
                                    name="agendaitem_case_once"),
            models.UniqueConstraint(fields=["meeting", "common_problem"], condition=Q(common_problem__isnull=False),
                                    name="agendaitem_common_problem_once"),
        ]


class Decision(models.Model):
    """A decision of a meeting, owned by someone, with a deadline, maybe about a case."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("会议"))
    text = models.TextField(_("决定事项"))
    owner = models.ForeignKey(TeamMember, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="decisions", verbose_name=_("责任人"))
    owner_name = models.CharField(_("责任人姓名"), max_length=50, blank=True)
    due_date = models.DateField(_("完成期限"), null=True, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="decisions", verbose_name=_("关联事件"))
    # the meeting sent the case up a level (complex -> street -> district)
    escalated = models.BooleanField(_("提请上级"), default=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("决定事项")
        verbose_name_plural = _("决定事项")
        ordering = ["pk"]


class VisitQuerySet(ScopedQuerySet):
    area_path_lookup = "house__area__path"


class Visit(models.Model):
    """A household visit (走访) by a team member; problems found become cases."""

    member = models.ForeignKey(TeamMember, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="visits", verbose_name=_("走访人"))
    visitor_name = models.CharField(_("走访人姓名"), max_length=50)
    house = models.ForeignKey("registry.House", on_delete=models.PROTECT, related_name="visits",
                              verbose_name=_("走访户"))
    visited_on = models.DateField(_("走访日期"))
    people_met = models.PositiveSmallIntegerField(_("接触人数"), default=1)
    notes = models.TextField(_("走访情况"), blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="visits", verbose_name=_("发现问题"))
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")
        indexes = [
            models.Index(fields=["visited_on"], name="visit_day_idx"),
            models.Index(fields=["house", "visited_on"], name="visit_house_day_idx"),  # building coverage
        ]

    def __str__(self) -> str:
        return f"{self.house} {self.visited_on}"
