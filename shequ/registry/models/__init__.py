"""The registry: 人、地、物、组织、房屋 (people, places, things, organizations, houses)."""

from shequ.registry.models.area import Area, House
from shequ.registry.models.organization import Organization, OrganizationMember
from shequ.registry.models.person import CareTag, Person, Residence
from shequ.registry.models.things import Facility, Vehicle

__all__ = [
    "Area",
    "CareTag",
    "Facility",
    "House",
    "Organization",
    "OrganizationMember",
    "Person",
    "Residence",
    "Vehicle",
]
