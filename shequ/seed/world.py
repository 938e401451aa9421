"""Builds the demo world row by row and streams it into the database.

Order of events: the city, its 13 districts and their streets; then the
showcase complex 长庆坊 (42 buildings, 4,800 houses); then as many invented
complexes as the requested number of people needs. Each house is filled with
one household while people remain; the last complex may stay partly empty.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection

from shequ.core import pii
from shequ.registry.models import Area, CareTag, Facility, House, Organization, OrganizationMember, Person, Residence, Vehicle
from shequ.registry.codes import XIAN_CITY
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel
from shequ.seed import places
from shequ.seed.households import HouseholdMaker, Member
from shequ.seed.identity import IdentityMaker
from shequ.seed.names import NameMaker
from shequ.seed.orgs import UsccMaker, property_company_name, shop_name, social_organization_name
from shequ.seed.places import BuildingPlan, PlaceNamer
from shequ.seed.sink import IdBlock, Sink, Table, reset_sequences
from shequ.seed.things import INTERVALS, PlateMaker, inspection_dates


@dataclass(frozen=True, slots=True)
class Node:
    id: int
    path: str
    code: str
    name: str


@dataclass
class Community:
    node: Node
    district: str
    complexes: int = 0
    capacity: int = 1
    party_members: list[tuple[int, str]] = field(default_factory=list)  # (person id, political status)
    residents: int = 0


@dataclass
class StreetState:
    node: Node
    district: str
    next_community: int = 1
    current: Community | None = None


_HOUSEHOLD_SIZE = 2.6  # expected members per household, to size the world


def _tables() -> dict[str, Table]:
    """Write order: parents before children (PostgreSQL checks deferred FKs at
    commit anyway; SQLite too, but this keeps every batch self-consistent)."""
    return {
        "area": Table(Area, ["id", "parent_id", "level", "code", "name", "path", "depth", "created_at", "updated_at"]),
        "house": Table(House, ["id", "area_id", "number", "floor", "floor_area", "use", "status", "ownership",
                               "created_at", "updated_at"]),
        "person": Table(Person, ["id", "name", "id_type", "id_number_cipher", "id_number_digest", "id_number_masked",
                                 "id_tail", "gender", "birth_date", "phone_cipher", "phone_digest", "phone_masked",
                                 "ethnicity", "political_status", "area_id", "note", "created_at", "updated_at"]),
        "care": Table(Person.care_tags.through, ["person_id", "caretag_id"]),
        "residence": Table(Residence, ["person_id", "house_id", "relation", "population_type", "start_date",
                                       "end_date", "lease_end", "created_at", "updated_at"]),
        "organization": Table(Organization, ["id", "name", "kind", "uscc", "area_id", "address",
                                             "legal_representative", "created_at", "updated_at"]),
        "member": Table(OrganizationMember, ["organization_id", "person_id", "role", "is_contact", "start_date",
                                             "end_date"]),
        "vehicle": Table(Vehicle, ["plate", "plate_kind", "owner_id", "house_id", "parking_space", "brand", "color",
                                   "area_id", "created_at", "updated_at"]),
        "facility": Table(Facility, ["kind", "name", "serial", "area_id", "location", "latitude", "longitude",
                                     "status", "installed_on", "last_inspected_on", "next_inspection_on",
                                     "created_at", "updated_at"]),
    }


class World:
    def __init__(self, *, people: int, seed: int, today: date, now: datetime,
                 progress: Callable[[str], None] | None = None) -> None:
        self.target = people
        self.remaining = people
        self.today = today
        self.now = now
        self.progress = progress or (lambda message: None)
        self.rng = random.Random(seed)
        rng = self.rng
        self.names = NameMaker(rng)
        self.identities = IdentityMaker(rng, today)
        self.households = HouseholdMaker(rng, self.names, self.identities, today)
        self.place_names = PlaceNamer(rng)
        self.usccs = UsccMaker(rng)
        self.plates = PlateMaker(rng)
        self.sink = Sink(_tables())
        self.ids = {model: IdBlock(model) for model in (Area, House, Person, Organization)}
        self.care_tag_ids = dict(CareTag.objects.values_list("code", "id"))
        self.district_names = places.district_names()
        self.streets: dict[str, StreetState] = {}
        self.streets_by_district: dict[str, list[StreetState]] = {}
        self._reported = 0

    # --- rows ---

    def area(self, parent: Node | None, level: AreaLevel, code: str, name: str) -> Node:
        area_id = self.ids[Area].take()
        path = f"{parent.path if parent else '/'}{area_id}/"
        self.sink.add("area", (area_id, parent.id if parent else None, level.value, code, name, path,
                               LEVEL_DEPTH[level], self.now, self.now))
        return Node(area_id, path, code, name)

    def organization(self, *, name: str, kind: str, area: Node, uscc: str | None = None,
                     legal_representative: str = "", address: str = "") -> int:
        org_id = self.ids[Organization].take()
        self.sink.add("organization", (org_id, name, kind, uscc, area.id, address, legal_representative,
                                       self.now, self.now))
        return org_id

    def person(self, member: Member, area: Node) -> int:
        person_id = self.ids[Person].take()
        number = member.id_number
        protected_id = pii.protect_id_number(number)
        phone = pii.protect_phone(member.phone) if member.phone else pii.EMPTY
        self.sink.add("person", (
            person_id, member.name, Person.IdType.RESIDENT_ID.value, protected_id.cipher, protected_id.digest,
            protected_id.masked, number[-4:], member.gender, member.born, phone.cipher, phone.digest, phone.masked,
            member.ethnicity, member.political, area.id, "", self.now, self.now,
        ))
        for tag in member.tags:
            self.sink.add("care", (person_id, self.care_tag_ids[tag]))
        self.remaining -= 1
        return person_id

    # --- the tree ---

    def build(self) -> dict[str, int]:
        """Write the whole world; returns rows written per table."""
        postgres = connection.vendor == "postgresql"
        if postgres:
            # check foreign keys as each COPY ends, in the writer thread, instead
            # of millions of deferred checks queued up for the commit
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with self.sink:
            self._tree()
            self._showcase()
            # the next complexes go to the showcase's street, so a street cadre sees several communities
            extra_in_showcase_street = 3
            district_codes = list(places.DISTRICTS)
            weights = [info.weight for info in places.DISTRICTS.values()]
            while self.remaining > 0:
                if extra_in_showcase_street:
                    extra_in_showcase_street -= 1
                    street = self.streets[places.SHOWCASE_STREET]
                else:
                    district = self.rng.choices(district_codes, weights=weights)[0]
                    street = self.rng.choice(self.streets_by_district[district])
                self._invented_complex(street)
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        reset_sequences([Area, House, Person, Organization])
        return self.sink.counts()

    def _tree(self) -> None:
        city_code, city_name = XIAN_CITY
        self.city = self.area(None, AreaLevel.CITY, city_code, city_name)
        for code, name in self.district_names.items():
            district = self.area(self.city, AreaLevel.DISTRICT, code, name)
            states = []
            for street_code, street_name in places.district_streets(code):
                state = StreetState(self.area(district, AreaLevel.STREET, street_code, street_name), code)
                self.streets[street_code] = state
                states.append(state)
            self.streets_by_district[code] = states
        self.progress(f"area tree: {len(self.district_names)} districts, {len(self.streets)} streets")

    def _community(self, street: StreetState, code: str | None = None, name: str | None = None) -> Community:
        number = street.next_community
        street.next_community += 1
        node = self.area(street.node, AreaLevel.COMMUNITY, code or f"{street.node.code}{number:03d}",
                         name or self.place_names.community())
        community = Community(node, street.district, capacity=self.rng.randint(1, 3))
        self.organization(name=f"{node.name}居民委员会", kind=Organization.Kind.SELF_GOVERNANCE, area=node)
        if self.rng.random() < 0.5:
            self.organization(
                name=social_organization_name(self.rng, node.name, self.district_names[street.district]),
                kind=Organization.Kind.SOCIAL_ORG, area=node, uscc=self.usccs.make("association", street.district),
                legal_representative=self.names.full(self.rng.choice("MF"), 1965),
            )
        street.current = community
        return community

    def _close_community(self, community: Community) -> None:
        """The community's party committee, with the party members who live there."""
        if not community.party_members:
            return
        org_id = self.organization(name=f"{community.node.name}党委", kind=Organization.Kind.PARTY_ORG,
                                   area=community.node)
        for index, (person_id, status) in enumerate(community.party_members):
            role = "党委书记" if index == 0 else "预备党员" if status == "02" else "党员"
            self.sink.add("member", (org_id, person_id, role, index == 0, None, None))
        community.party_members.clear()

    def _showcase(self) -> None:
        street = self.streets[places.SHOWCASE_STREET]
        code, name = places.SHOWCASE_COMMUNITY
        community = self._community(street, code=code, name=name)
        community.capacity = 1
        self._complex(community, places.SHOWCASE_COMPLEX, "mixed", places.showcase_buildings(), built_year=1992,
                      property_company="西安长庆物业服务有限公司")
        self._close_community(community)
        self.progress(f"{places.SHOWCASE_COMPLEX}: {self.target - self.remaining} people")

    def _invented_complex(self, street: StreetState) -> None:
        community = street.current
        if community is None or community.complexes >= community.capacity:
            if community is not None:
                self._close_community(community)
            community = self._community(street)
        style, buildings = places.complex_plan(self.rng, places.DISTRICTS[street.district].urban)
        name = self.place_names.complex(style)
        built = {"old": (1982, 2000), "modern": (2003, 2021), "resettlement": (2008, 2020)}[style]
        self._complex(community, name, style, buildings, built_year=self.rng.randint(*built),
                      property_company=f"{property_company_name(self.rng)}{name}分公司")
        if self.remaining == 0:
            for state in self.streets.values():
                if state.current is not None:
                    self._close_community(state.current)
        done = self.target - self.remaining
        if done - self._reported >= 100_000:
            self._reported = done
            self.progress(f"people: {done:,} of {self.target:,}")

    # --- a complex ---

    def _complex(self, community: Community, name: str, style: str, buildings: list[BuildingPlan], *,
                 built_year: int, property_company: str) -> None:
        rng = self.rng
        community.complexes += 1
        district = community.district
        node = self.area(community.node, AreaLevel.COMPLEX, f"{community.node.code}-{community.complexes:02d}", name)
        built = date(built_year, rng.randint(1, 12), rng.randint(1, 28))
        info = places.DISTRICTS[district]
        centre = (info.lat + rng.gauss(0, 0.015), info.lon + rng.gauss(0, 0.015))
        hui_share = 0.12 if district == places.HUI_DISTRICT else 0.015
        company = self.organization(name=property_company, kind=Organization.Kind.PROPERTY_COMPANY, area=node,
                                    uscc=self.usccs.make("company", district),
                                    legal_representative=self.names.full(rng.choice("MF"), 1970))
        self.organization(name=f"{name}党支部", kind=Organization.Kind.PARTY_ORG, area=node)
        company_contact = False
        houses_so_far: list[int] = []
        for plan in buildings:
            building = self.area(node, AreaLevel.BUILDING, f"{node.code}-{plan.number:02d}", f"{plan.number}号楼")
            self._building_facilities(building, plan, built, centre)
            for unit_number in range(1, plan.units + 1):
                unit = self.area(building, AreaLevel.UNIT, f"{building.code}-{unit_number}", f"{unit_number}单元")
                self._unit_facilities(unit, plan, built, centre)
                for floor in range(1, plan.floors + 1):
                    for position in range(1, plan.per_floor + 1):
                        number = f"{floor:02d}{position:02d}"
                        house_node = self.area(unit, AreaLevel.HOUSE, f"{unit.code}-{number}", number)
                        # the ground floor of building 1 faces the street: shops (底商)
                        if plan.number == 1 and floor == 1:
                            self._shop(house_node, plan, name, district)
                            continue
                        head_id = self._house(house_node, plan, floor, community, district, hui_share, built,
                                              houses_so_far)
                        if head_id and not company_contact:
                            company_contact = True
                            self.sink.add("member", (company, head_id, "项目经理", True, None, None))
        self._complex_facilities(node, plan_count=len(buildings), style=style, built=built, centre=centre)

    def _house(self, node: Node, plan: BuildingPlan, floor: int, community: Community, district: str,
               hui_share: float, built: date, houses_so_far: list[int]) -> int | None:
        """Write one house and its household; returns the head's person id if anyone lives there."""
        rng = self.rng
        house_id = self.ids[House].take()
        style = plan.style
        if style == "old":
            area_m2, ownership = rng.uniform(48, 95), "reformed" if rng.random() < 0.8 else "commodity"
        elif style == "resettlement":
            area_m2, ownership = rng.uniform(60, 120), "resettlement"
        else:
            area_m2, ownership = rng.uniform(75, 165), "commodity" if rng.random() < 0.97 else "public_rental"
        occupied = self.remaining > 0 and rng.random() < (0.93 if style == "old" else 0.88)
        rented = occupied and rng.random() < 0.2
        status = "rented" if rented else "owner_occupied" if occupied else "vacant"
        self.sink.add("house", (house_id, node.id, node.name, floor, Decimal(f"{area_m2:.2f}"), "residential",
                                status, ownership, self.now, self.now))
        houses_so_far.append(house_id)
        if not occupied:
            return None
        members = self.households.household(district=district, rented=rented, hui_share=hui_share)
        members = members[: self.remaining]
        head_id = None
        today = self.today
        start = built + timedelta(days=rng.randint(0, max(0, (today - built).days - 30)))
        lease_end = today + timedelta(days=rng.randint(-60, 330)) if rented else None
        if rented:
            start = lease_end - timedelta(days=365 * rng.randint(1, 3))
        for member in members:
            person_id = self.person(member, node)
            head_id = head_id or person_id
            moved_in = max(start, member.born)
            if rented and len(houses_so_far) > 1 and today.year - member.born.year >= 18 and rng.random() < 0.1:
                # tenants move within a complex; the old tenancy stays as history
                previous = rng.choice(houses_so_far[:-1])
                before = moved_in - timedelta(days=1)
                self.sink.add("residence", (person_id, previous, "tenant", member.population,
                                            max(member.born, before - timedelta(days=365)), before, before,
                                            self.now, self.now))
            self.sink.add("residence", (person_id, house_id, member.relation, member.population, moved_in, None,
                                        lease_end if member.relation == "tenant" else None, self.now, self.now))
            if member.political in ("01", "02"):
                community.party_members.append((person_id, member.political))
        self._vehicles(members, head_id, house_id, node, style, rented)
        return head_id

    def _vehicles(self, members: list[Member], owner_id: int | None, house_id: int, node: Node, style: str,
                  rented: bool) -> None:
        rng = self.rng
        adults = sum(1 for member in members if self.today.year - member.born.year >= 20)
        if not adults or owner_id is None:
            return
        chance = 0.2 if rented else {"old": 0.25, "modern": 0.55, "resettlement": 0.35, "mixed": 0.4}.get(style, 0.4)
        cars = 0 if rng.random() >= chance else 2 if adults >= 2 and rng.random() < 0.12 else 1
        for _ in range(cars):
            plate, new_energy = self.plates.make()
            space = f"B{rng.randint(1, 2)}-{rng.randint(1, 600):03d}" if style == "modern" and rng.random() < 0.6 else ""
            self.sink.add("vehicle", (plate, "new_energy" if new_energy else "ordinary", owner_id, house_id, space,
                                      self.plates.brand(new_energy), self.plates.color(), node.id, self.now, self.now))

    def _shop(self, node: Node, plan: BuildingPlan, complex_name: str, district: str) -> None:
        rng = self.rng
        house_id = self.ids[House].take()
        self.sink.add("house", (house_id, node.id, node.name, 1, Decimal(f"{rng.uniform(30, 180):.2f}"), "commercial",
                                "rented" if rng.random() < 0.6 else "owner_occupied", "commodity", self.now, self.now))
        if rng.random() < 0.85:
            surname = self.names.surname()
            self.organization(name=shop_name(rng, surname, complex_name), kind=Organization.Kind.MERCHANT, area=node,
                              uscc=self.usccs.make("individual", district),
                              legal_representative=surname + self.names.given(rng.choice("MF"), 1975),
                              address=f"{complex_name}{plan.number}号楼{node.name}")

    # --- facilities ---

    def facility(self, *, kind: str, name: str, serial: str, area: Node, location: str, built: date, centre) -> None:
        rng = self.rng
        installed = built + timedelta(days=rng.randint(0, 3650))
        if installed > self.today:
            installed = self.today - timedelta(days=rng.randint(30, 400))
        last, upcoming = inspection_dates(rng, self.today, INTERVALS[kind], installed)
        status = "faulty" if rng.random() < 0.03 else "in_service"
        lat = Decimal(f"{centre[0] + rng.gauss(0, 0.0008):.6f}")
        lon = Decimal(f"{centre[1] + rng.gauss(0, 0.0008):.6f}")
        self.sink.add("facility", (kind, name, serial, area.id, location, lat, lon, status, installed, last, upcoming,
                                   self.now, self.now))

    def _building_facilities(self, building: Node, plan: BuildingPlan, built: date, centre) -> None:
        if plan.number % 2 == 1:
            self.facility(kind="fire_hydrant", name=f"{building.name}室外消火栓", serial=f"XHS-{building.code}",
                          area=building, location=f"{building.name}东侧", built=built, centre=centre)
        self.facility(kind="camera", name=f"{building.name}单元门口摄像机", serial=f"CAM-{building.code}",
                      area=building, location=f"{building.name}北侧入口", built=built, centre=centre)

    def _unit_facilities(self, unit: Node, plan: BuildingPlan, built: date, centre) -> None:
        label = f"{plan.number}号楼{unit.name}"
        for floor in (1, max(1, plan.floors // 2)):
            self.facility(kind="extinguisher", name=f"{label}{floor}层灭火器", serial=f"MHQ-{unit.code}-{floor:02d}",
                          area=unit, location=f"{label}{floor}层楼道", built=built, centre=centre)
        if plan.floors >= 8:
            for car in range(1, 2 if plan.floors < 18 else 3):
                self.facility(kind="elevator", name=f"{label}{car}号电梯", serial=f"DT-{unit.code}-{car}", area=unit,
                              location=f"{label}电梯厅", built=built, centre=centre)

    def _complex_facilities(self, node: Node, *, plan_count: int, style: str, built: date, centre) -> None:
        rng = self.rng
        gates = ("南门", "北门", "东门", "西门")[: 2 if plan_count < 10 else 3 if plan_count < 25 else 4]
        for gate in gates:
            self.facility(kind="gate", name=f"{gate}人行门禁", serial=f"MJ-{node.code}-{gate}", area=node,
                          location=gate, built=built, centre=centre)
            self.facility(kind="gate", name=f"{gate}车辆道闸", serial=f"DZ-{node.code}-{gate}", area=node,
                          location=gate, built=built, centre=centre)
            for direction in ("进", "出"):
                self.facility(kind="camera", name=f"{gate}{direction}口摄像机", serial=f"CAM-{node.code}-{gate}{direction}",
                              area=node, location=gate, built=built, centre=centre)
        chargers = rng.randint(6, 30) if style in ("modern", "mixed") else rng.randint(0, 4)
        for number in range(1, chargers + 1):
            self.facility(kind="charging_point", name=f"{number}号充电桩", serial=f"CDZ-{node.code}-{number:03d}",
                          area=node, location="地下车库" if style == "modern" else "小区停车场", built=built,
                          centre=centre)
