"""Read receipts: once per user, households counted once per building, the unread badge."""

from __future__ import annotations

import pytest

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.notices import selectors, services
from shequ.notices.models import Notice, NoticeRecipient, ReadReceipt

pytestmark = pytest.mark.django_db


def read(user, notice):
    return services.notice_read(actor=Actor(user=user), notice=notice)


def test_reading_twice_records_one_receipt(published, resident_user, tree):
    notice = published()
    first, created = read(resident_user, notice)
    again, created_again = read(resident_user, notice)
    assert (created, created_again) == (True, False) and first.pk == again.pk
    assert ReadReceipt.objects.filter(notice=notice).count() == 1
    assert (first.house_id, first.read_at) == (tree.house_a.pk, again.read_at)


def test_reads_are_counted_per_building_by_household(published, resident_user, resident_a2, tree):
    notice = published()
    housemate = make_user("resident_a_2nd", "resident", tree.house_a.area)
    read(resident_user, notice)
    read(housemate, notice)  # same household: still one household read
    counts = selectors.read_counts(notice=notice)
    assert [(row.building_id, row.read, row.recipients, row.percent) for row in counts.buildings] == [
        (tree.building_a.pk, 1, 2, 50.0)]
    assert counts.buildings[0].label == "长庆坊 3号楼"
    read(resident_a2, notice)
    assert selectors.read_counts(notice=notice).percent == 100.0


def test_the_first_read_marks_the_household_and_later_reads_keep_its_time(published, resident_user, tree):
    notice = published()
    receipt, _created = read(resident_user, notice)
    row = NoticeRecipient.objects.get(notice=notice, house=tree.house_a)
    assert row.read_at == receipt.read_at
    assert not NoticeRecipient.objects.get(notice=notice, house=tree.house_a2).read_at


def test_a_resident_of_another_community_cannot_read_it(published, resident_b):
    notice = published()
    with pytest.raises(Notice.DoesNotExist):
        read(resident_b, notice)
    assert not ReadReceipt.objects.exists() and not NoticeRecipient.objects.filter(read_at__isnull=False).exists()


def test_the_unread_badge_counts_my_unopened_notices(published, resident_user, resident_b):
    first, second = published(), published(title="电梯检修")
    assert selectors.unread_count_for(resident_user) == 2
    read(resident_user, first)
    assert selectors.unread_count_for(resident_user) == 1
    assert selectors.unread_count_for(resident_b) == 0
    del second


def test_the_unread_households_list_masks_names(published, resident_user, tree):
    from shequ.registry import services as registry
    from shequ.registry.tests.factories import SYSTEM, PersonFactory

    owner = PersonFactory(area=tree.community_a, name="欧阳娜娜")
    registry.residence_start(actor=SYSTEM, person=owner, house=tree.house_a2, relation="owner",
                             population_type="registered")
    notice = published()
    read(resident_user, notice)
    rows = selectors.attach_household_labels(list(selectors.unread_households(notice=notice)))
    assert [(row.house_id, row.address, row.members) for row in rows] == [
        (tree.house_a2.pk, "长庆坊 3号楼 2单元 0302", ["欧***"])]


def test_mask_name_keeps_only_the_family_initial():
    assert [selectors.mask_name(name) for name in ("张三", "欧阳娜娜", "李", "")] == ["张*", "欧***", "李*", ""]
