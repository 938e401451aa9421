"""Who may open which door, compiled into the compact list each device holds.

Access comes from three sources, each a *grant* (a validity interval and weekly
windows) of a person on a device:

- **residence**: a current resident (``Residence`` not ended) gets the doors of
  their building (devices placed in the building's subtree) and the gates of their
  complex (devices placed on the complex node itself). A tenant's grant ends with
  the lease; a future move-out date ends it that day.
- **access rules** (``AccessRule``): holders of an account role granted on, above
  or below the rule's area get the devices inside both areas, in the rule's
  weekly window, until the rule's end date.
- the ``property_member`` rule role: current members of a property company
  organization, placed like a role grant at the organization's area.

A person's credentials (cards, PINs, QR codes, plates the device accepts) and
face templates (only on devices their consent names) follow their grants. A face
template is sent only with a non-face credential of the same person for the same
device: every door keeps a non-face way in, whatever expired since.

Visitor passes need no entry to be let through (the door checks the platform's
signature), only to be refused: a pass revoked or used up is listed on the doors
it names (``EntryKind.REVOKED_PASS``, from ``shequ.visitors``) until its own end.
Those entries belong to no person; :func:`access_passes_changed` recompiles them
alone.

:func:`access_recompile` diffs that list against what each device was last given
(``DeviceEntry``) and writes the difference under one new version. It is called
explicitly by every service that changes an input (credentials, consents, rules,
devices, and ``shequ.registry`` residence_start/residence_end through
:func:`access_person_changed`); :func:`access_sweep` runs periodically to drop
entries whose time has passed (devices enforce those times themselves meanwhile).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from shequ.access.models import (
    AccessRule, AccessVersion, Credential, CredentialKind, Device, DeviceEntry, DeviceKind, EntryKind, FaceConsent,
    TemplatePlacement,
)
from shequ.access.services.common import day_after, iso, local_midnight
from shequ.registry.models import Area, OrganizationMember, Residence
from shequ.registry.models.organization import OrganizationKind

#: devices that decide at a door; indoor terminals ring, they do not open anything
DOOR_KINDS = frozenset(set(DeviceKind) - {DeviceKind.INDOOR_TERMINAL})
#: AccessRule.role for members of a property company (who may have no account)
PROPERTY_MEMBER = "property_member"
NON_FACE_KINDS = (CredentialKind.CARD, CredentialKind.PIN, CredentialKind.QR, CredentialKind.PLATE)
_VERSION_LOCK_KEY = 0x5348_4551_4143  # "SHEQAC": pg_advisory_xact_lock key for compiled versions

EntryKey = tuple[str, int]  # (EntryKind, ref_id)
#: DeviceEntry.person_id of entries that belong to no person (refused visitor passes)
NO_PERSON = 0


@dataclass(frozen=True)
class Grant:
    valid_from: str | None = None
    valid_until: str | None = None
    windows: tuple[tuple[str, str, str], ...] = ()

    def as_json(self) -> dict:
        return {"valid_from": self.valid_from, "valid_until": self.valid_until,
                "windows": [{"days": d, "start": s, "end": e} for d, s, e in self.windows]}


@dataclass
class _Scope:
    """A device and the area paths that decide who reaches it."""

    device: Device
    path: str
    #: residents of houses under this path get the device (building or complex), or None
    resident_path: str | None
    person_grants: dict[int, set[Grant]] = field(default_factory=lambda: defaultdict(set))


def _scopes(devices: list[Device]) -> list[_Scope]:
    ancestor_ids = {pk for device in devices for pk in device.area.ancestor_ids}
    levels = dict(Area.objects.filter(pk__in=ancestor_ids).values_list("pk", "level"))
    scopes = []
    for device in devices:
        resident_path = None
        ids = device.area.ancestor_ids
        for depth, pk in enumerate(ids):
            if levels.get(pk) == Area.Level.BUILDING:
                resident_path = "/" + "/".join(str(i) for i in ids[: depth + 1]) + "/"
                break
        if resident_path is None and device.area.level == Area.Level.COMPLEX:
            resident_path = device.area.path
        scopes.append(_Scope(device=device, path=device.area.path, resident_path=resident_path))
    return scopes


def _path_prefixes(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def _add_residence_grants(scopes: list[_Scope], person_ids: set[int] | None, now: datetime) -> None:
    by_path: dict[str, list[_Scope]] = defaultdict(list)
    for scope in scopes:
        if scope.resident_path:
            by_path[scope.resident_path].append(scope)
    if not by_path:
        return
    today = timezone.localdate(now)
    residences = (Residence.objects.filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
                  .exclude(relation=Residence.Relation.TENANT, lease_end__lt=today))
    if person_ids is not None:
        residences = residences.filter(person_id__in=person_ids)
    rows = residences.values_list("person_id", "house__area__path", "relation", "start_date", "end_date", "lease_end")
    for person_id, path, relation, start, end, lease_end in rows:
        ends = []
        if end is not None:
            ends.append(local_midnight(end))
        if relation == Residence.Relation.TENANT and lease_end is not None:
            ends.append(local_midnight(day_after(lease_end)))
        grant = Grant(valid_from=iso(local_midnight(start)) if start > today else None,
                      valid_until=iso(min(ends)) if ends else None)
        for prefix in _path_prefixes(path):
            for scope in by_path.get(prefix, ()):
                scope.person_grants[person_id].add(grant)


def _rule_grant(rule: AccessRule, member_end=None) -> Grant:
    if rule.start_time is None:
        windows = () if set(rule.weekdays) >= set("1234567") else ((rule.weekdays, "00:00", "24:00"),)
    else:
        windows = ((rule.weekdays, rule.start_time.strftime("%H:%M"), rule.end_time.strftime("%H:%M")),)
    ends = [local_midnight(day_after(rule.valid_until))] if rule.valid_until else []
    if member_end is not None:
        ends.append(local_midnight(member_end))
    return Grant(valid_until=iso(min(ends)) if ends else None, windows=windows)


def _rule_holders(roles: set[str], person_ids: set[int] | None, today) -> dict[str, list[tuple[int, str, object]]]:
    """role -> [(person_id, area path where they hold it, end date or None)]."""
    from shequ.accounts.models import RoleGrant

    holders: dict[str, list] = defaultdict(list)
    account_roles = roles - {PROPERTY_MEMBER}
    if account_roles:
        grants = RoleGrant.objects.active().filter(
            role__in=account_roles, user__is_active=True, user__person__isnull=False, area__retired_on__isnull=True)
        if person_ids is not None:
            grants = grants.filter(user__person_id__in=person_ids)
        for role, person_id, path in grants.values_list("role", "user__person_id", "area__path"):
            holders[role].append((person_id, path, None))
    if PROPERTY_MEMBER in roles:
        members = OrganizationMember.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=today), Q(start_date__isnull=True) | Q(start_date__lte=today),
            organization__kind=OrganizationKind.PROPERTY_COMPANY)
        if person_ids is not None:
            members = members.filter(person_id__in=person_ids)
        for person_id, path, end in members.values_list("person_id", "organization__area__path", "end_date"):
            holders[PROPERTY_MEMBER].append((person_id, path, end))
    return holders


def _add_rule_grants(scopes: list[_Scope], person_ids: set[int] | None, now: datetime) -> None:
    today = timezone.localdate(now)
    rules = list(AccessRule.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
                 .select_related("area"))
    if not rules:
        return
    holders = _rule_holders({rule.role for rule in rules}, person_ids, today)
    for rule in rules:
        for person_id, held_at, end in holders.get(rule.role, ()):
            # the devices inside both the rule's area and the area the role is held at
            if held_at.startswith(rule.area.path):
                inner = held_at
            elif rule.area.path.startswith(held_at):
                inner = rule.area.path
            else:
                continue
            grant = _rule_grant(rule, end)
            for scope in scopes:
                if scope.path.startswith(inner):
                    scope.person_grants[person_id].add(grant)


def _live(queryset, now: datetime):
    return queryset.filter(Q(revoked_at__isnull=True), Q(valid_until__isnull=True) | Q(valid_until__gt=now))


def _compile(devices: list[Device], person_ids: set[int] | None, now: datetime) -> dict[int, dict[EntryKey, tuple]]:
    """device pk -> {(kind, ref_id): (person_id, data)}: what each device should hold."""
    scopes = _scopes(devices)
    _add_residence_grants(scopes, person_ids, now)
    _add_rule_grants(scopes, person_ids, now)
    people = {person_id for scope in scopes for person_id in scope.person_grants}

    credentials: dict[int, list[dict]] = defaultdict(list)
    for row in _live(Credential.objects.filter(person_id__in=people, kind__in=NON_FACE_KINDS), now).values(
            "pk", "person_id", "kind", "value_digest", "label", "valid_from", "valid_until"):
        credentials[row["person_id"]].append(row)
    faces: dict[int, list[dict]] = defaultdict(list)
    face_rows = _live(Credential.objects.filter(
        person_id__in=people, kind=CredentialKind.FACE, template__deleted_at__isnull=True,
        template__consent__withdrawn_at__isnull=True), now).values(
        "person_id", "template_id", "template__consent_id", "valid_from", "valid_until")
    for row in face_rows:
        faces[row["person_id"]].append(row)
    consent_devices: dict[int, set[int]] = defaultdict(set)
    consent_ids = {row["template__consent_id"] for rows in faces.values() for row in rows}
    for consent_id, device_id in FaceConsent.devices.through.objects.filter(
            faceconsent_id__in=consent_ids).values_list("faceconsent_id", "device_id"):
        consent_devices[consent_id].add(device_id)

    compiled: dict[int, dict[EntryKey, tuple]] = {}
    for scope in scopes:
        device = scope.device
        accepted = set(device.accepted_kinds)
        takes_faces = device.faces_enabled and CredentialKind.FACE in accepted
        entries: dict[EntryKey, tuple] = {}
        for person_id, grants in scope.person_grants.items():
            has_non_face = False
            for row in credentials.get(person_id, ()):
                if row["kind"] not in accepted:
                    continue
                has_non_face = True
                is_plate = row["kind"] == CredentialKind.PLATE
                entries[(EntryKind.CREDENTIAL, row["pk"])] = (person_id, {
                    "credential_id": row["pk"], "person_id": person_id, "kind": row["kind"],
                    "digest": "" if is_plate else row["value_digest"], "plate": row["label"] if is_plate else "",
                    "valid_from": iso(row["valid_from"]), "valid_until": iso(row["valid_until"]),
                })
            if not has_non_face:
                continue  # nothing to open with here; and never a face without another way in
            grant_list = sorted((g.as_json() for g in grants), key=lambda g: repr(sorted(g.items())))
            entries[(EntryKind.PERSON, person_id)] = (person_id, {"person_id": person_id, "grants": grant_list})
            if not takes_faces:
                continue
            for row in faces.get(person_id, ()):
                if device.pk in consent_devices[row["template__consent_id"]]:
                    entries[(EntryKind.FACE, row["template_id"])] = (person_id, {
                        "template_id": row["template_id"], "person_id": person_id,
                        "valid_from": iso(row["valid_from"]), "valid_until": iso(row["valid_until"]),
                    })
        compiled[device.pk] = entries
    if person_ids is None:
        for device_pk, entries in _refused_passes(devices, now).items():
            compiled[device_pk].update(entries)
    return compiled


def _refused_passes(devices: list[Device], now: datetime) -> dict[int, dict[EntryKey, tuple]]:
    """device pk -> the visitor passes it must refuse though their signature is good."""
    from shequ.visitors.selectors import passes_refused_on

    compiled: dict[int, dict[EntryKey, tuple]] = {device.pk: {} for device in devices}
    for device_pk, pass_pk, pass_id, until in passes_refused_on(device_pks=list(compiled), now=now):
        compiled[device_pk][(EntryKind.REVOKED_PASS, pass_pk)] = (NO_PERSON, {"pass_id": pass_id, "until": iso(until)})
    return compiled


def _target_devices(devices: Iterable[Device] | None) -> list[Device]:
    queryset = Device.objects.filter(is_active=True, kind__in=DOOR_KINDS).select_related("area")
    if devices is not None:
        queryset = queryset.filter(pk__in=[device.pk for device in devices])
    return list(queryset)


def device_access_list(device: Device, at: datetime | None = None) -> dict[str, list[dict]]:
    """The compact list ``device`` needs at ``at`` (now by default), freshly
    compiled: ``{"people": [...], "credentials": [...], "faces": [...]}``, the
    shapes of a sync's upserts without sealed face vectors."""
    at = at or timezone.now()
    targets = _target_devices([device])
    entries = _compile(targets, None, at).get(device.pk, {}) if targets else {}
    result: dict[str, list[dict]] = {section: [] for section in ENTRY_SECTIONS.values()}
    for (kind, _ref), (_person, data) in sorted(entries.items()):
        result[ENTRY_SECTIONS[kind]].append(data)
    return result


