from datetime import date

import pytest
from django.db import connection

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.core import pii
from shequ.exchange.importers import import_file
from shequ.exchange.importers.protect import Protector
from shequ.exchange.tests.import_files import write_table
from shequ.registry.models import CareTag, Person
from shequ.registry.tests.factories import resident_id, unique_resident_id

HEADER = ["姓名", "证件类型", "证件号码", "手机号码", "民族", "政治面貌", "关爱标签", "房屋编码", "社区编码"]
BAD_CHECKSUM = "610113198005170012"  # 610113198005170015 with the last digit changed


def person_row(house_code: str = "", *, name: str = "王五", id_number: str | None = None, phone: str = "13912345678",
               community_code: str = "", tags: str = "") -> list[str]:
    return [name, "居民身份证", id_number or unique_resident_id(), phone, "汉族", "群众", tags, house_code,
            community_code]


def run(user, path, *, dry_run=False, **options):
    return import_file(actor=Actor(user), kind="people", path=path, dry_run=dry_run, **options)


@pytest.fixture
def tags(db):
    CareTag.objects.get(code="elderly_alone")
    CareTag.objects.get(code="disabled")


def test_it_refuses_a_file_with_bad_rows_whole_and_lists_each_problem(tree, worker, tmp_path):
    house = tree.house_a.area.code
    duplicate = unique_resident_id()
    rows = [
        HEADER[1:],  # no 姓名 column
        person_row(house, id_number=duplicate)[1:],  # row 2: fine but for the missing column
        person_row(house, id_number=BAD_CHECKSUM)[1:],  # row 3
        person_row("NO-SUCH-HOUSE")[1:],  # row 4
        person_row(house, id_number=duplicate)[1:],  # row 5
        person_row(house, phone="1381234")[1:],  # row 6
    ]
    before = Person.objects.count()

    report = run(worker, write_table(tmp_path, rows))

    assert not report.ok
    assert [(p.row, p.column) for p in report.problems] == [
        (1, "姓名"), (3, "证件号码"), (4, "房屋编码"), (5, "证件号码"), (6, "手机号码"),
    ]
    reasons = [p.reason for p in report.problems]
    assert "缺少必填列" in reasons[0]
    assert "校验码" in reasons[1]
    assert "NO-SUCH-HOUSE" in reasons[2] and "不存在" in reasons[2]
    assert "第2行" in reasons[3]
    assert "手机号码" in reasons[4]
    assert Person.objects.count() == before


def test_it_lists_rows_with_problems_when_all_columns_are_present(tree, worker, tmp_path):
    house = tree.house_a.area.code
    rows = [HEADER, person_row(house), person_row(house, id_number=BAD_CHECKSUM), person_row("NO-SUCH-HOUSE")]

    report = run(worker, write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(3, "证件号码"), (4, "房屋编码")]
    assert Person.objects.count() == 0


def test_it_masks_personal_values_quoted_in_the_report(tree, worker, tmp_path):
    rows = [HEADER, person_row(tree.house_a.area.code, id_number=BAD_CHECKSUM, phone="13912345")]

    report = run(worker, write_table(tmp_path, rows))

    values = {p.column: p.value for p in report.problems}
    assert values == {"证件号码": "610***********0012", "手机号码": pii.mask_phone("13912345")}
    assert BAD_CHECKSUM not in report.as_text()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_imports_a_good_file_and_writes_one_audit_record(tree, worker, tmp_path, fmt):
    rows = [HEADER] + [person_row(tree.house_a.area.code) for _ in range(3)]
    rows.append(person_row(community_code=tree.community_a.code))
    before = AuditRecord.objects.count()

    report = run(worker, write_table(tmp_path, rows, fmt))

    assert report.ok and report.created == 4
    assert Person.objects.count() == 4
    assert AuditRecord.objects.count() == before + 1
    record = AuditRecord.objects.get(action="import.people")
    assert record.actor_id == worker.pk
    assert record.detail["sha256"] == report.sha256 and record.detail["rows"] == 4 and record.detail["created"] == 4
    ids = sorted(Person.objects.values_list("pk", flat=True))
    assert [record.detail["first_id"], record.detail["last_id"]] == [ids[0], ids[-1]]
    assert record.area_path == tree.community_a.path


