import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from shequ.accounts.models import AuditRecord
from shequ.exchange.importers import IMPORTERS
from shequ.exchange.importers.uploads import upload_dir
from shequ.exchange.tests.import_files import write_table
from shequ.registry.models import Person
from shequ.registry.tests.factories import unique_resident_id

HEADER = ["姓名", "证件号码", "手机号码", "房屋编码"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Uploads waiting for confirmation go to a directory of this test's own."""
    settings.DATA_DIR = tmp_path / "data"


def csv_upload(rows) -> SimpleUploadedFile:
    text = "\n".join(",".join(row) for row in rows) + "\n"
    return SimpleUploadedFile("人员.csv", text.encode("utf-8-sig"), content_type="text/csv")


def good_rows(tree, n=2):
    return [HEADER] + [[f"王{i}", unique_resident_id(), "13912345678", tree.house_a.area.code] for i in range(n)]


def test_the_index_offers_kinds_templates_and_exports(tree, worker, client_for):
    response = client_for(worker).get(reverse("exchange:index"))

    assert response.status_code == 200
    page = response.content.decode()
    for kind in IMPORTERS:
        assert reverse("exchange:template", args=[kind]) in page
    assert reverse("exchange:export", args=["people"]) + "?clear=1" in page


def test_import_pages_need_the_import_capability(tree, police, client_for):
    client = client_for(police)

    assert client.get(reverse("exchange:index")).status_code == 403
    assert client.get(reverse("exchange:template", args=["people"])).status_code == 403
    assert client.post(reverse("exchange:confirm"), {"token": "x"}).status_code == 403


def test_a_dry_run_previews_then_confirm_imports(tree, worker, client_for):
    client = client_for(worker)
    rows = good_rows(tree)

    checked = client.post(reverse("exchange:index"), {"kind": "people", "file": csv_upload(rows), "dry_run": "on"})

    assert checked.status_code == 200 and Person.objects.count() == 0
    page = checked.content.decode()
    assert "确认导入" in page and rows[1][1][:3] + "*" * 11 + rows[1][1][-4:] in page and rows[1][1] not in page
    token = re.search(r'name="token" value="([^"]+)"', page)[1]

    done = client.post(reverse("exchange:confirm"), {"token": token})

    assert done.status_code == 200 and "导入完成" in done.content.decode()
    assert Person.objects.count() == 2
    assert AuditRecord.objects.filter(action="import.people", actor=worker).count() == 1
    assert list(upload_dir().iterdir()) == []


def test_a_bad_file_shows_every_problem_and_writes_nothing(tree, worker, client_for):
    rows = good_rows(tree) + [["李四", "610113198005170012", "1391234", "NO-SUCH"]]

    response = client_for(worker).post(reverse("exchange:index"), {"kind": "people", "file": csv_upload(rows)})

    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("<td>4</td>") == 2  # row 4: ID and phone; references are checked on rows fit to write
    assert "610***********0012" in page and "610113198005170012" not in page
    assert Person.objects.count() == 0 and list(upload_dir().iterdir()) == []


def test_a_token_cannot_be_confirmed_by_another_user(tree, worker, street_cadre, client_for):
    checked = client_for(worker).post(reverse("exchange:index"),
                                      {"kind": "people", "file": csv_upload(good_rows(tree)), "dry_run": "on"})
    token = re.search(r'name="token" value="([^"]+)"', checked.content.decode())[1]

    response = client_for(street_cadre).post(reverse("exchange:confirm"), {"token": token})

    assert response.status_code == 302 and Person.objects.count() == 0


def test_a_changed_file_is_not_confirmed(tree, worker, client_for):
    client = client_for(worker)
    checked = client.post(reverse("exchange:index"), {"kind": "people", "file": csv_upload(good_rows(tree)),
                                                      "dry_run": "on"})
    token = re.search(r'name="token" value="([^"]+)"', checked.content.decode())[1]
    for path in upload_dir().iterdir():
        path.write_text("姓名,证件号码,房屋编码\n")

    response = client.post(reverse("exchange:confirm"), {"token": token})

    assert response.status_code == 302 and Person.objects.count() == 0


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_every_template_has_headers_an_example_dropdowns_and_notes(tree, worker, client_for, kind, tmp_path):
    response = client_for(worker).get(reverse("exchange:template", args=[kind]))

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    data, options, notes = workbook.worksheets
    columns = IMPORTERS[kind].columns
    assert [cell.value for cell in data[1]] == [column.header for column in columns]
    assert str(data["A2"].value).startswith("示例：")
    assert options.sheet_state == "hidden"
    with_choices = [column for column in columns if column.choices]
    assert len(data.data_validations.dataValidation) == len(with_choices)
    assert len(list(notes.iter_rows())) >= len(columns) + 5


def test_a_filled_in_template_imports_with_its_example_row_skipped(tree, worker, client_for, tmp_path):
    response = client_for(worker).get(reverse("exchange:template", args=["houses"]))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    sheet.append([tree.unit_a.code, "0901", 9, 88.8, "住宅", "自住", "商品房", ""])
    path = tmp_path / "filled.xlsx"
    workbook.save(path)

    call_command("import_registry", "houses", str(path), "--as", worker.username, stdout=io.StringIO())

    assert tree.unit_a.children.filter(code=f"{tree.unit_a.code}-0901").exists()
    assert not tree.unit_a.children.filter(name="0301").exclude(pk=tree.house_a.area_id).exists()


def test_the_command_prints_the_report_and_exits_1_on_a_bad_file(tree, tmp_path):
    path = write_table(tmp_path, [HEADER, ["李四", "610113198005170012", "", tree.house_a.area.code]])
    out = io.StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("import_registry", "people", str(path), stdout=out)

    assert exit_info.value.code == 1
    assert "第2行" in out.getvalue() and "证件号码" in out.getvalue() and "610***********0012" in out.getvalue()
    assert Person.objects.count() == 0


def test_the_command_dry_run_writes_nothing(tree, tmp_path):
    path = write_table(tmp_path, good_rows(tree))
    out = io.StringIO()

    call_command("import_registry", "people", str(path), "--dry-run", stdout=out)

    assert "试导入通过" in out.getvalue() and Person.objects.count() == 0


def test_the_command_imports_as_the_system_or_as_a_user(tree, outsider, tmp_path):
    path = write_table(tmp_path, good_rows(tree))

    with pytest.raises(SystemExit):
        call_command("import_registry", "people", str(path), "--as", outsider.username, stdout=io.StringIO())
    call_command("import_registry", "people", str(path), stdout=io.StringIO())

    assert Person.objects.count() == 2
    record = AuditRecord.objects.get(action="import.people")
    assert record.actor_id is None and record.detail["via"] == "cli"