ENTRY_SECTIONS = {EntryKind.PERSON: "people", EntryKind.CREDENTIAL: "credentials", EntryKind.FACE: "faces",
                  EntryKind.REVOKED_PASS: "revoked_passes"}


def tombstone_data(kind: str, data: dict) -> dict:
    """What a removed entry keeps: nothing, except a refused pass its id (devices delete passes by id)."""
    return {"pass_id": data.get("pass_id", "")} if kind == EntryKind.REVOKED_PASS else {}


def _lock_versions() -> None:
    """Serialise compilations until commit, so versions commit in order and each
    compilation reads everything committed before it. Callers write their audit
    record first: the audit chain lock always comes before this one (no deadlock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_VERSION_LOCK_KEY])
    # SQLite: transactions are BEGIN IMMEDIATE (settings), so writers are serial already.


def _next_version() -> int:
    counter, _created = AccessVersion.objects.select_for_update().get_or_create(pk=1)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def device_version_first(device: Device) -> None:
    """Give a device still at version 0 a version of its own, even with an empty list: a
    terminal or a door nobody may use yet must still get its first full snapshot, which
    carries the platform and credential keys. Call after :func:`access_recompile`."""
    with transaction.atomic():
        if not Device.objects.filter(pk=device.pk, latest_version=0).exists():
            return
        _lock_versions()
        version = _next_version()
        if Device.objects.filter(pk=device.pk, latest_version=0).update(latest_version=version):
            device.latest_version = version


def current_version() -> int:
    """The last version any compilation wrote (0 before the first)."""
    return AccessVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def access_recompile(
    *, person_ids: Iterable[int] | None = None, devices: Iterable[Device] | None = None,
    now: datetime | None = None, passes_only: bool = False,
) -> int | None:
    """Recompile the lists of ``devices`` (all door devices by default) for
    ``person_ids`` (everyone by default), or only their refused visitor passes
    (``passes_only``), and record what changed under one new version. Returns that
    version, or None when nothing changed."""
    now = now or timezone.now()
    people = set(person_ids) if person_ids is not None else None
    if people is not None and not people:
        return None
    with transaction.atomic():
        _lock_versions()
        targets = _target_devices(devices)
        if not targets:
            return None
        existing = DeviceEntry.objects.filter(device__in=targets)
        if passes_only:
            desired = _refused_passes(targets, now)
            existing = existing.filter(kind=EntryKind.REVOKED_PASS)
        else:
            desired = _compile(targets, people, now)
        if people is not None:
            existing = existing.filter(person_id__in=people)
        current: dict[tuple[int, str, int], DeviceEntry] = {
            (row.device_id, row.kind, row.ref_id): row for row in existing}

        creates, updates, pushed, removed = [], [], [], []
        for device_pk, entries in desired.items():
            for (kind, ref_id), (person_id, data) in entries.items():
                row = current.pop((device_pk, kind, ref_id), None)
                if row is None:
                    creates.append(DeviceEntry(device_id=device_pk, kind=kind, ref_id=ref_id, person_id=person_id,
                                               data=data))
                elif row.deleted or row.data != data:
                    row.data, row.deleted, row.person_id = data, False, person_id
                    updates.append(row)
                else:
                    continue
                if kind == EntryKind.FACE:
                    pushed.append((device_pk, ref_id))
        for row in current.values():
            if not row.deleted:
                row.deleted, row.data = True, tombstone_data(row.kind, row.data)
                updates.append(row)
                if row.kind == EntryKind.FACE:
                    removed.append((row.device_id, row.ref_id))
        if not creates and not updates:
            return None

        version = _next_version()
        for row in [*creates, *updates]:
            row.version = version
        DeviceEntry.objects.bulk_create(creates, batch_size=1000)
        DeviceEntry.objects.bulk_update(updates, ["data", "deleted", "person_id", "version"], batch_size=1000)
        changed_devices = {row.device_id for row in [*creates, *updates]}
        Device.objects.filter(pk__in=changed_devices).update(latest_version=version)
        _placements_follow(pushed, removed, version)
        return version


def _placements_follow(pushed: list[tuple[int, int]], removed: list[tuple[int, int]], version: int) -> None:
    """Track where each face template must be: pushed entries are to be placed,
    removed ones to be deleted (until the edge confirms with ``face_deleted``)."""
    State = TemplatePlacement.State
    for device_pk, template_pk in pushed:
        placement, created = TemplatePlacement.objects.get_or_create(
            device_id=device_pk, template_id=template_pk, defaults={"state": State.TO_PUSH, "version": version})
        if not created and placement.state != State.PRESENT:
            TemplatePlacement.objects.filter(pk=placement.pk).update(
                state=State.TO_PUSH, version=version, confirmed_at=None)
    for device_pk, template_pk in removed:
        TemplatePlacement.objects.filter(
            device_id=device_pk, template_id=template_pk, state__in=[State.TO_PUSH, State.PRESENT],
        ).update(state=State.TO_DELETE, version=version, confirmed_at=None)


def access_person_changed(*, person_ids: Iterable[int], now: datetime | None = None) -> int | None:
    """Something about these people changed (moved in or out, a role, a membership):
    recompile every door for them now. The registry's residence services call this."""
    return access_recompile(person_ids=list(person_ids), now=now)


def access_passes_changed(*, devices: Iterable[Device], now: datetime | None = None) -> int | None:
    """A visitor pass naming these doors was revoked, used up or has ended: recompile
    their refused passes now (``shequ.visitors`` calls this)."""
    return access_recompile(devices=list(devices), now=now, passes_only=True)


def access_sweep(*, now: datetime | None = None) -> int | None:
    """Periodic full recompile: drops entries whose time has passed (leases ended,
    credentials expired, move-out dates reached). Devices already refuse those by
    the times in their entries; this keeps their lists small and exact."""
    return access_recompile(now=now)