def test_it_stores_what_person_create_would(tree, worker, tmp_path, tags):
    rows = [HEADER, ["张三", "", " 11010519491231002x ", "+86 139-1234-5678", "03", "中共党员", "独居老人、disabled",
                     tree.house_a.area.code, ""]]

    report = run(worker, write_table(tmp_path, rows))

    assert report.ok, report.as_text()
    person = Person.objects.get()
    assert person.name == "张三" and person.id_type == "resident_id"
    assert pii.decrypt(person.id_number_cipher) == "11010519491231002X"
    assert person.id_number_digest == pii.digest("id", "11010519491231002X")
    assert person.id_number_masked == "110***********002X" and person.id_tail == "002X"
    assert person.birth_date == date(1949, 12, 31) and person.gender == "F"
    assert pii.decrypt(person.phone_cipher) == "13912345678" and person.phone_masked == "139****5678"
    assert person.phone_digest == pii.digest("phone", "13912345678")
    assert (person.ethnicity, person.political_status) == ("03", "01")
    assert sorted(person.care_tags.values_list("code", flat=True)) == ["disabled", "elderly_alone"]
    assert person.area_id == tree.house_a.area_id


def test_it_reports_unknown_care_tags_and_codes(tree, worker, tmp_path, tags):
    rows = [HEADER, ["张三", "身份证", unique_resident_id(), "", "火星族", "99", "独居老人,外星人",
                     tree.house_a.area.code, ""]]

    report = run(worker, write_table(tmp_path, rows))

    assert {p.column for p in report.problems} == {"证件类型", "民族", "政治面貌", "关爱标签"}
    assert "外星人" in next(p.reason for p in report.problems if p.column == "关爱标签")


def test_it_refuses_an_id_already_registered(tree, worker, person_a, tmp_path):
    rows = [HEADER, person_row(tree.house_a2.area.code, id_number="610113198005170015")]

    report = run(worker, write_table(tmp_path, rows))

    assert [(p.row, p.column, p.value) for p in report.problems] == [(2, "证件号码", "610***********0015")]
    assert "已登记" in report.problems[0].reason
    assert Person.objects.count() == 1


def test_it_refuses_a_duplicate_within_the_file_by_normalised_number(tree, worker, tmp_path):
    number = unique_resident_id()
    rows = [HEADER, person_row(tree.house_a.area.code, id_number=number),
            person_row(tree.house_a.area.code, id_number=f" {number[:6]} {number[6:]}")]

    report = run(worker, write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(3, "证件号码")]


def test_dry_run_writes_nothing_and_previews_masked_rows(tree, worker, tmp_path):
    number = unique_resident_id()
    rows = [HEADER, person_row(tree.house_a.area.code, id_number=number)] + [
        person_row(tree.house_a.area.code) for _ in range(30)
    ]
    before = AuditRecord.objects.count()

    report = run(worker, write_table(tmp_path, rows), dry_run=True)

    assert report.ok and report.dry_run and report.created == 0
    assert Person.objects.count() == 0 and AuditRecord.objects.count() == before
    assert len(report.preview_rows) == 20 and report.counts == {"居民身份证": 31}
    assert report.preview_rows[0][2] == number[:3] + "*" * 11 + number[-4:]
    assert number not in str(report.preview_rows)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-8"])
def test_it_reads_csv_in_the_encodings_chinese_excel_writes(tree, worker, tmp_path, encoding):
    rows = [HEADER, person_row(tree.house_a.area.code, name="欧阳娜娜")]

    report = run(worker, write_table(tmp_path, rows, "csv", encoding))

    assert report.ok, report.as_text()
    assert Person.objects.get().name == "欧阳娜娜"


def test_it_accepts_english_headers_in_any_order(tree, worker, tmp_path):
    rows = [["House code", "ID number", "Name", "phone"], [tree.house_a.area.code, unique_resident_id(), "Li Lei", ""]]

    report = run(worker, write_table(tmp_path, rows))

    assert report.ok, report.as_text()
    assert Person.objects.get().name == "Li Lei"


def test_it_skips_blank_rows_and_the_template_example_row(tree, worker, tmp_path):
    example = ["示例：张三", "居民身份证", "610113198005170015", "13812345678", "汉族", "群众", "", "CQF-03-2-0301", "", ""]
    rows = [HEADER + ["备注"], example, ["", "", ""], person_row(tree.house_a.area.code) + [""]]

    report = run(worker, write_table(tmp_path, rows))

    assert report.ok and report.rows == 1 and report.created == 1


def test_an_outsider_cannot_import_into_another_community(tree, outsider, tmp_path):
    rows = [HEADER, person_row(tree.house_b.area.code), person_row(tree.house_a.area.code),
            person_row(community_code=tree.community_a.code)]

    report = run(outsider, write_table(tmp_path, rows))

    assert [(p.row, p.column) for p in report.problems] == [(3, "房屋编码"), (4, "社区编码")]
    assert all("不在您可以导入的区域范围内" in p.reason for p in report.problems)
    assert Person.objects.count() == 0


