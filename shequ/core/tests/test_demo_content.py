"""Demo content: made through the services in the seeded 长庆坊, once.

One small seed (with its demo users) and one demo_content_ensure run are shared by
the module and rolled back at the end, as in test_seed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from shequ.access.models import AccessRule, Credential, Device, DeviceEntry
from shequ.accounts.models import AuditRecord, User
from shequ.core.tests.conftest import rolled_back
from shequ.mailbox.models import Letter
from shequ.notices.models import Notice, NoticeRecipient
from shequ.seed import seed
from shequ.seed.demo_content import demo_content_ensure
from shequ.seed.users import demo_users_ensure
from shequ.visitors.models import VisitorPass

PEOPLE = 120
MODELS = (Device, AccessRule, Credential, Notice, VisitorPass, Letter, AuditRecord)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    def make():
        seed(people=PEOPLE, seed=7)
        demo_users_ensure()
        return demo_content_ensure()

    with rolled_back(django_db_blocker, make) as content:
        yield content


@pytest.fixture
def content(seeded, db):
    return seeded


def test_it_registers_the_five_devices_in_the_showcase(content) -> None:
    resident = User.objects.get(username="resident")
    house = resident.grants.get().area
    devices = {device.kind: device for device in Device.objects.select_related("area")}

    assert sorted(devices) == ["gate", "indoor_terminal", "outdoor_terminal", "unit_door", "vehicle_barrier"]
    assert devices["gate"].area.code.endswith("-01")  # the showcase complex
    assert devices["outdoor_terminal"].area == devices["gate"].area
    assert devices["vehicle_barrier"].area == devices["gate"].area
    assert devices["indoor_terminal"].area == house
    assert devices["unit_door"].area_id == house.parent_id


def test_the_resident_card_and_the_staff_rules_reach_the_doors(content) -> None:
    resident = User.objects.get(username="resident")
    card = Credential.objects.get()
    gate = Device.objects.get(device_id="demo-gate")

    assert (card.person, card.kind) == (resident.person, "card")
    assert sorted(AccessRule.objects.values_list("role", flat=True)) == ["guard", "property_staff"]
    assert DeviceEntry.objects.filter(device=gate, kind="c", ref_id=card.pk, deleted=False).exists()


def test_one_notice_is_published_by_a_second_person_and_one_awaits_approval(content) -> None:
    published = Notice.objects.get(status="published")
    pending = Notice.objects.get(status="submitted")

    assert published.author.username == "worker"
    assert published.approved_by.username == "street"
    assert (published.to_residents, published.to_terminals, published.to_staff) == (True, True, True)
    assert NoticeRecipient.objects.filter(notice=published).count() == published.recipient_count > 0
    assert pending.author.username == "worker"
    assert pending.approved_by is None


def test_the_resident_has_a_pass_for_today_and_two_letters(content) -> None:
    resident = User.objects.get(username="resident")
    visitor_pass = VisitorPass.objects.get()
    letters = {letter.kind: letter for letter in Letter.objects.all()}

    assert visitor_pass.issued_by == resident
    assert set(visitor_pass.doors.values_list("device_id", flat=True)) == {"demo-gate", "demo-unit-door"}
    assert sorted(letters) == ["clue", "consultation"]
    assert letters["clue"].anonymous and not letters["consultation"].anonymous
    assert {letter.sender_user for letter in letters.values()} == {resident}


def test_the_kiosk_url_opens_the_indoor_terminal_and_shows_the_notice(content) -> None:
    response = Client().get(content.kiosk_path)

    assert response.status_code == 200
    assert Notice.objects.get(status="published").title in response.content.decode()


def test_a_second_run_creates_nothing(content) -> None:
    before = _counts()

    again = demo_content_ensure()

    assert again.created == []
    assert _counts() == before
    assert again.kiosk_path == content.kiosk_path
