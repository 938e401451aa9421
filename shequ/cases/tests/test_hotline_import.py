"""The hotline import: mapping, all-or-nothing refusal, scope, protected phones, encodings."""

from __future__ import annotations

from datetime import datetime

import pytest

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.cases.deadlines import TZ
from shequ.cases.hotline import hotline_import
from shequ.cases.models import Case, CaseEvent, Channel, RequestType, Status, Urgency
from shequ.cases.tests.hotline_files import HEADER, hotline_file, hotline_row
from shequ.core import pii

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system(via="test")


def run(tmp_path, rows, actor=SYSTEM, **options):
    fmt = options.pop("fmt", "xlsx")
    encoding = options.pop("encoding", "utf-8")
    header = options.pop("header", HEADER)
    return hotline_import(actor=actor, path=hotline_file(tmp_path, rows, fmt, encoding, header), **options)


def problems(report) -> list[tuple[int, str, str]]:
    return [(problem.row, problem.column, problem.reason) for problem in report.problems]


def test_it_imports_every_row_with_its_mapping(tree, worker, tmp_path):
    rows = [
        hotline_row("XA0001"),
        hotline_row("XA0002", 诉求类型="咨询", 问题分类="停水", 诉求内容="1号楼停水一整天了，什么时候恢复？",
                    事发地址="西何小区1号楼", 所属社区="西何社区", 小区名称="西何小区", 来电号码="13900001111"),
    ]

    report = run(tmp_path, rows)

    assert report.ok, report.as_text()
    assert report.created == 2
    first = Case.objects.get(external_ref="XA0001")
    assert first.channel == Channel.HOTLINE and first.status == Status.NEW
    assert first.category.code == "garbage" and first.request_type == RequestType.COMPLAINT
    assert first.complex_id == tree.complex_a.pk and first.area_id == tree.house_a.area_id
    assert first.received_at == datetime(2025, 3, 3, 9, 15, tzinfo=TZ)
    # ordinary: 7 working days from the day after receipt, due at 18:00
    assert first.due_at == datetime(2025, 3, 12, 18, 0, tzinfo=TZ)
    assert first.reporter_name == "张先生" and first.location_text == "长庆坊3号楼2单元301"
    second = Case.objects.get(external_ref="XA0002")
    assert second.category.code == "water" and second.request_type == RequestType.CONSULTATION
    assert second.complex_id == tree.complex_b.pk
    # utilities: 24 natural hours
    assert second.due_at == datetime(2025, 3, 4, 9, 15, tzinfo=TZ)


def test_it_registers_the_case_on_the_building_when_the_house_is_unknown(tree, tmp_path):
    report = run(tmp_path, [hotline_row(事发地址="长庆坊3号楼5单元")])

    assert report.ok, report.as_text()
    assert Case.objects.get().area_id == tree.building_a.pk


def test_it_finds_the_complex_in_the_address_when_the_name_is_missing(tree, worker, tmp_path):
    report = run(tmp_path, [hotline_row(小区名称="", 所属社区="", 事发地址="雁塔区小寨路长庆坊3号楼门口")],
                 actor=Actor(user=worker))

    assert report.ok, report.as_text()
    assert Case.objects.get().area_id == tree.building_a.pk


def test_it_takes_the_hotlines_deadline_when_it_is_earlier(tree, tmp_path):
    report = run(tmp_path, [hotline_row("XA1", 办理时限="2个工作日"), hotline_row("XA2", 办理时限="2025-03-20 18:00"),
                            hotline_row("XA3", 紧急程度="紧急")])

    assert report.ok, report.as_text()
    due = dict(Case.objects.values_list("external_ref", "due_at"))
    assert due["XA1"] == datetime(2025, 3, 5, 18, 0, tzinfo=TZ)
    assert due["XA2"] == datetime(2025, 3, 12, 18, 0, tzinfo=TZ)  # ours is earlier: ours stands
    assert due["XA3"] == datetime(2025, 3, 3, 11, 15, tzinfo=TZ)  # urgent: 2 hours
    assert Case.objects.get(external_ref="XA3").urgency == Urgency.URGENT


