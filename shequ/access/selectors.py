"""Access reads for the pages: every one starts from ``visible_to(user)``."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from shequ.access.models import (
    AccessEvent, AccessRule, Credential, Device, FaceConsent, FaceTemplate, TemplatePlacement,
)
from shequ.accounts.models import User
from shequ.registry.models import Person
from shequ.registry.selectors import person_search

#: a person search narrows events to at most this many people
EVENT_PEOPLE_LIMIT = 200


def device_list(*, user: User, query: str = "", kind: str = "") -> QuerySet:
    devices = Device.objects.visible_to(user).select_related("area")
    if query:
        devices = devices.filter(Q(name__contains=query) | Q(device_id__startswith=query))
    if kind:
        devices = devices.filter(kind=kind)
    return devices.order_by("area__path", "name", "pk")


def device_get(*, user: User, pk: int) -> Device:
    return Device.objects.visible_to(user).select_related("area").get(pk=pk)


def device_placement_counts(*, device: Device) -> dict[str, int]:
    """Face templates on the device by placement state."""
    rows = TemplatePlacement.objects.filter(device=device).values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def device_events(*, device: Device, limit: int = 20) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(device=device).select_related("person").order_by("-occurred_at")[:limit])


def device_entry_counts(*, device: Device) -> dict[str, int]:
    """How many people, credentials and faces the device's list holds now."""
    rows = device.entries.filter(deleted=False).values("kind").annotate(n=Count("pk"))
    return {row["kind"]: row["n"] for row in rows}


def person_get(*, user: User, pk: int) -> Person:
    return Person.objects.visible_to(user).select_related("area").get(pk=pk)


def person_credentials(*, person: Person) -> list[Credential]:
    """Live credentials first, then revoked ones, newest first within each."""
    return list(Credential.objects.filter(person=person).order_by("revoked_at", "-created_at"))


def person_consents(*, person: Person) -> list[FaceConsent]:
    """Consents with their doors, templates and where each template is placed."""
    placements = TemplatePlacement.objects.select_related("device").order_by("device__name")
    templates = (FaceTemplate.objects.defer("template_cipher")
                 .prefetch_related(Prefetch("placements", queryset=placements)).order_by("pk"))
    return list(
        FaceConsent.objects.filter(person=person).select_related("recorded_by")
        .prefetch_related("devices", Prefetch("templates", queryset=templates)).order_by("-consented_at")
    )


def template_get(*, user: User, pk: int) -> FaceTemplate:
    consents = FaceConsent.objects.visible_to(user)
    return FaceTemplate.objects.select_related("consent__person__area").get(pk=pk, consent__in=consents)


def credential_get(*, user: User, pk: int) -> Credential:
    return Credential.objects.visible_to(user).select_related("person__area").get(pk=pk)


def consent_get(*, user: User, pk: int) -> FaceConsent:
    return FaceConsent.objects.visible_to(user).select_related("person__area").get(pk=pk)


def event_search(
    *, user: User, person: Person | None = None, person_query: str = "", device: Device | None = None,
    since: datetime | None = None, until: datetime | None = None, kind: str = "",
) -> QuerySet:
    """Visible access events, newest first, by person, door, time and kind."""
    events = AccessEvent.objects.visible_to(user).select_related("device", "person")
    if person is not None:
        events = events.filter(person=person)
    elif person_query:
        _kind, people = person_search(user=user, query=person_query)
        events = events.filter(person_id__in=list(people.values_list("pk", flat=True)[:EVENT_PEOPLE_LIMIT]))
    if device is not None:
        events = events.filter(device=device)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    if kind:
        events = events.filter(kind=kind)
    return events.order_by("-occurred_at", "-pk")


def rule_list(*, user: User) -> QuerySet:
    return AccessRule.objects.visible_to(user).select_related("area").order_by("area__path", "role", "pk")


def rule_get(*, user: User, pk: int) -> AccessRule:
    return AccessRule.objects.visible_to(user).select_related("area").get(pk=pk)
