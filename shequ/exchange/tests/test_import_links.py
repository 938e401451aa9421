"""Residence, organizations and vehicles: rows that point at people, houses and areas."""

from datetime import date

import pytest

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.exchange.importers import import_file
from shequ.exchange.tests.import_files import write_table
from shequ.registry.models import Organization, Person, Residence, Vehicle
from shequ.registry.tests.factories import PersonFactory

RESIDENCE_HEADER = ["证件号码", "房屋编码", "关系", "人口类型", "入住日期", "迁出日期", "租约到期"]
ORGANIZATION_HEADER = ["名称", "类别", "统一社会信用代码", "区域编码", "地址", "法定代表人"]
VEHICLE_HEADER = ["车牌号", "车主证件号码", "房屋编码", "车位", "区域编码", "品牌型号", "颜色"]
USCC = "91110000802100433B"
PERSON_A_ID = "610113198005170015"


def run(user, kind, path, **kwargs):
    return import_file(actor=Actor(user), kind=kind, path=path, **kwargs)


@pytest.fixture
def person_a_at_community(tree, person_a):
    """person_a registered at the community, not yet living anywhere."""
    Person.objects.filter(pk=person_a.pk).update(area=tree.community_a)
    person_a.refresh_from_db()
    return person_a


def test_it_imports_residence_and_moves_the_person_to_the_house(tree, worker, person_a_at_community, tmp_path):
    rows = [RESIDENCE_HEADER, [PERSON_A_ID, tree.house_a2.area.code, "租户", "流动人口", "2024/3/1", "", "2025-02-28"]]

    report = run(worker, "residence", write_table(tmp_path, rows))

    assert report.ok, report.as_text()
    residence = Residence.objects.get()
    assert (residence.person_id, residence.house_id) == (person_a_at_community.pk, tree.house_a2.pk)
    assert (residence.relation, residence.population_type) == ("tenant", "floating")
    assert (residence.start_date, residence.lease_end) == (date(2024, 3, 1), date(2025, 2, 28))
    person_a_at_community.refresh_from_db()
    assert person_a_at_community.area_id == tree.house_a2.area_id
    assert AuditRecord.objects.filter(action="import.residence").count() == 1


def test_a_past_residence_keeps_the_person_where_they_are(tree, worker, person_a_at_community, tmp_path):
    rows = [RESIDENCE_HEADER, [PERSON_A_ID, tree.house_a2.area.code, "业主", "户籍人口", "2001-01-01", "2010-01-01", ""]]

    report = run(worker, "residence", write_table(tmp_path, rows))

    assert report.ok
    person_a_at_community.refresh_from_db()
    assert person_a_at_community.area_id == tree.community_a.pk