def test_it_refuses_a_file_with_bad_rows_whole_and_names_each(tree, tmp_path):
    rows = [
        hotline_row("XA0001"),
        hotline_row("XA0002", 问题分类="外星人入侵"),
        hotline_row("XA0003", 小区名称="不存在小区"),
        hotline_row("XA0004", 来电时间="2025-02-30 10:00"),
        hotline_row("XA0005", 来电号码="12345"),
        hotline_row("XA0006", 诉求内容=""),
        hotline_row("XA0001"),
        hotline_row("XA0008", 诉求类型="表扬"),
        hotline_row("XA0009", 办理时限="很快"),
    ]

    report = run(tmp_path, rows)

    assert not report.ok
    found = problems(report)
    assert [(row, column) for row, column, _reason in found] == [
        (3, "问题分类"), (4, "小区名称"), (5, "来电时间"), (6, "来电号码"), (7, "诉求内容"), (8, "工单编号"),
        (9, "诉求类型"), (10, "办理时限"),
    ]
    assert "第2行" in found[5][2]
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0
    assert not AuditRecord.objects.filter(action="import.hotline").exists()


def test_a_dry_run_checks_and_previews_but_writes_nothing(tree, tmp_path):
    report = run(tmp_path, [hotline_row("XA1"), hotline_row("XA2", 来电号码="13900001111", 诉求内容="楼道灯坏了")],
                 dry_run=True)

    assert report.ok and report.dry_run
    assert Case.objects.count() == 0
    assert [row[1] for row in report.preview_rows] == ["XA1", "XA2"]
    assert report.preview_rows[0][-2] == "138****5678"


def test_it_stores_the_phone_protected(tree, tmp_path):
    report = run(tmp_path, [hotline_row("XA1"), hotline_row("XA2", 来电号码="029-88881234", 诉求内容="另一件事情说明")])

    assert report.ok, report.as_text()
    mobile = Case.objects.get(external_ref="XA1")
    assert mobile.reporter_phone_masked == "138****5678"
    assert mobile.reporter_phone_digest == pii.digest("phone", "13812345678")
    assert pii.decrypt(mobile.reporter_phone_cipher) == "13812345678"
    landline = Case.objects.get(external_ref="XA2")
    assert pii.decrypt(landline.reporter_phone_cipher) == "02988881234"
    stored = Case.objects.values_list("reporter_phone_cipher", "reporter_phone_masked", "reporter_phone_digest",
                                      "description", "location_text", "title")
    assert not any("13812345678" in value or "88881234" in value for row in stored for value in row)


def test_an_outsider_cannot_import_into_another_communitys_complex(tree, outsider, tmp_path):
    rows = [hotline_row("XA1"),
            hotline_row("XA2", 小区名称="西何小区", 所属社区="西何社区", 事发地址="西何小区1号楼", 诉求内容="1号楼垃圾")]

    report = run(tmp_path, rows, actor=Actor(user=outsider))

    assert not report.ok
    assert [(row, column) for row, column, _reason in problems(report)] == [(2, "小区名称")]
    assert "不在您可以办理的区域范围内" in report.problems[0].reason
    assert Case.objects.count() == 0


def test_a_user_without_casework_rights_can_import_nowhere(tree, guard, tmp_path):
    report = run(tmp_path, [hotline_row("XA1")], actor=Actor(user=guard))

    assert not report.ok and Case.objects.count() == 0


