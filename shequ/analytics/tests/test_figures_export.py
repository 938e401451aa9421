"""The Excel export: the page's table, scoped like the page, audited."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.cases import services as cases
from shequ.cases.models import Category, Channel

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system(via="test")


@pytest.fixture
def two_cases(tree):
    garbage = Category.objects.get(code="garbage")
    for area in (tree.building_a, tree.unit_b):
        cases.case_create(actor=SYSTEM, area=area, channel=Channel.HOTLINE, category=garbage, title="垃圾",
                          description="垃圾未清运")


def _export(client, area, **params):
    return client.get(reverse("analytics:figures_export", args=[area.pk]), params)


def _sheet_rows(response, title: str) -> list[tuple]:
    workbook = load_workbook(BytesIO(response.content))
    return [row for row in workbook[title].iter_rows(values_only=True)]


def test_it_exports_the_figures_table_and_audits_it(street_cadre, client_for, tree, two_cases):
    client = client_for(street_cadre)
    client.get(reverse("analytics:figures"))  # the page refreshes the rollup first
    response = _export(client, tree.street, kind="year")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet_rows(response, "汇总")
    header = rows[2]
    assert header[:3] == ("区域", "受理", "环卫物业水电气暖占比")
    body = {row[0]: row for row in rows[3:]}
    assert body["合计：小寨路街道"][1] == 2
    assert body["长庆坊社区"][1] == 1 and body["西何社区"][1] == 1
    assert _sheet_rows(response, "按渠道")[3][:2] == ("12345热线", 2)
    record = AuditRecord.objects.get(action="export.figures")
    assert (record.actor, record.object_id, record.area_path) == (street_cadre, str(tree.street.pk), tree.street.path)
    assert record.detail["received"] == 2


def test_it_exports_only_the_areas_the_user_sees(worker, client_for, tree, two_cases):
    client = client_for(worker)
    client.get(reverse("analytics:figures"))
    rows = _sheet_rows(_export(client, tree.community_a), "汇总")
    assert [row[0] for row in rows[3:]] == ["合计：长庆坊社区", "长庆坊"]
    assert rows[3][1] == 1


def test_it_refuses_an_outsider_and_audits_nothing(outsider, client_for, tree, two_cases):
    for area in (tree.community_a, tree.street):
        assert _export(client_for(outsider), area).status_code == 404
    assert not AuditRecord.objects.filter(action="export.figures").exists()


def test_it_refuses_a_resident(resident_user, client_for, tree):
    assert _export(client_for(resident_user), tree.complex_a).status_code == 403
    assert not AuditRecord.objects.filter(action="export.figures").exists()
