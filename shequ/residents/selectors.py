"""Reads for the resident pages: always through ``visible_to`` and, on top of it,
only the houses the logged-in resident lives in today."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from shequ.access.models import FaceConsent, TemplatePlacement
from shequ.accounts.models import User
from shequ.accounts.roles import Capability, Role
from shequ.registry.models import House, Person, Residence
from shequ.registry.selectors import address_labels


@dataclass
class Household:
    house: House
    address: str
    members: list[Residence] = field(default_factory=list)


def resident_grant_area_ids(user: User) -> set[int]:
    """Areas where ``user`` holds an active resident grant."""
    from shequ.accounts.models import RoleGrant

    return set(RoleGrant.objects.active().filter(user=user, role=Role.RESIDENT).values_list("area_id", flat=True))


def my_houses(*, user: User) -> list[House]:
    """Houses the user's person lives in today and where the user holds a resident grant."""
    if not user.is_authenticated or user.person_id is None:
        return []
    return list(
        House.objects.visible_to(user, Capability.VIEW)
        .filter(residences__in=Residence.objects.current().filter(person_id=user.person_id))
        .filter(area__grants__user=user, area__grants__role=Role.RESIDENT, area__grants__revoked_at__isnull=True)
        .select_related("area").distinct().order_by("pk")
    )


def _members_qs(*, user: User, houses: list[House]) -> QuerySet[Residence]:
    return (Residence.objects.visible_to(user, Capability.VIEW).current().filter(house__in=houses)
            .select_related("person", "house"))


def households(*, user: User, houses: list[House]) -> list[Household]:
    """Each of my houses with its address and current members (three queries)."""
    labels = address_labels(house.area for house in houses)
    result = {house.pk: Household(house, labels.get(house.area_id, house.number)) for house in houses}
    for residence in _members_qs(user=user, houses=houses).order_by("house_id", "start_date", "person__name"):
        result[residence.house_id].members.append(residence)
    return list(result.values())


def household_member_get(*, user: User, houses: list[House], person_id: int) -> Residence | None:
    """A person living in one of my houses (their residence there), or None."""
    return _members_qs(user=user, houses=houses).filter(person_id=person_id).order_by("pk").first()


def my_person(*, user: User) -> Person | None:
    if user.person_id is None:
        return None
    return Person.objects.visible_to(user, Capability.VIEW).filter(pk=user.person_id).select_related("area").first()



# --- face recognition ----------------------------------------------------------------------------------------------

@dataclass
class ConsentView:
    consent: FaceConsent
    doors: list
    #: a template still on file (none before the photo, none after withdrawal)
    has_face: bool
    #: where the templates of this consent are or were, and whether each door confirmed
    placements: list[TemplatePlacement]

    @property
    def pending_deletions(self) -> int:
        return sum(1 for p in self.placements if p.state == TemplatePlacement.State.TO_DELETE)


@dataclass
class FaceOverview:
    active: ConsentView | None
    past: list[ConsentView]


def my_face_consents(*, user: User) -> QuerySet[FaceConsent]:
    """The user's own consents (never another household member's)."""
    if user.person_id is None:
        return FaceConsent.objects.none()
    return FaceConsent.objects.visible_to(user, Capability.VIEW).filter(person_id=user.person_id)


def face_overview(*, user: User) -> FaceOverview:
    consents = (my_face_consents(user=user).order_by("-consented_at", "-pk")
                .prefetch_related("devices", "templates__placements__device"))
    views = []
    for consent in consents:
        templates = list(consent.templates.all())
        placements = sorted((p for t in templates for p in t.placements.all()), key=lambda p: (p.device.name, p.pk))
        views.append(ConsentView(
            consent=consent, doors=sorted(consent.devices.all(), key=lambda d: d.name),
            has_face=any(t.deleted_at is None and t.template_cipher for t in templates), placements=placements))
    active = next((view for view in views if view.consent.withdrawn_at is None), None)
    return FaceOverview(active=active, past=[view for view in views if view is not active])
