"""Registry pages. Each view: login, one scoped fetch, one service call, render."""

from shequ.registry.views.finder import person_find, picker
from shequ.registry.views.home import area_counts, area_detail, home, home_counts
from shequ.registry.views.houses import house_create, house_detail, house_edit, house_list
from shequ.registry.views.organizations import (
    member_add, member_end, organization_create, organization_delete, organization_detail, organization_edit,
    organization_list,
)
from shequ.registry.views.people import (
    person_create, person_delete, person_detail, person_edit, person_list, person_reveal,
)
from shequ.registry.views.residences import residence_add, residence_end
from shequ.registry.views.things import (
    facility_create, facility_delete, facility_detail, facility_edit, facility_list, vehicle_create,
    vehicle_delete, vehicle_detail, vehicle_edit, vehicle_list,
)

__all__ = [
    "area_counts", "area_detail", "facility_create", "facility_delete", "facility_detail", "facility_edit",
    "facility_list",
    "home", "home_counts", "house_create", "house_detail", "house_edit", "house_list", "member_add", "member_end",
    "organization_create", "organization_delete", "organization_detail", "organization_edit", "organization_list",
    "person_create", "person_delete", "person_detail", "person_edit", "person_find", "person_list", "person_reveal",
    "picker", "residence_add", "residence_end", "vehicle_create", "vehicle_delete", "vehicle_detail", "vehicle_edit",
    "vehicle_list",
]
