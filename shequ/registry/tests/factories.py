"""factory_boy factories for the registry. They write through the services, so
test data is validated, protected and audited like real data."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import factory

from shequ.accounts.audit import Actor
from shequ.registry import services
from shequ.registry.models import Area, House, Person

SYSTEM = Actor.system(via="test")
_serial = itertools.count(1)


def resident_id(region: str = "610113", born: date = date(1980, 5, 17), serial: int | None = None,
                gender: str = "M") -> str:
    """A valid GB 11643 ID number (unique by ``serial``) for tests and seeds."""
    n = serial if serial is not None else next(_serial)
    seq = (n % 500) * 2 + (1 if gender == "M" else 0)
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


def unique_resident_id(gender: str = "M") -> str:
    """A fresh valid ID each call: 500 sequence numbers per birth date, then the next date."""
    n = next(_serial)
    born = date(1950 + (n // 500) % 50, 1 + (n // 25000) % 12, 1 + (n // 300000) % 28)
    return resident_id(born=born, serial=n, gender=gender)


class AreaFactory(factory.Factory):
    class Meta:
        model = Area

    parent = None
    level = Area.Level.CITY
    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"区域{n}")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.area_create(actor=SYSTEM, **kwargs)


class HouseFactory(factory.Factory):
    class Meta:
        model = House

    unit = None  # required: an Area of level unit
    number = factory.Sequence(lambda n: f"{n:04d}")
    floor = 3
    floor_area = Decimal("89.50")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.house_create(actor=SYSTEM, **kwargs)


class PersonFactory(factory.Factory):
    class Meta:
        model = Person

    area = None  # required
    name = factory.Faker("name", locale="zh_CN")
    id_type = Person.IdType.RESIDENT_ID
    id_number = factory.LazyFunction(unique_resident_id)
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    ethnicity = "01"
    political_status = "13"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.person_create(actor=SYSTEM, **kwargs)
