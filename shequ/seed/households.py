"""Households: who lives in a house, with consistent names, ages, origins and tags.

A household is drawn from a template (an old person alone, a couple with a
child, three generations, tenants sharing a flat, ...) so that surnames,
ages, ID regions, population types and care tags agree with each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from shequ.seed.identity import MIGRANT_REGIONS, XIAN_REGIONS, IdentityMaker, birth_region
from shequ.seed.names import NameMaker


@dataclass(slots=True)
class Member:
    name: str
    surname: str
    gender: str
    born: date
    relation: str  # owner / family / tenant
    population: str  # registered / resident / floating
    id_number: str
    phone: str
    ethnicity: str
    political: str
    tags: list[str] = field(default_factory=list)


_OWNED = (
    ("elderly_alone", 6), ("single", 9), ("middle_single", 4), ("young_couple", 10), ("elderly_couple", 10),
    ("couple_child", 28), ("couple_two_children", 15), ("three_generations", 10), ("grandparents_child", 1),
)
_RENTED = (("tenant_single", 35), ("tenant_share", 25), ("tenant_couple", 20), ("tenant_family", 20))
_OWNED_KINDS, _OWNED_WEIGHTS = zip(*_OWNED)
_RENTED_KINDS, _RENTED_WEIGHTS = zip(*_RENTED)

# (code, weight) for non-Hui households: 汉族 nearly everywhere, a few 满族 and others
_ETHNICITIES = (("01", 976), ("11", 3), ("02", 1), ("04", 1), ("05", 1), ("06", 1), ("08", 1), ("10", 1))
_ETH_CODES, _ETH_WEIGHTS = zip(*_ETHNICITIES)
_DEMOCRATIC_PARTIES = ("04", "05", "06", "07", "08", "09", "10", "11")


@dataclass(frozen=True)
class Origin:
    region: str  # a current Xi'an district code or a migrant's home region
    local: bool


class HouseholdMaker:
    def __init__(self, rng: random.Random, names: NameMaker, ids: IdentityMaker, today: date) -> None:
        self.rng = rng
        self.names = names
        self.ids = ids
        self.today = today
        self._district = ""  # district of the house being filled

    # --- building blocks ---

    def _origin(self, local_share: float) -> Origin:
        """Where a member's hukou is: often the district of the house, else elsewhere in Xi'an or outside."""
        rng = self.rng
        if rng.random() < local_share:
            region = self._district if rng.random() < 0.55 else rng.choice(XIAN_REGIONS)
            return Origin(region, True)
        return Origin(rng.choice(MIGRANT_REGIONS), False)

    def _political(self, age: int) -> str:
        roll = self.rng.random()
        if age < 14:
            return "13"
        if age <= 28:
            if roll < 0.40:
                return "03"
            if age >= 18 and roll < 0.45:
                return "01"
            if age >= 18 and roll < 0.46:
                return "02"
            return "13"
        party = 0.14 if age >= 60 else 0.09
        if roll < party:
            return "01"
        if roll < party + 0.004:
            return self.rng.choice(_DEMOCRATIC_PARTIES)
        if roll < party + 0.007:
            return "12"
        return "13"

    def _phone(self, age: int) -> str:
        chance = 0.0 if age < 12 else 0.5 if age < 16 else 0.6 if age >= 80 else 0.97
        return self.ids.mobile() if self.rng.random() < chance else ""

    def person(self, *, age: int, gender: str, origin: Origin, relation: str, tenant: bool, ethnicity: str,
               surname: str | None = None) -> Member:
        born = self.ids.birth_date(max(age, 0))
        surname = surname or self.names.surname(hui=ethnicity == "03")
        name = surname + self.names.given(gender, born.year)
        if tenant:
            population = "resident" if origin.local else "floating"
        else:
            population = "registered" if origin.local else "resident"
        region = birth_region(origin.region, born.year)
        return Member(
            name=name, surname=surname, gender=gender, born=born, relation=relation, population=population,
            id_number=self.ids.resident_id(region, born, gender), phone=self._phone(age),
            ethnicity=ethnicity, political=self._political(age),
        )

    # --- households ---

    def household(self, *, district: str, rented: bool, hui_share: float) -> list[Member]:
        """The members of one household, head first."""
        rng = self.rng
        kind = rng.choices(_RENTED_KINDS if rented else _OWNED_KINDS,
                           weights=_RENTED_WEIGHTS if rented else _OWNED_WEIGHTS)[0]
        if rng.random() < hui_share:
            ethnicity = "03"
        else:
            ethnicity = rng.choices(_ETH_CODES, weights=_ETH_WEIGHTS)[0]
        self._district = district
        origin = self._origin(0.35 if rented else 0.85)
        head_relation, other_relation = ("tenant", "tenant") if rented else ("owner", "family")
        members = getattr(self, f"_{kind}")(origin, ethnicity, rented, head_relation, other_relation)
        self._household_tags(kind, members)
        return members

    def _adult(self, origin, ethnicity, rented, relation, age, gender=None, surname=None) -> Member:
        gender = gender or self.rng.choice("MF")
        return self.person(age=age, gender=gender, origin=origin, relation=relation, tenant=rented,
                           ethnicity=ethnicity, surname=surname)

    def _couple(self, origin, ethnicity, rented, head_relation, other_relation, husband_age):
        rng = self.rng
        husband = self._adult(origin, ethnicity, rented, head_relation, husband_age, "M")
        wife_origin = origin if rng.random() < 0.8 else self._origin(0.85 if origin.local else 0.3)
        wife = self._adult(wife_origin, ethnicity, rented, other_relation, max(20, husband_age + rng.randint(-5, 2)), "F")
        # in about a third of couples the wife holds the deed
        if not rented and rng.random() < 0.33:
            husband.relation, wife.relation = other_relation, head_relation
            return [wife, husband]
        return [husband, wife]

    def _children(self, origin, ethnicity, rented, relation, father: Member, count: int, mother_age: int):
        """Children take the father's surname and, as hukou follows the parents, his origin."""
        rng = self.rng
        kids, age = [], mother_age - rng.randint(23, 34)
        for _ in range(count):
            if age < 0:
                break
            kids.append(self.person(age=age, gender=rng.choice("MF"), origin=origin, relation=relation,
                                    tenant=rented, ethnicity=ethnicity, surname=father.surname))
            age -= rng.randint(2, 8)
        return kids

    def _elderly_alone(self, origin, ethnicity, rented, head, other):
        age = min(99, 65 + int(abs(self.rng.gauss(0, 10))))
        return [self._adult(origin, ethnicity, rented, head, age, self.rng.choices("MF", weights=(3, 7))[0])]

    def _single(self, origin, ethnicity, rented, head, other):
        return [self._adult(origin, ethnicity, rented, head, self.rng.randint(22, 40))]

    def _middle_single(self, origin, ethnicity, rented, head, other):
        return [self._adult(origin, ethnicity, rented, head, self.rng.randint(40, 64))]

    def _young_couple(self, origin, ethnicity, rented, head, other):
        return self._couple(origin, ethnicity, rented, head, other, self.rng.randint(25, 38))

    def _elderly_couple(self, origin, ethnicity, rented, head, other):
        return self._couple(origin, ethnicity, rented, head, other, self.rng.randint(60, 85))

    def _family(self, origin, ethnicity, rented, head, other, children, father_age):
        couple = self._couple(origin, ethnicity, rented, head, other, father_age)
        father, mother = (couple[0], couple[1]) if couple[0].gender == "M" else (couple[1], couple[0])
        mother_age = self.today.year - mother.born.year
        return couple + self._children(origin, ethnicity, rented, other, father, children, mother_age)

    def _couple_child(self, origin, ethnicity, rented, head, other):
        return self._family(origin, ethnicity, rented, head, other, 1, self.rng.randint(28, 58))

    def _couple_two_children(self, origin, ethnicity, rented, head, other):
        return self._family(origin, ethnicity, rented, head, other, 2, self.rng.randint(32, 55))

    def _three_generations(self, origin, ethnicity, rented, head, other):
        rng = self.rng
        father_age = rng.randint(30, 50)
        members = self._family(origin, ethnicity, rented, head, other, rng.choice((1, 1, 2)), father_age)
        surname = next(m for m in members if m.gender == "M").surname
        grand_age = min(95, father_age + rng.randint(24, 32))
        grandparents = [("F", None)] if rng.random() < 0.45 else [("M", surname), ("F", None)]
        for gender, grand_surname in grandparents:
            members.append(self.person(age=grand_age + (0 if gender == "M" else -rng.randint(0, 4)), gender=gender,
                                       origin=origin, relation=other, tenant=rented, ethnicity=ethnicity,
                                       surname=grand_surname))
        return members

    def _grandparents_child(self, origin, ethnicity, rented, head, other):
        rng = self.rng
        couple = self._couple(origin, ethnicity, rented, head, other, rng.randint(58, 75))
        surname = next(m for m in couple if m.gender == "M").surname
        child = self.person(age=rng.randint(3, 15), gender=rng.choice("MF"), origin=origin, relation=other,
                            tenant=rented, ethnicity=ethnicity, surname=surname)
        child.tags.append("left_behind_child")
        return couple + [child]

    def _tenant_single(self, origin, ethnicity, rented, head, other):
        return [self._adult(origin, ethnicity, rented, head, self.rng.randint(20, 45))]

    def _tenant_share(self, origin, ethnicity, rented, head, other):
        rng = self.rng
        return [self._adult(self._origin(0.35), ethnicity if i == 0 else "01", rented, head,
                            rng.randint(20, 35)) for i in range(rng.randint(2, 3))]

    def _tenant_couple(self, origin, ethnicity, rented, head, other):
        return self._couple(origin, ethnicity, rented, head, other, self.rng.randint(23, 45))

    def _tenant_family(self, origin, ethnicity, rented, head, other):
        return self._family(origin, ethnicity, rented, head, other, 1, self.rng.randint(28, 45))

    # --- care tags ---

    def _household_tags(self, kind: str, members: list[Member]) -> None:
        rng, year = self.rng, self.today.year
        if kind == "elderly_alone":
            members[0].tags.append("elderly_alone")
            if rng.random() < 0.03:
                members[0].tags.append("special_hardship")
        if kind == "elderly_couple":
            for member in members:
                member.tags.append("empty_nest")
        if rng.random() < 0.01:
            for member in members:
                member.tags.append("low_income")
        for member in members:
            age = year - member.born.year
            roll = rng.random()
            if roll < 0.012:
                member.tags.append("disabled")
            elif roll < 0.017 and age >= 40:
                member.tags.append("serious_illness")
            elif roll < 0.020:
                member.tags.append("key_care")
            elif roll < 0.0203 and 20 <= age <= 60:
                member.tags.append("community_correction")
            if member.gender == "M" and 35 <= age <= 80 and rng.random() < 0.02:
                member.tags.append("veteran")

