"""The hotline import page, its confirm step, the template, and the command."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from shequ.accounts.models import AuditRecord
from shequ.cases.models import Case, Status
from shequ.cases.tests.hotline_files import HEADER, hotline_file, hotline_row
from shequ.exchange.importers.uploads import upload_dir
from shequ.exchange.tests.import_files import xlsx_cells

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Uploads waiting for confirmation go to a directory of this test's own."""
    settings.DATA_DIR = tmp_path / "data"


def upload(rows, name="热线.csv") -> SimpleUploadedFile:
    text = "\n".join(",".join(row) for row in [HEADER, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def test_the_page_documents_the_columns_and_offers_the_template(tree, worker, client_for):
    response = client_for(worker).get(reverse("cases:hotline_import"))

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("cases:hotline_template") in page
    assert "工单编号" in page and "来电时间" in page and "疑似重复" in page


def test_the_pages_need_the_casework_capability(tree, guard, client_for):
    client = client_for(guard)

    assert client.get(reverse("cases:hotline_import")).status_code == 403
    assert client.get(reverse("cases:hotline_template")).status_code == 403
    assert client.post(reverse("cases:hotline_confirm"), {"token": "x"}).status_code == 403


def test_a_dry_run_previews_then_confirm_imports(tree, worker, client_for):
    client = client_for(worker)

    checked = client.post(reverse("cases:hotline_import"), {"file": upload([hotline_row("XA1")]), "dry_run": "on"})

    assert checked.status_code == 200 and Case.objects.count() == 0
    page = checked.content.decode()
    assert "XA1" in page and "138****5678" in page and "13812345678" not in page
    token = checked.context["token"]
    confirmed = client.post(reverse("cases:hotline_confirm"), {"token": token})

    assert confirmed.status_code == 200
    case = Case.objects.get()
    assert case.external_ref == "XA1" and case.status == Status.NEW
    assert AuditRecord.objects.filter(action="import.hotline", actor=worker).count() == 1
    assert not any(upload_dir().iterdir())  # the waiting file is gone


def test_a_refused_file_shows_every_problem_with_422(tree, worker, client_for):
    rows = [hotline_row("XA1", 问题分类="外星人入侵"), hotline_row("XA2", 来电号码="123")]

    response = client_for(worker).post(reverse("cases:hotline_import"), {"file": upload(rows), "dry_run": "on"})

    assert response.status_code == 422
    page = response.content.decode()
    assert "问题分类" in page and "来电号码" in page and "未写入任何数据" in page
    assert Case.objects.count() == 0 and not any(upload_dir().iterdir())


def test_an_outsider_is_told_the_complex_is_out_of_scope(tree, outsider, client_for):
    response = client_for(outsider).post(reverse("cases:hotline_import"), {"file": upload([hotline_row("XA1")])})

    assert response.status_code == 422
    assert "不在您可以办理的区域范围内" in response.content.decode()
    assert Case.objects.count() == 0


def test_a_token_of_someone_else_is_refused(tree, worker, street_cadre, client_for):
    checked = client_for(worker).post(reverse("cases:hotline_import"),
                                      {"file": upload([hotline_row("XA1")]), "dry_run": "on"})

    response = client_for(street_cadre).post(reverse("cases:hotline_confirm"), {"token": checked.context["token"]})

    assert response.status_code == 302 and Case.objects.count() == 0


def test_the_template_is_an_xlsx_with_the_columns(tree, worker, client_for, tmp_path):
    response = client_for(worker).get(reverse("cases:hotline_template"))

    assert response.status_code == 200
    cells = xlsx_cells(response.content, tmp_path)
    assert cells[0][:4] == ["工单编号", "来电时间", "来电人", "来电号码"]
    assert cells[1][0].startswith("示例：")


def test_the_template_filled_in_imports(tree, worker, client_for, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "filled.xlsx"
    path.write_bytes(client_for(worker).get(reverse("cases:hotline_template")).content)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    for position, value in enumerate(hotline_row("XA9"), start=1):
        sheet.cell(row=3, column=position, value=value)
    workbook.save(path)

    call_command("hotline_import", str(path), "--as", worker.username)

    assert Case.objects.get().external_ref == "XA9"  # the example row was skipped


def test_the_command_exits_1_and_prints_the_problems(tree, tmp_path, capsys):
    path = hotline_file(tmp_path, [hotline_row("XA1", 小区名称="不存在小区", 事发地址="")])

    with pytest.raises(SystemExit) as exit_info:
        call_command("hotline_import", str(path))

    assert exit_info.value.code == 1
    assert "不存在小区" in capsys.readouterr().out and Case.objects.count() == 0
