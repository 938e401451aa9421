"""The audit log is hash-chained and append-only; verification names the broken record."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from shequ.accounts.audit import (
    GENESIS_HASH, Actor, AuditEntry, audit_append, audit_append_many, audit_verify, compute_hash,
)
from shequ.accounts.models import AuditRecord
from shequ.accounts.tests.helpers import disable_audit_triggers

SYSTEM = Actor.system(via="test")


@pytest.fixture
def chain(db) -> list[AuditRecord]:
    """Three fresh records at seq 1..3 (nothing else has written to the log)."""
    assert not AuditRecord.objects.exists()
    return [audit_append(actor=SYSTEM, action=f"test.step{n}", detail={"n": n}) for n in (1, 2, 3)]


def test_it_links_each_record_to_the_one_before(chain):
    first, second, third = chain
    assert first.seq == 1 and first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert second.hash == compute_hash(first.hash, AuditRecord.objects.get(seq=2))


def test_it_appends_many_records_in_order_as_one_unbroken_stretch_of_the_chain(chain):
    records = audit_append_many([AuditEntry(actor=SYSTEM, action=f"test.many{n}", detail={"n": n}) for n in (4, 5)])

    assert [record.seq for record in records] == [4, 5]
    assert records[0].prev_hash == chain[-1].hash and records[1].prev_hash == records[0].hash
    assert list(AuditRecord.objects.order_by("seq").values_list("action", flat=True)[3:]) == ["test.many4", "test.many5"]
    assert audit_verify() == (5, [])


def test_it_finds_an_untouched_chain_intact(chain):
    assert audit_verify() == (3, [])


def test_it_names_an_edited_record(chain):
    disable_audit_triggers()
    AuditRecord.objects.filter(seq=2).update(detail={"n": 20})
    checked, problems = audit_verify()
    assert checked == 3
    assert [(p.seq, p.code) for p in problems] == [(2, "edited")]


def test_it_names_a_record_whose_hash_was_recomputed_after_an_edit(chain):
    disable_audit_triggers()
    record = AuditRecord.objects.get(seq=2)
    record.actor_name = "someone-else"
    AuditRecord.objects.filter(seq=2).update(actor_name="someone-else", hash=compute_hash(record.prev_hash, record))
    _checked, problems = audit_verify()
    assert [(p.seq, p.code) for p in problems] == [(3, "link")]


def test_it_names_a_deleted_record(chain):
    disable_audit_triggers()
    AuditRecord.objects.filter(seq=2).delete()
    checked, problems = audit_verify()
    assert checked == 2
    assert (2, "missing") in [(p.seq, p.code) for p in problems]
    assert (3, "link") in [(p.seq, p.code) for p in problems]


def test_the_database_refuses_an_update_through_the_orm(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(seq=2).update(action="test.changed")
    assert AuditRecord.objects.get(seq=2).action == "test.step2"


def test_the_database_refuses_saving_a_changed_record(chain):
    record = AuditRecord.objects.get(seq=1)
    record.detail = {"n": 99}
    with pytest.raises(DatabaseError), transaction.atomic():
        record.save()
    assert AuditRecord.objects.get(seq=1).detail["n"] == 1


def test_the_database_refuses_a_delete_through_the_orm(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.get(seq=3).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.count() == 3
    assert audit_verify() == (3, [])
