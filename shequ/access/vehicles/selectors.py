"""Vehicle reads for the car-gate page: every one starts from ``visible_to(user)``."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from shequ.access.models import AccessEvent, EventKind
from shequ.access.vehicles.services import DECISION_PENDING, REASON_HELD, REASON_RESET, plate_normalise
from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel


def vehicle_log(*, user: User, plate: str = "", since: datetime | None = None,
                until: datetime | None = None) -> QuerySet:
    """Plate events, newest first; ``plate`` matches a whole plate however it is typed, or a part of one."""
    events = (AccessEvent.objects.visible_to(user).filter(kind=EventKind.PLATE).exclude(reason=REASON_RESET)
              .select_related("device__area", "person"))
    if plate:
        events = events.filter(plate__contains=plate_normalise(plate) or "".join(plate.split()).upper())
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events.order_by("-occurred_at", "-pk")


def vehicles_held(*, user: User) -> list[AccessEvent]:
    """Vehicles waiting for the guard, oldest first."""
    return list(AccessEvent.objects.visible_to(user, capability=Capability.ALARMS_VIEW)
                .filter(kind=EventKind.PLATE, reason=REASON_HELD, payload__decision=DECISION_PENDING)
                .select_related("device__area").order_by("occurred_at", "pk"))


def held_get(*, user: User, pk: int) -> AccessEvent:
    return (AccessEvent.objects.visible_to(user, capability=Capability.ALARMS_VIEW)
            .select_related("device__area").get(pk=pk, kind=EventKind.PLATE, reason=REASON_HELD))


def complexes_visible(*, user: User) -> list[Area]:
    return list(Area.objects.visible_to(user).filter(level=AreaLevel.COMPLEX).order_by("path"))


def complex_get(*, user: User, pk: int) -> Area:
    return Area.objects.visible_to(user).get(pk=pk, level=AreaLevel.COMPLEX)