def test_it_refuses_bad_residence_rows(tree, worker, person_a_at_community, person_b, tmp_path):
    Residence.objects.create(person=person_a_at_community, house=tree.house_a, relation="owner",
                             population_type="registered", start_date=date(2020, 1, 1))
    person_b_id = "610113198005170023"  # not registered anywhere
    rows = [RESIDENCE_HEADER,
            [PERSON_A_ID, tree.house_a.area.code, "业主", "户籍人口", "", "", ""],  # already lives there
            [person_b_id, tree.house_a.area.code, "业主", "户籍人口", "", "", ""],
            [PERSON_A_ID, tree.unit_a.code, "房东", "户籍人口", "", "", ""],
            [PERSON_A_ID, tree.house_a2.area.code, "家庭成员", "常住人口", "2024-05-01", "2024-04-01", ""]]

    report = run(worker, "residence", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [
        (2, "房屋编码"), (3, "证件号码"), (4, "关系"), (5, "迁出日期"),
    ]
    assert Residence.objects.count() == 1


def test_an_outsider_cannot_move_people_of_another_community(tree, outsider, person_a, person_b, tmp_path):
    rows = [RESIDENCE_HEADER, [PERSON_A_ID, tree.house_b.area.code, "租户", "流动人口", "", "", ""]]

    report = run(outsider, "residence", write_table(tmp_path, rows))

    # the same words as for an unknown number: the outsider learns nothing about A's people
    assert [(p.row, p.column, p.value) for p in report.problems] == [(2, "证件号码", "610***********0015")]
    assert "没有找到" in report.problems[0].reason
    assert not Residence.objects.exists()


def test_it_imports_organizations(tree, worker, tmp_path):
    rows = [ORGANIZATION_HEADER, ["长庆坊物业", "物业服务企业", USCC.lower(), tree.complex_a.code, "3号楼", "王五"],
            ["长庆坊社区党委", "党组织", "", tree.community_a.code, "", ""]]

    report = run(worker, "organizations", write_table(tmp_path, rows))

    assert report.ok, report.as_text()
    company = Organization.objects.get(kind="property_company")
    assert (company.uscc, company.area_id, company.legal_representative) == (USCC, tree.complex_a.pk, "王五")
    assert Organization.objects.get(kind="party_org").uscc is None


def test_it_refuses_bad_organization_rows(tree, worker, tmp_path):
    Organization.objects.create(name="旧", kind="merchant", uscc=USCC, area=tree.complex_a)
    rows = [ORGANIZATION_HEADER, ["甲", "商户", USCC, tree.complex_a.code, "", ""],
            ["乙", "商户", "91110000802100433C", tree.complex_a.code, "", ""],
            ["丙", "公司", "", tree.complex_a.code, "", ""],
            ["丁", "商户", "", tree.complex_b.code, "", ""]]

    report = run(worker, "organizations", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(2, "统一社会信用代码"), (3, "统一社会信用代码"),
                                                            (4, "类别"), (5, "区域编码")]
    assert Organization.objects.count() == 1


def test_it_imports_vehicles_with_owner_and_house(tree, worker, person_a, tmp_path):
    rows = [VEHICLE_HEADER, ["陕A·12345", PERSON_A_ID, tree.house_a.area.code, "B2-017", "", "比亚迪", "白色"],
            ["陕AD12345", "", "", "", tree.complex_a.code, "", ""]]

    report = run(worker, "vehicles", write_table(tmp_path, rows))

    assert report.ok, report.as_text()
    car = Vehicle.objects.get(plate="陕A12345")
    assert (car.owner_id, car.house_id, car.area_id, car.plate_kind) == (person_a.pk, tree.house_a.pk,
                                                                         tree.complex_a.pk, "ordinary")
    assert Vehicle.objects.get(plate="陕AD12345").plate_kind == "new_energy"


def test_it_refuses_bad_vehicle_rows(tree, worker, person_a, person_b, tmp_path):
    Vehicle.objects.create(plate="陕A00001", plate_kind="ordinary", area=tree.complex_a)
    rows = [VEHICLE_HEADER, ["陕A00001", "", "", "", tree.complex_a.code, "", ""],
            ["陕A0000I", "", "", "", tree.complex_a.code, "", ""],
            ["陕A00002", "610113198005170023", "", "", tree.complex_a.code, "", ""],
            ["陕A00003", "", "", "", "", "", ""],
            ["陕A00004", "", "", "", tree.complex_a.code, "", ""],
            ["陕A-00004", "", "", "", tree.complex_a.code, "", ""]]

    report = run(worker, "vehicles", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [
        (2, "车牌号"), (3, "车牌号"), (4, "车主证件号码"), (5, "区域编码"), (7, "车牌号"),
    ]
    assert Vehicle.objects.count() == 1


def test_an_outsider_cannot_register_vehicles_in_another_community(tree, outsider, person_a, tmp_path):
    rows = [VEHICLE_HEADER, ["陕A54321", PERSON_A_ID, "", "", tree.complex_b.code, "", ""],
            ["陕A54322", "", tree.house_a.area.code, "", "", "", ""]]

    report = run(outsider, "vehicles", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(2, "车主证件号码"), (3, "房屋编码")]
    assert not Vehicle.objects.exists()


def test_a_vehicle_without_area_code_goes_to_the_complex_of_its_house(tree, worker, tmp_path):
    PersonFactory(area=tree.house_a.area)
    rows = [VEHICLE_HEADER, ["陕A11111", "", tree.house_a2.area.code, "", "", "", ""]]

    report = run(worker, "vehicles", write_table(tmp_path, rows))

    assert report.ok, report.as_text()
    assert Vehicle.objects.get().area_id == tree.complex_a.pk


def test_a_clash_that_appears_while_writing_rolls_everything_back(tree, worker, tmp_path, monkeypatch):
    Organization.objects.create(name="旧", kind="merchant", uscc=USCC, area=tree.complex_a)
    # as if another user registered the code between our check and our write
    monkeypatch.setattr("shequ.exchange.importers.organizations.chunks", lambda values: [])
    rows = [ORGANIZATION_HEADER, ["新", "商户", "", tree.complex_a.code, "", ""],
            ["甲", "商户", USCC, tree.complex_a.code, "", ""]]

    report = run(worker, "organizations", write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(0, "")]
    assert list(Organization.objects.values_list("name", flat=True)) == ["旧"]
    assert not AuditRecord.objects.filter(action="import.organizations").exists()
