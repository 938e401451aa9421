import pytest
from django.urls import reverse

from conftest import make_user
from shequ.accounts.models import AuditRecord
from shequ.exchange.tests.import_files import xlsx_cells
from shequ.registry.models import Facility, Organization, Vehicle

PERSON_A_ID, PERSON_A_PHONE = "610113198005170015", "13812345678"


def download(client, kind, **params):
    response = client.get(reverse("exchange:export", args=[kind]), params)
    content = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, content


def everything(content, tmp_path) -> str:
    return "\n".join("\t".join(row) for row in xlsx_cells(content, tmp_path))


def test_it_exports_people_masked_by_default(person_a, worker, client_for, tmp_path):
    response, content = download(client_for(worker), "people")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    cells = everything(content, tmp_path)
    assert "张三" in cells and "610***********0015" in cells and "138****5678" in cells
    assert PERSON_A_ID not in cells and PERSON_A_PHONE not in cells
    record = AuditRecord.objects.get(action="export.people")
    assert record.actor_id == worker.pk and record.detail["rows"] == 1 and record.detail["clear"] is False


def test_a_clear_export_needs_the_reveal_capability_and_is_audited(person_a, worker, client_for, tmp_path):
    response, content = download(client_for(worker), "people", clear="1")

    assert response.status_code == 200
    cells = everything(content, tmp_path)
    assert PERSON_A_ID in cells and PERSON_A_PHONE in cells
    record = AuditRecord.objects.get(action="export.people")
    assert record.detail["clear"] is True and record.detail["rows"] == 1


def test_a_clear_export_is_refused_if_any_row_lies_outside_the_reveal_rights(tree, person_a, person_b, client_for):
    # staff of community A who may also look at B's complex, but not reveal there
    user = make_user("mixed", "community_staff", tree.community_a)
    from shequ.accounts.models import RoleGrant

    RoleGrant.objects.create(user=user, role="property_staff", area=tree.complex_b)

    response, _content = download(client_for(user), "people", clear="1")

    assert response.status_code == 403
    assert not AuditRecord.objects.filter(action="export.people").exists()


def test_an_outsider_exports_only_their_own_rows(person_a, person_b, outsider, client_for, tmp_path):
    response, content = download(client_for(outsider), "people", clear="1")

    assert response.status_code == 200
    cells = everything(content, tmp_path)
    assert person_b.name in cells and "张三" not in cells and PERSON_A_ID not in cells


def test_the_export_applies_the_list_filters(tree, person_a, person_b, street_cadre, client_for, tmp_path):
    response, content = download(client_for(street_cadre), "people", area=str(tree.community_b.pk))

    cells = everything(content, tmp_path)
    assert person_b.name in cells and "张三" not in cells
    record = AuditRecord.objects.get(action="export.people")
    assert record.detail["rows"] == 1 and record.detail["filters"] == {"area": str(tree.community_b.pk)}
    assert record.area_path == tree.community_b.path


def test_a_forged_area_filter_does_not_widen_the_export(tree, person_a, outsider, client_for, tmp_path):
    response, content = download(client_for(outsider), "people", area=str(tree.community_a.pk))

    assert "张三" not in everything(content, tmp_path)


@pytest.mark.parametrize("kind, mine, theirs", [
    ("houses", "CQF-03-2-0301", "XH-01-1-0101"), ("organizations", "长庆坊物业", "西何物业"),
    ("vehicles", "陕A12345", "陕B12345"), ("facilities", "A栋消防栓", "B栋消防栓"),
])
def test_every_kind_exports_the_visible_rows_and_is_audited(tree, worker, client_for, tmp_path, kind, mine, theirs):
    Organization.objects.create(name="长庆坊物业", kind="property_company", area=tree.complex_a)
    Organization.objects.create(name="西何物业", kind="property_company", area=tree.complex_b)
    Vehicle.objects.create(plate="陕A12345", plate_kind="ordinary", area=tree.complex_a, house=tree.house_a)
    Vehicle.objects.create(plate="陕B12345", plate_kind="ordinary", area=tree.complex_b)
    Facility.objects.create(kind="fire_hydrant", name="A栋消防栓", area=tree.complex_a)
    Facility.objects.create(kind="fire_hydrant", name="B栋消防栓", area=tree.complex_b)

    response, content = download(client_for(worker), kind)

    assert response.status_code == 200
    cells = everything(content, tmp_path)
    assert mine in cells and theirs not in cells
    assert AuditRecord.objects.filter(action=f"export.{kind}", actor=worker).count() == 1


def test_export_needs_the_export_capability(tree, person_a, police, resident_user, client_for):
    for user in (police, resident_user):
        response, _content = download(client_for(user), "people")
        assert response.status_code == 403
    assert not AuditRecord.objects.filter(action="export.people").exists()


def test_an_unknown_kind_is_not_found(worker, client_for):
    response, _content = download(client_for(worker), "secrets")

    assert response.status_code == 404
