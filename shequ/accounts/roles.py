"""Roles and what each may do. A role is granted on an area node; capabilities
hold inside that node's subtree only (see shequ.accounts.scope).

The three administrator roles are separated (等保 三员分立): the system
administrator runs accounts and areas but cannot read the audit log; the security
administrator grants roles and unlocks accounts; the auditor reads the audit log
and nothing else.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", _("区级工作人员")
    STREET_STAFF = "street_staff", _("街道工作人员")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    GRID_WORKER = "grid_worker", _("网格员")
    PROPERTY_STAFF = "property_staff", _("物业工作人员")
    POLICE = "police", _("社区民警")
    GUARD = "guard", _("门卫")
    TEAM_MEMBER = "team_member", _("2+4团队成员")
    LEGAL_ADVISER = "legal_adviser", _("法律顾问")
    # the named role that may see who sent an anonymous letter to the police-resident mailbox
    POLICE_CHIEF = "police_chief", _("社区警务室负责人")
    RESIDENT = "resident", _("居民")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDITOR = "auditor", _("安全审计员")


class Capability:
    VIEW = "registry.view"
    CHANGE = "registry.change"
    REVEAL = "pii.reveal"
    EXPORT = "registry.export"
    IMPORT = "registry.import"
    MANAGE_USERS = "accounts.manage_users"
    MANAGE_GRANTS = "accounts.manage_grants"
    READ_AUDIT = "audit.read"
    CASES_VIEW = "cases.view"
    CASES_HANDLE = "cases.handle"  # accept, assign, resolve, escalate, merge
    CASES_REPORT = "cases.report"  # a resident reporting a problem at home
    MEETINGS_MANAGE = "meetings.manage"  # teams, meetings, minutes, decisions, visits
    ALARMS_VIEW = "alarms.view"  # the guard-room console: live passes, refusals and alarms
    ALARMS_HANDLE = "alarms.handle"  # acknowledge and close alarms
    ALARMS_RAISE = "alarms.raise"  # a resident's one-click alarm (SOS) from their phone
    ALARMS_POLICE = "alarms.police"  # the police console: escalated alarms, dispatch, the police one-click link
    VISITORS_ISSUE = "visitors.issue"  # a resident authorizing visitors to their household
    VISITORS_GUARD = "visitors.guard"  # guard room: walk-in visitors, check-in and out, visitor log and figures
    NOTICES_DRAFT = "notices.draft"  # write notices and templates
    NOTICES_APPROVE = "notices.approve"  # approve (someone else's) notices for publishing
    MAILBOX_WRITE = "mailbox.write"  # a resident writing to the community police
    MAILBOX_HANDLE = "mailbox.handle"  # the police reading and answering letters
    MAILBOX_REVEAL_SENDER = "mailbox.reveal_sender"  # see who sent an anonymous letter (audited)


_STAFF = {Capability.VIEW, Capability.CHANGE, Capability.REVEAL, Capability.EXPORT, Capability.IMPORT}
_CASEWORK = {Capability.CASES_VIEW, Capability.CASES_HANDLE, Capability.MEETINGS_MANAGE}
_ALARMS = {Capability.ALARMS_VIEW, Capability.ALARMS_HANDLE}
_NOTICES = {Capability.NOTICES_DRAFT, Capability.NOTICES_APPROVE}
_POLICE = {Capability.VIEW, Capability.REVEAL, Capability.CASES_VIEW, Capability.CASES_HANDLE, Capability.ALARMS_POLICE,
           Capability.MAILBOX_HANDLE, Capability.VISITORS_GUARD} | _ALARMS

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DISTRICT_STAFF: frozenset(_STAFF | _CASEWORK | _NOTICES),
    Role.STREET_STAFF: frozenset(_STAFF | _CASEWORK | _NOTICES | {Capability.ALARMS_VIEW}),
    Role.COMMUNITY_STAFF: frozenset(_STAFF | _CASEWORK | _NOTICES | {Capability.VISITORS_GUARD}),
    Role.GRID_WORKER: frozenset({Capability.VIEW, Capability.CHANGE, Capability.CASES_VIEW, Capability.CASES_HANDLE}),
    Role.PROPERTY_STAFF: frozenset({Capability.VIEW, Capability.CASES_VIEW, Capability.CASES_HANDLE,
                                    Capability.VISITORS_GUARD, Capability.NOTICES_DRAFT} | _ALARMS),
    Role.POLICE: frozenset(_POLICE),
    Role.POLICE_CHIEF: frozenset(_POLICE | {Capability.MAILBOX_REVEAL_SENDER}),
    Role.GUARD: frozenset({Capability.VIEW, Capability.VISITORS_GUARD} | _ALARMS),
    # a "2+4" member granted on their complex: the complex's cases, meetings and visits
    Role.TEAM_MEMBER: frozenset({Capability.VIEW} | _CASEWORK),
    Role.LEGAL_ADVISER: frozenset({Capability.CASES_VIEW, Capability.MEETINGS_MANAGE}),
    Role.RESIDENT: frozenset({Capability.VIEW, Capability.CASES_REPORT, Capability.ALARMS_RAISE,
                              Capability.VISITORS_ISSUE, Capability.MAILBOX_WRITE}),
    Role.SYSTEM_ADMIN: frozenset({Capability.VIEW, Capability.MANAGE_USERS}),
    Role.SECURITY_ADMIN: frozenset({Capability.MANAGE_GRANTS}),
    Role.AUDITOR: frozenset({Capability.READ_AUDIT}),
}

#: roles whose holders are staff and must log in with a second factor
STAFF_ROLES = frozenset(set(Role) - {Role.RESIDENT})

#: the three separated administrators (三员): no account may hold two of them
ADMINISTRATOR_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
