"""Registry services: every write to the registry goes through these functions,
which check the actor's area rights, validate, save and write the audit log."""

from shequ.registry.services.areas import (
    area_create, area_retire, area_update, community_of, full_address, house_create, house_update,
)
from shequ.registry.services.common import audited_delete
from shequ.registry.services.organizations import (
    organization_create, organization_member_add, organization_member_end, organization_update,
)
from shequ.registry.services.people import (
    people_find_by_id_number, people_find_by_phone, person_create, person_reveal, person_update,
    residence_end, residence_start,
)
from shequ.registry.services.things import facility_create, facility_update, vehicle_create, vehicle_update

__all__ = [
    "area_create", "area_retire", "area_update", "audited_delete", "community_of", "facility_create",
    "facility_update", "full_address", "house_create", "house_update", "organization_create",
    "organization_member_add", "organization_member_end", "organization_update", "people_find_by_id_number",
    "people_find_by_phone", "person_create", "person_reveal", "person_update", "residence_end",
    "residence_start", "vehicle_create", "vehicle_update",
]