def test_same_named_complexes_are_told_apart_by_community(tree, tmp_path):
    from shequ.registry.tests.factories import AreaFactory

    AreaFactory(parent=tree.community_b, level="complex", code="XH2", name="长庆坊")

    ambiguous = run(tmp_path, [hotline_row("XA1", 所属社区="")])
    assert not ambiguous.ok and "有多个名为“长庆坊”的小区" in ambiguous.problems[0].reason

    report = run(tmp_path, [hotline_row("XA1", 所属社区="西何社区", 事发地址="")])
    assert report.ok, report.as_text()
    assert Case.objects.get().complex.code == "XH2"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_it_reads_csv_in_gbk_and_utf8_with_bom(tree, tmp_path, encoding):
    report = run(tmp_path, [hotline_row("XA1"), hotline_row("XA2", 诉求内容="小区南门路灯不亮，晚上出行不便。")],
                 fmt="csv", encoding=encoding)

    assert report.ok, report.as_text()
    assert sorted(Case.objects.values_list("description", flat=True)) == [
        "3号楼门口垃圾堆放三天无人清运，气味很大。", "小区南门路灯不亮，晚上出行不便。"]


def test_it_accepts_header_aliases_and_split_categories(tree, tmp_path):
    header = ["工单号", "受理时间", "联系电话", "一级分类", "二级分类", "问题描述", "所属小区"]
    rows = [["XA1", "2025/3/3 9:15:30", "13812345678", "物业管理", "电梯故障", "5号楼电梯停运", "长庆坊"]]

    report = run(tmp_path, rows, header=header)

    assert report.ok, report.as_text()
    case = Case.objects.get()
    assert case.category.code == "elevator" and case.received_at == datetime(2025, 3, 3, 9, 15, 30, tzinfo=TZ)


def test_it_reports_a_missing_required_column_once(tree, tmp_path):
    header = ["工单编号", "来电时间", "问题分类", "小区名称"]

    report = run(tmp_path, [["XA1", "2025-03-03 09:00", "垃圾清运", "长庆坊"]] * 2, header=header)

    assert [(row, column) for row, column, _reason in problems(report)] == [(1, "诉求内容")]


def test_it_writes_one_audit_record_and_a_created_step_per_case(tree, tmp_path):
    report = run(tmp_path, [hotline_row("XA1"), hotline_row("XA2", 来电号码="13900001111", 诉求内容="噪音扰民严重")])

    assert report.ok
    record = AuditRecord.objects.get(action="import.hotline")
    assert record.detail["sha256"] == report.sha256 and record.detail["created"] == 2
    assert record.detail["merged"] == 0 and record.detail["skipped"] == 0
    assert CaseEvent.objects.filter(action="created").count() == 2
    assert not AuditRecord.objects.filter(action="case.created").exists()  # one record per file, not per case


def test_numbers_are_assigned_in_one_block(tree, tmp_path):
    rows = [hotline_row(f"XA{n}", 来电号码=f"139{n:08d}", 诉求内容=f"第{n}件事：楼下{n}号车位被占") for n in range(5)]

    report = run(tmp_path, rows)

    assert report.ok, report.as_text()
    serials = sorted(int(number[-5:]) for number in Case.objects.values_list("number", flat=True))
    assert serials == [1, 2, 3, 4, 5]


def test_it_refuses_a_received_time_in_the_future(tree, tmp_path):
    report = run(tmp_path, [hotline_row(来电时间="2099-01-01 10:00")])

    assert [(row, column) for row, column, _reason in problems(report)] == [(2, "来电时间")]


def test_it_refuses_an_old_xls_file(tree, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)

    report = hotline_import(actor=SYSTEM, path=path)

    assert not report.ok and ".xls" in report.problems[0].reason


def test_it_refuses_a_category_that_was_switched_off(tree, tmp_path):
    from shequ.cases.models import Category

    Category.objects.filter(code="garbage").update(is_active=False)

    report = run(tmp_path, [hotline_row("XA1")])

    assert [(row, column) for row, column, _reason in problems(report)] == [(2, "问题分类")]
    assert Case.objects.count() == 0
