"""Organization pages and their members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.registry import services
from shequ.registry.models import Organization, OrganizationMember

HTMX = {"HTTP_HX_REQUEST": "true"}
USCC = "91110000600037341L"


@pytest.fixture
def org_a(tree):
    return services.organization_create(actor=Actor.system(via="test"), area=tree.complex_a, name="长庆物业",
                                        kind="property_company", uscc=USCC)


def _org_data(tree, **overrides):
    return {"name": "西何超市", "kind": "merchant", "uscc": "", "area": tree.complex_a.pk, "address": "",
            "legal_representative": "", **overrides}


def test_it_lists_and_filters_organizations(tree, org_a, worker, client_for):
    client = client_for(worker)
    assert "长庆物业" in client.get(reverse("registry:organization_list")).content.decode()
    assert "长庆物业" not in client.get(reverse("registry:organization_list"), {"kind": "merchant"}).content.decode()


def test_it_creates_an_organization(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:organization_create"), _org_data(tree))
    organization = Organization.objects.get(name="西何超市")
    assert response["Location"] == reverse("registry:organization_detail", args=[organization.pk])
    assert organization.uscc is None


def test_it_shows_a_bad_uscc_next_to_the_field(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:organization_create"),
                                       _org_data(tree, uscc="91110000600037341X"))
    assert "统一社会信用代码的校验码不正确" in response.content.decode().split('id="field-uscc"')[1]
    assert not Organization.objects.filter(name="西何超市").exists()


def test_it_edits_an_organization(tree, org_a, worker, client_for):
    client_for(worker).post(reverse("registry:organization_edit", args=[org_a.pk]),
                            _org_data(tree, name="长庆物业公司", kind="property_company", uscc=USCC))
    org_a.refresh_from_db()
    assert org_a.name == "长庆物业公司" and org_a.uscc == USCC


def test_it_adds_and_ends_a_member_inline(tree, org_a, person_a, worker, client_for):
    client = client_for(worker)
    response = client.post(reverse("registry:member_add", args=[org_a.pk]),
                           {"person": person_a.pk, "role": "经理", "is_contact": "on"}, **HTMX)
    assert "张三" in response.content.decode()
    member = OrganizationMember.objects.get(organization=org_a, person=person_a)
    assert member.is_contact
    response = client.post(reverse("registry:member_end", args=[member.pk]), {"end_date": "2024-12-31"}, **HTMX)
    member.refresh_from_db()
    assert str(member.end_date) == "2024-12-31"
    assert "2024-12-31" in response.content.decode()


def test_it_deletes_an_organization_without_members(tree, org_a, worker, client_for):
    response = client_for(worker).post(reverse("registry:organization_delete", args=[org_a.pk]))
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=org_a.pk).exists()


def test_the_outsider_cannot_see_change_or_delete_an_organization_of_a(tree, org_a, outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("registry:organization_detail", args=[org_a.pk])).status_code == 404
    client.post(reverse("registry:organization_edit", args=[org_a.pk]), _org_data(tree, area=tree.complex_b.pk))
    client.post(reverse("registry:organization_delete", args=[org_a.pk]))
    org_a.refresh_from_db()
    assert org_a.name == "长庆物业"


def test_the_outsider_cannot_add_a_member_to_an_organization_of_a(tree, org_a, person_b, outsider, client_for):
    response = client_for(outsider).post(reverse("registry:member_add", args=[org_a.pk]), {"person": person_b.pk})
    assert response.status_code == 404
    assert not OrganizationMember.objects.exists()


def test_the_add_member_page_works_without_htmx(tree, org_a, worker, client_for):
    response = client_for(worker).get(reverse("registry:member_add", args=[org_a.pk]))
    assert response.status_code == 200
    assert "<html" in response.content.decode() and 'name="role"' in response.content.decode()


def test_a_guard_cannot_open_create_pages(tree, guard, client_for):
    client = client_for(guard)
    for name in ("person_create", "house_create", "organization_create", "vehicle_create", "facility_create"):
        assert client.get(reverse(f"registry:{name}")).status_code == 403, name
