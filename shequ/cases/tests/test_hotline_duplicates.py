"""Duplicates in a hotline file: tickets imported before, and the same problem reported again."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.cases.deadlines import TZ
from shequ.cases.hotline import hotline_import
from shequ.cases.hotline.duplicates import signature, similarity
from shequ.cases.models import Case, CaseEvent, Channel, Status
from shequ.cases.tests.hotline_files import hotline_file, hotline_row

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system(via="test")
DESCRIPTION = "3号楼门口垃圾堆放三天无人清运，气味很大。"


def run(tmp_path, rows, **options):
    return hotline_import(actor=options.pop("actor", SYSTEM), path=hotline_file(tmp_path, rows), **options)


@pytest.fixture
def open_case(make_case, tree):
    """An open case in complex A about garbage, reported by 138 1234 5678 on 1 March 2025."""
    return make_case(area=tree.building_a, reporter_phone="13812345678", description=DESCRIPTION,
                     received_at=datetime(2025, 3, 1, 8, 0, tzinfo=TZ))


def test_a_call_from_the_same_phone_is_merged_into_the_open_case(open_case, tmp_path):
    report = run(tmp_path, [hotline_row("XA1", 诉求内容="垃圾还是没人管，第二次打电话了")])

    assert report.ok, report.as_text()
    assert report.merged == 1 and report.duplicates[0].target == open_case.number
    duplicate = Case.objects.get(external_ref="XA1")
    assert duplicate.status == Status.MERGED and duplicate.merged_into_id == open_case.pk
    assert Case.objects.filter(status__in=[Status.NEW]).count() == 1  # no second live case
    merged = CaseEvent.objects.get(case=duplicate, action="merged")
    assert merged.detail["into"] == open_case.pk and merged.detail["reason"] == "phone"
    received = CaseEvent.objects.get(case=open_case, action="merge_received")
    assert received.detail["from_number"] == duplicate.number


def test_a_call_in_nearly_the_same_words_from_another_phone_is_merged(open_case, tmp_path):
    report = run(tmp_path, [hotline_row("XA1", 来电号码="13900001111", 诉求内容="3号楼门口的垃圾堆放了三天没人清运，气味很大！")])

    assert report.ok, report.as_text()
    duplicate = Case.objects.get(external_ref="XA1")
    assert duplicate.merged_into_id == open_case.pk
    assert CaseEvent.objects.get(case=duplicate, action="merged").detail["reason"] == "description"


@pytest.mark.parametrize("change", [
    {"来电时间": "2025-03-09 09:00"},  # more than 7 days later
    {"问题分类": "停水"},  # another category
    {"小区名称": "西何小区", "所属社区": "西何社区", "事发地址": "西何小区"},  # another complex
    {"来电号码": "13900001111", "诉求内容": "小区南门路灯坏了一个月"},  # another caller, another problem
])
def test_other_calls_are_not_duplicates(open_case, tmp_path, change):
    report = run(tmp_path, [hotline_row("XA1", **change)])

    assert report.ok, report.as_text()
    assert report.merged == 0
    assert Case.objects.get(external_ref="XA1").status == Status.NEW


def test_a_closed_case_is_not_a_duplicate_target(open_case, tmp_path):
    Case.objects.filter(pk=open_case.pk).update(status=Status.CLOSED)

    report = run(tmp_path, [hotline_row("XA1")])

    assert report.merged == 0 and Case.objects.get(external_ref="XA1").status == Status.NEW


def test_a_repeat_inside_the_file_is_merged_into_the_earlier_row(tree, tmp_path):
    rows = [hotline_row("XA2", 来电时间="2025-03-04 10:00", 诉求内容="又打电话：垃圾还在"),
            hotline_row("XA1", 来电时间="2025-03-03 09:00")]

    report = run(tmp_path, rows)

    assert report.ok, report.as_text()
    first, second = Case.objects.get(external_ref="XA1"), Case.objects.get(external_ref="XA2")
    assert first.status == Status.NEW and second.merged_into_id == first.pk
    assert [(note.row, note.kind, note.target) for note in report.duplicates] == [(2, "in_file", "第3行")]


def test_a_dry_run_reports_the_probable_duplicate(open_case, tmp_path):
    report = run(tmp_path, [hotline_row("XA1")], dry_run=True)

    assert report.ok and report.duplicates[0].kind == "open_case"
    assert report.preview_rows[0][-1] == f"合并到 {open_case.number}"
    assert Case.objects.count() == 1


def test_a_ticket_imported_before_is_skipped(tree, tmp_path):
    run(tmp_path, [hotline_row("XA1")])

    again = run(tmp_path, [hotline_row("XA1"), hotline_row("XA2", 来电号码="13900001111", 诉求内容="路灯不亮请维修")])

    assert again.ok, again.as_text()
    assert again.skipped == 1 and again.created == 1
    assert [(note.row, note.kind) for note in again.duplicates] == [(2, "ticket")]
    assert Case.objects.filter(channel=Channel.HOTLINE, external_ref="XA1").count() == 1
    assert AuditRecord.objects.filter(action="import.hotline").order_by("-seq").first().detail["skipped"] == 1


def test_duplicate_detection_does_not_query_per_row(open_case, tmp_path):
    def queries(n: int) -> int:
        rows = [hotline_row(f"T{n}-{i}", 来电号码=f"139{i:08d}", 诉求内容=f"第{i}号车位被占用{i}") for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            report = run(tmp_path, rows, dry_run=True)
        assert report.ok, report.as_text()
        return len(captured.captured_queries)

    assert queries(3) == queries(30)


def test_similarity_survives_rewording_but_not_another_problem():
    same = similarity(signature("3号楼门口垃圾堆放三天无人清运"), signature("3号楼门口的垃圾堆放了三天没人清运"))
    other = similarity(signature("3号楼门口垃圾堆放三天无人清运"), signature("南门路灯坏了一个月没人修"))

    assert same >= 0.6 > other


def test_the_same_words_about_another_building_are_not_a_duplicate(open_case, tree, tmp_path):
    from shequ.registry.tests.factories import AreaFactory

    AreaFactory(parent=tree.complex_a, level="building", code="CQF-05", name="5号楼")

    report = run(tmp_path, [hotline_row("XA1", 来电号码="13900001111", 事发地址="长庆坊5号楼",
                                        诉求内容="5号楼门口垃圾堆放三天无人清运，气味很大。")])

    assert report.ok, report.as_text()
    assert report.merged == 0


@pytest.mark.parametrize(("mine", "theirs", "expected"), [
    ("/1/9/", "/1/9/20/21/22/", True),  # the complex contains the house
    ("/1/9/20/21/22/", "/1/9/", True),
    ("/1/9/20/", "/1/9/20/21/22/", True),  # the building contains the house
    ("/1/9/20/21/22/", "/1/9/20/21/23/", False),  # two houses
    ("/1/9/20/", "/1/9/30/", False),  # two buildings
])
def test_wording_matches_only_at_compatible_places(mine, theirs, expected):
    from shequ.cases.hotline.duplicates import Candidate, DuplicateFinder

    finder = DuplicateFinder()
    text = "门口垃圾堆放三天无人清运气味很大"
    at = datetime(2025, 3, 3, 9, 0, tzinfo=TZ)
    finder.add_row(1, 1, Candidate(at, "", text, place=theirs, prefixes=finder.prefixes(theirs, "/1/9/"), row=2))

    match = finder.match(1, 1, Candidate(at, "", text, place=mine, prefixes=finder.prefixes(mine, "/1/9/"), row=3))

    assert (match is not None) is expected


def test_importing_the_same_file_again_adds_nothing(tree, tmp_path):
    rows = [hotline_row("XA1"), hotline_row("XA2", 来电号码="13900001111", 诉求内容="路灯不亮请维修")]
    run(tmp_path, rows)

    again = run(tmp_path, rows)

    assert again.ok and again.created == 0 and again.skipped == 2
    assert Case.objects.count() == 2 and CaseEvent.objects.count() == 2