def test_it_refuses_a_house_code_given_as_community_code(tree, worker, tmp_path):
    rows = [HEADER, person_row(community_code=tree.house_a.area.code)]

    report = run(worker, write_table(tmp_path, rows))

    assert [p.column for p in report.problems] == ["社区编码"]


def test_it_refuses_a_file_without_rows(tree, worker, tmp_path):
    report = run(worker, write_table(tmp_path, [HEADER]))

    assert not report.ok and report.problems[0].row == 0


def test_it_refuses_an_old_xls_file(tree, worker, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)

    report = run(worker, path)

    assert not report.ok and ".xlsx" in report.problems[0].reason


def test_parallel_checking_numbers_rows_like_the_sequential_path(tree, worker, tmp_path):
    house = tree.house_a.area.code
    rows = [HEADER + ["备注"]]
    for index in range(200):
        note = "第一行\n第二行，带 \"引号\"" if index % 7 == 0 else ""
        number = BAD_CHECKSUM if index in (50, 151) else unique_resident_id()
        rows.append(person_row(house, id_number=number) + [note])
    path = write_table(tmp_path, rows)

    sequential = run(worker, path, dry_run=True, workers=1)
    parallel = run(worker, path, dry_run=True, workers=2, parallel_min_bytes=0)

    assert [(p.row, p.column) for p in parallel.problems] == [(52, "证件号码"), (153, "证件号码")]
    assert parallel.problems == sequential.problems and parallel.rows == sequential.rows == 200


def test_parallel_import_writes_the_notes_intact(tree, worker, tmp_path):
    rows = [HEADER + ["备注"]] + [person_row(tree.house_a.area.code, name=f"人{i}") + [f"备注\t{i}\\n"] for i in range(50)]

    report = run(worker, write_table(tmp_path, rows), workers=2, parallel_min_bytes=0)

    assert report.ok and report.created == 50
    assert Person.objects.get(name="人7").note == "备注\t7\\n"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and index rebuilds are PostgreSQL's")
def test_the_bulk_path_rebuilds_every_index_and_constraint(tree, worker, person_a, tmp_path, tags):
    def catalogue():
        found = []
        with connection.cursor() as cursor:
            for table in ("registry_person", "registry_person_care_tags"):
                cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
                found.append([row[0] for row in cursor.fetchall()])
                cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                               "WHERE conrelid = %s::regclass ORDER BY 1", [table])
                found.append(cursor.fetchall())
        return found

    before = catalogue()
    rows = [HEADER] + [person_row(tree.house_a.area.code, tags="残疾人") for _ in range(20)]

    report = run(worker, write_table(tmp_path, rows), bulk_min_rows=1)

    assert report.ok and Person.objects.count() == 21
    assert Person.care_tags.through.objects.count() == 20
    assert catalogue() == before
    assert len(before[0]) == 7 and len(before[2]) == 4  # the person and care-tag indexes were there to rebuild


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_copy_path_takes_ids_after_existing_rows(tree, worker, person_a, tmp_path):
    rows = [HEADER] + [person_row(tree.house_a.area.code) for _ in range(3)]

    report = run(worker, write_table(tmp_path, rows))

    assert (report.first_id, report.last_id) == (person_a.pk + 1, person_a.pk + 3)
    later = Person.objects.create(name="x", area=tree.house_a.area, id_number_digest="d")
    assert later.pk > report.last_id


def test_the_batch_protector_writes_what_pii_reads():
    protector = Protector.from_settings()
    number = resident_id(serial=7)

    cipher = protector.encrypt(number)

    assert pii.decrypt(cipher) == number
    assert protector.encrypt(number) != cipher  # a fresh nonce each time
    assert protector.digest("id", number) == pii.digest("id", number)
    assert protector.digest("phone", "13812345678") == pii.digest("phone", "13812345678")


def test_it_refuses_a_file_whose_encoding_changes_midway(tree, worker, tmp_path):
    path = tmp_path / "mixed.csv"
    good = "\n".join(",".join(person_row(tree.house_a.area.code)) for _ in range(6000))  # past the sniffed start
    path.write_bytes(",".join(HEADER).encode() + b"\n" + good.encode() + b"\n" + "王五".encode("gbk") + b",x\n")

    for options in ({"workers": 1}, {"workers": 2, "parallel_min_bytes": 0}):
        report = run(worker, path, **options)
        assert [p.row for p in report.problems] == [0] and "解码" in report.problems[0].reason
    assert Person.objects.count() == 0
