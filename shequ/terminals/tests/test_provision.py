"""Placing simulated terminals: registered through the access service the first time,
loaded with the same secrets the next; indoor ones in homes, outdoor ones on lamp posts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequ.access import protocol
from shequ.accounts.audit import Actor
from shequ.terminals.services import terminals_provision

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system(via="test")


def test_it_registers_indoor_terminals_in_the_homes_under_the_area(tree):
    from shequ.access.models import Device

    specs = terminals_provision(actor=SYSTEM, area=tree.complex_a, count=3, kind="indoor", prefix="t")

    assert [spec.device_id for spec in specs] == ["t-00001", "t-00002", "t-00003"]
    devices = Device.objects.in_bulk([spec.device_id for spec in specs], field_name="device_id")
    homes = {tree.house_a.area.pk, tree.house_a2.area.pk}
    assert {devices[spec.device_id].area_id for spec in specs} == homes  # two homes, three terminals: one takes two
    assert all(devices[spec.device_id].kind == "indoor_terminal" for spec in specs)
    assert specs[0].area_ids == tuple(protocol.area_ids_of_path(devices["t-00001"].area.path))


def test_it_puts_outdoor_terminals_on_the_complex_and_its_buildings(tree):
    from shequ.access.models import Device

    specs = terminals_provision(actor=SYSTEM, area=tree.complex_a, count=2, kind="outdoor", prefix="post")

    places = set(Device.objects.filter(device_id__in=[s.device_id for s in specs]).values_list("area__level", "kind"))
    assert places == {("complex", "outdoor_terminal"), ("building", "outdoor_terminal")}


def test_a_mixed_fleet_has_one_outdoor_terminal_in_ten(tree):
    specs = terminals_provision(actor=SYSTEM, area=tree.complex_a, count=20, kind="mixed")

    assert [spec.kind for spec in specs].count("outdoor_terminal") == 2


def test_provisioning_again_loads_the_same_terminals_and_secrets(tree):
    from shequ.access.models import Device

    first = terminals_provision(actor=SYSTEM, area=tree.complex_a, count=2, kind="indoor")
    again = terminals_provision(actor=SYSTEM, area=tree.complex_a, count=2, kind="indoor")

    assert again == first
    assert Device.objects.count() == 2


def test_it_gives_nothing_for_an_area_without_homes(tree):
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import AreaFactory

    empty = AreaFactory(parent=tree.community_a, level=Area.Level.COMPLEX, code="EMPTY", name="空小区")

    assert terminals_provision(actor=SYSTEM, area=empty, count=2, kind="indoor") == []


def test_it_refuses_a_device_id_taken_by_a_door(tree):
    from shequ.terminals.tests.conftest import make_terminal

    make_terminal(tree.unit_a, "t-00001", kind="unit_door")

    with pytest.raises(ValidationError) as error:
        terminals_provision(actor=SYSTEM, area=tree.complex_a, count=1, kind="indoor", prefix="t")
    assert error.value.error_dict["device_id"][0].code == "not_a_terminal"


def test_staff_of_another_community_cannot_place_terminals_here(tree, outsider):
    from shequ.access.models import Device

    with pytest.raises(PermissionDenied):
        terminals_provision(actor=Actor(user=outsider), area=tree.complex_a, count=1, kind="indoor")
    assert not Device.objects.exists()
