"""``audit_verify`` command: exit 0 and "OK" on an intact chain, exit 1 and the seqs otherwise."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import AuditRecord
from shequ.accounts.tests.helpers import disable_audit_triggers


@pytest.fixture
def chain(db) -> None:
    for n in range(4):
        audit_append(actor=Actor.system(via="test"), action="test.step", detail={"n": n})


def run() -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def test_it_reports_an_intact_chain_and_exits_0(chain):
    output, status = run()
    assert status == 0
    assert output.strip() == "OK: 4 records, chain intact"


def test_it_reports_an_empty_log_as_intact(db):
    assert run() == ("OK: 0 records, chain intact\n", 0)


def test_it_names_an_edited_record_and_exits_1(chain):
    disable_audit_triggers()
    AuditRecord.objects.filter(seq=3).update(action="test.forged")
    output, status = run()
    assert status == 1
    assert output.splitlines() == ["record #3: content does not match its hash (edited)"]


def test_it_names_a_deleted_record_and_exits_1(chain):
    disable_audit_triggers()
    AuditRecord.objects.filter(seq=2).delete()
    output, status = run()
    assert status == 1
    assert "record #2: records 2..2 are missing (deleted)" in output.splitlines()
