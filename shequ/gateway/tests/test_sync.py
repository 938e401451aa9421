"""The gateway's downlink: retained ``state``, ``sync`` pushes on heartbeats and rule
changes, device acks recorded (docs/mqtt.md, "Platform -> device")."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from shequ.access import protocol
from shequ.gateway.tests.conftest import fast_config, gateway_running, run, stop
from shequ.gateway.tests.fleet import Fleet

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def door(tree, person_a):
    """A unit door of person_a's building, registered the normal way; person_a lives there
    and has a PIN, so the door's compiled list is not empty."""
    from shequ.access.services import credential_issue, device_register
    from shequ.accounts.audit import Actor
    from shequ.registry.models import Residence
    from shequ.registry.services import residence_start

    system = Actor.system()
    registered = device_register(actor=system, device_id=f"gwt-door-{uuid.uuid4().hex[:8]}", name="2单元门",
                                 kind="unit_door", area=tree.unit_a)
    residence_start(actor=system, person=person_a, house=tree.house_a, relation=Residence.Relation.OWNER,
                    population_type=Residence.PopulationType.RESIDENT)
    credential_issue(actor=system, person=person_a, kind="pin")
    return registered


def of(fleet: Fleet, name: str) -> list[dict]:
    return [body for _device, kind, body in fleet.received if kind == name]


def test_it_publishes_retained_state_and_syncs_a_device_that_reports_version_0(broker, door, person_a):
    from shequ.access.models import Device

    device = door.device
    latest = Device.objects.get(pk=device.pk).latest_version
    assert latest > 0

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker)) as gateway:
                # connecting after the gateway announced: the state must be retained for a late device
                fleet = Fleet(broker.host, broker.port, {device.device_id: door.secret})
                fleet_task = asyncio.create_task(fleet.run())
                assert await fleet.wait_for(lambda received: of(fleet, "state"), 10)
                await fleet.publish(device.device_id, "heartbeat",
                                    protocol.heartbeat_body(uptime=1.0, synced_version=0, outbox=0), qos=0)
                assert await fleet.wait_for(lambda received: of(fleet, "sync"), 10)
                sync = protocol.sync_parse(of(fleet, "sync")[0])
                await fleet.publish(device.device_id, "ack", protocol.sync_applied_body(sync.version))
                deadline = asyncio.get_running_loop().time() + 10
                while asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.1)
                    if await gateway.db(_synced_version, device.pk) == sync.version:
                        break
            await stop(fleet_task)
            return of(fleet, "state"), sync

    states, sync = run(scenario())

    assert states[0] == {"latest_version": latest}
    assert (sync.version, sync.base, sync.full) == (latest, 0, True)
    assert person_a.pk in [entry.person_id for entry in sync.upserts.people]
    assert sync.credential_key  # a snapshot carries the sealed credential key
    assert Device.objects.get(pk=device.pk).synced_version == latest


def test_it_pushes_a_delta_when_a_credential_is_issued(broker, door, person_a):
    from shequ.access.models import Device

    device = door.device
    before = Device.objects.get(pk=device.pk).latest_version

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker)) as gateway:
                fleet = Fleet(broker.host, broker.port, {device.device_id: door.secret})
                fleet_task = asyncio.create_task(fleet.run())
                await fleet.connected.wait()
                # the device is up to date
                await fleet.publish(device.device_id, "heartbeat",
                                    protocol.heartbeat_body(uptime=1.0, synced_version=before, outbox=0), qos=0)
                await asyncio.sleep(0.3)
                await gateway.db(_issue_card, person_a.pk)
                assert await fleet.wait_for(lambda received: of(fleet, "sync"), 10)
                assert await fleet.wait_for(
                    lambda received: {"latest_version": before} not in of(fleet, "state")[-1:], 10)
            await stop(fleet_task)
            return of(fleet, "state"), of(fleet, "sync")

    states, syncs = run(scenario())

    latest = Device.objects.get(pk=device.pk).latest_version
    assert latest > before
    assert states[-1] == {"latest_version": latest}
    assert len(syncs) == 1
    delta = protocol.sync_parse(syncs[0])
    assert (delta.version, delta.base, delta.full) == (latest, before, False)
    assert [entry.kind for entry in delta.upserts.credentials] == ["card"]


def test_it_does_not_push_the_same_sync_again_at_every_heartbeat(broker, door):
    device = door.device

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker)):
                fleet = Fleet(broker.host, broker.port, {device.device_id: door.secret})
                fleet_task = asyncio.create_task(fleet.run())
                await fleet.connected.wait()
                for _ in range(5):
                    await fleet.publish(device.device_id, "heartbeat",
                                        protocol.heartbeat_body(uptime=1.0, synced_version=0, outbox=0), qos=0)
                    await asyncio.sleep(0.15)
                await asyncio.sleep(0.5)
            await stop(fleet_task)
            return of(fleet, "sync")

    syncs = run(scenario())

    # the config resends after 2 s: five heartbeats within a second get one sync
    assert len(syncs) == 1


def test_it_confirms_face_deletions_the_device_reports(broker, door, person_a):
    from shequ.access.models import TemplatePlacement

    device = door.device
    placement = _placement_to_delete(device, person_a)

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker)) as gateway:
                fleet = Fleet(broker.host, broker.port, {device.device_id: door.secret})
                fleet_task = asyncio.create_task(fleet.run())
                await fleet.connected.wait()
                await fleet.publish(device.device_id, "ack", protocol.face_deleted_body([placement.template_id]))
                deadline = asyncio.get_running_loop().time() + 10
                while gateway.gateway.stats.acks < 1 and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
            await stop(fleet_task)

    run(scenario())

    placement.refresh_from_db()
    assert placement.state == TemplatePlacement.State.DELETED
    assert placement.confirmed_at is not None


def _synced_version(pk: int) -> int:
    from shequ.access.models import Device

    return Device.objects.get(pk=pk).synced_version


def _issue_card(person_pk: int) -> None:
    from shequ.access.services import credential_issue
    from shequ.accounts.audit import Actor
    from shequ.registry.models import Person

    credential_issue(actor=Actor.system(), person=Person.objects.get(pk=person_pk), kind="card", value="A1B2C3D4")


def _placement_to_delete(device, person):
    from django.utils import timezone

    from shequ.access.models import FaceConsent, FaceTemplate, TemplatePlacement

    consent = FaceConsent.objects.create(person=person, method="paper", consented_at=timezone.now(),
                                         withdrawn_at=timezone.now())
    template = FaceTemplate.objects.create(consent=consent, template_cipher="")
    return TemplatePlacement.objects.create(template=template, device=device, state=TemplatePlacement.State.TO_DELETE)
