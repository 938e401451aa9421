from __future__ import annotations

import pytest

from conftest import make_user


def make_device(area, device_id: str, kind: str = "unit_door"):
    from shequ.access.models import Device
    from shequ.core import pii

    return Device.objects.create(device_id=device_id, name=device_id, kind=kind, area=area,
                                 secret_cipher=pii.encrypt("secret-" + device_id))


@pytest.fixture
def door(tree):
    return make_device(tree.unit_a, "door-a")


@pytest.fixture
def neighbour(tree):
    """Resident of house_a2: same unit, other household."""
    return make_user("resident_a2", "resident", tree.house_a2.area)
