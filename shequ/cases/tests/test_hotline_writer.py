"""Large imports on PostgreSQL go in with COPY: the rows must be the same as bulk_create's."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection

from shequ.accounts.audit import Actor
from shequ.cases.deadlines import TZ
from shequ.cases.hotline import hotline_import
from shequ.cases.models import Case, CaseEvent, Status
from shequ.cases.tests.hotline_files import hotline_file, hotline_row
from shequ.core import pii

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system(via="test")


@pytest.fixture
def copy_path():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")


@pytest.mark.postgres_only
def test_copy_writes_cases_merges_and_steps_like_the_orm(copy_path, make_case, tree, tmp_path):
    original = make_case(reporter_phone="13812345678", received_at=datetime(2025, 3, 1, 8, 0, tzinfo=TZ))
    rows = [hotline_row("XA1"),  # same phone as the open case
            hotline_row("XA2", 来电号码="13900001111", 诉求内容="南门路灯坏了\t一个月\\没人修", 问题分类="停电"),
            hotline_row("XA3", 来电号码="13900001111", 来电时间="2025-03-04 10:00", 诉求内容="路灯还没修", 问题分类="停电")]

    report = hotline_import(actor=SYSTEM, path=hotline_file(tmp_path, rows), copy_min_rows=1)

    assert report.ok, report.as_text()
    first, second, third = (Case.objects.get(external_ref=ticket) for ticket in ("XA1", "XA2", "XA3"))
    assert (first.status, first.merged_into_id) == (Status.MERGED, original.pk)
    assert (second.status, second.merged_into_id) == (Status.NEW, None)
    assert (third.status, third.merged_into_id) == (Status.MERGED, second.pk)
    assert second.description == "南门路灯坏了\t一个月\\没人修"
    assert pii.decrypt(second.reporter_phone_cipher) == "13900001111"
    assert second.received_at == datetime(2025, 3, 3, 9, 15, tzinfo=TZ) and second.due_at is not None
    assert second.created_at is not None and second.area_id == tree.house_a.area_id
    actions = sorted(CaseEvent.objects.filter(case__in=[first, second, third, original])
                     .values_list("case_id", "action"))
    assert actions == sorted([(original.pk, "created"), (first.pk, "created"), (second.pk, "created"),
                              (third.pk, "created"), (first.pk, "merged"), (third.pk, "merged"),
                              (original.pk, "merge_received"), (second.pk, "merge_received")])
    received = CaseEvent.objects.get(case=second, action="merge_received")
    assert received.detail["from_number"] == third.number and received.actor_name == "<test>"
