"""Areas and houses."""

from decimal import Decimal

import pytest

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.exchange.importers import import_file
from shequ.exchange.tests.import_files import write_table
from shequ.registry.models import Area, House

AREA_HEADER = ["编码", "名称", "层级", "上级编码"]
HOUSE_HEADER = ["单元编码", "房号", "楼层", "建筑面积", "用途", "状态", "产权性质", "房屋编码"]


def run(actor, kind, path, **kwargs):
    return import_file(actor=actor, kind=kind, path=path, **kwargs)


def test_it_imports_an_area_subtree_in_any_row_order(tree, worker, tmp_path):
    rows = [AREA_HEADER,
            ["CQF-09-1", "1单元", "单元", "CQF-09"],  # child before its parent
            ["CQF-09", "9号楼", "楼栋", tree.complex_a.code],
            ["NEW", "新小区", "小区", tree.community_a.code]]

    report = run(Actor(worker), "areas", write_table(tmp_path, rows))

    assert report.ok, report.as_text()
    building = Area.objects.get(code="CQF-09")
    unit = Area.objects.get(code="CQF-09-1")
    assert building.parent == tree.complex_a and building.path == f"{tree.complex_a.path}{building.pk}/"
    assert unit.parent == building and unit.path == f"{building.path}{unit.pk}/" and unit.depth == building.depth + 1
    assert Area.objects.visible_to(worker).filter(code__in=["CQF-09", "CQF-09-1", "NEW"]).count() == 3
    record = AuditRecord.objects.get(action="import.areas")
    assert record.detail["created"] == 3 and record.area_path == tree.community_a.path


def test_it_refuses_bad_area_rows(tree, worker, tmp_path):
    rows = [AREA_HEADER,
            ["CQF", "重复", "小区", tree.community_a.code],  # code taken
            ["X1", "楼", "楼栋", tree.community_a.code],  # a building under a community
            ["61011300100", "社区", "社区", tree.street.code],  # 11 digits
            ["X2", "单元", "单元", "NOWHERE"],
            ["X3", "房", "房屋", tree.unit_a.code],  # houses come through the house import
            ["X4", "X4", "小区", ""]]
    before = Area.objects.count()

    report = run(Actor(worker), "areas", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [
        (2, "编码"), (3, "层级"), (4, "编码"), (5, "上级编码"), (6, "层级"), (7, "上级编码"),
    ]
    assert Area.objects.count() == before


def test_only_the_system_may_import_a_city(tree, worker, tmp_path):
    rows = [AREA_HEADER, ["610200", "铜川市", "市", ""]]

    refused = run(Actor(worker), "areas", write_table(tmp_path, rows))
    accepted = run(Actor.system(), "areas", write_table(tmp_path, rows))

    assert [p.column for p in refused.problems] == ["层级"]
    assert accepted.ok and Area.objects.get(code="610200").path == f"/{Area.objects.get(code='610200').pk}/"


def test_an_outsider_cannot_add_areas_under_another_community(tree, outsider, tmp_path):
    rows = [AREA_HEADER, ["NEW", "新小区", "小区", tree.community_a.code]]

    report = run(Actor(outsider), "areas", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(2, "上级编码")]
    assert "不在您可以导入的区域范围内" in report.problems[0].reason
    assert not Area.objects.filter(code="NEW").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_imports_houses_under_units(tree, worker, tmp_path, fmt):
    rows = [HOUSE_HEADER,
            [tree.unit_a.code, "0401", 4, 89.5, "住宅", "出租", "房改房", ""],
            [tree.unit_a.code, "0402", "4", "120.25", "", "", "", "A-0402"]]

    report = run(Actor(worker), "houses", write_table(tmp_path, rows, fmt))

    assert report.ok, report.as_text()
    first = House.objects.get(area__code=f"{tree.unit_a.code}-0401")
    assert (first.number, first.floor, first.floor_area) == ("0401", 4, Decimal("89.50"))
    assert (first.use, first.status, first.ownership) == ("residential", "rented", "reformed")
    assert first.area.parent == tree.unit_a and first.area.path == f"{tree.unit_a.path}{first.area_id}/"
    second = House.objects.get(area__code="A-0402")
    assert (second.status, second.ownership, second.floor_area) == ("owner_occupied", "commodity", Decimal("120.25"))
    assert AuditRecord.objects.filter(action="import.houses").count() == 1


def test_it_refuses_bad_house_rows(tree, worker, tmp_path):
    rows = [HOUSE_HEADER,
            [tree.unit_a.code, "0301", "3", "90", "", "", "", ""],  # CQF-03-2-0301 exists
            [tree.unit_a.code, "0501", "五", "0", "", "", "", ""],
            [tree.unit_a.code, "0502", "5", "80.123", "仓库", "", "", ""],
            [tree.building_a.code, "0503", "5", "80", "", "", "", ""],  # not a unit
            [tree.unit_a.code, "0504", "5", "80", "", "", "", "DUP"],
            [tree.unit_a.code, "0505", "5", "80", "", "", "", "DUP"]]
    before = House.objects.count()

    report = run(Actor(worker), "houses", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [
        (2, "房屋编码"), (3, "楼层"), (3, "建筑面积"), (4, "建筑面积"), (4, "用途"), (5, "单元编码"), (7, "房屋编码"),
    ]
    assert House.objects.count() == before


def test_an_outsider_cannot_add_houses_to_another_community(tree, outsider, tmp_path):
    rows = [HOUSE_HEADER, [tree.unit_a.code, "0601", "6", "80", "", "", "", ""],
            [tree.unit_b.code, "0601", "6", "80", "", "", "", ""]]

    report = run(Actor(outsider), "houses", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(2, "单元编码")]
    assert not House.objects.filter(number="0601").exists()


def test_dry_run_of_houses_previews_and_writes_nothing(tree, worker, tmp_path):
    rows = [HOUSE_HEADER, [tree.unit_a.code, "0701", "7", "80", "商业", "", "", ""]]

    report = run(Actor(worker), "houses", write_table(tmp_path, rows), dry_run=True)

    assert report.ok and report.preview_rows[0][:2] == [tree.unit_a.code, "0701"]
    assert report.counts == {"商业": 1}
    assert not House.objects.filter(number="0701").exists()
