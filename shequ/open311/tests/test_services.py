"""GET services and GET services/{service_code}: the categories as Open311 services."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from shequ.cases.models import Category
from shequ.open311.models import ServiceAttribute
from shequ.open311.tests.conftest import BASE, xml


@pytest.fixture
def colour_question(garbage):
    return ServiceAttribute.objects.create(
        category=garbage, code="bin_colour", description="哪种颜色的垃圾桶", datatype="singlevaluelist", required=True,
        order=1, values=[{"key": "green", "name": "绿色（厨余）"}, {"key": "grey", "name": "灰色（其他）"}],
    )


def test_it_lists_the_active_categories_in_json(client, garbage):
    Category.objects.filter(code="gas").update(is_active=False)
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services = {service["service_code"]: service for service in response.json()}
    assert "gas" not in services
    assert services["garbage"] == {
        "service_code": "garbage", "service_name": "垃圾清运", "description": "环境卫生 > 垃圾清运",
        "metadata": True, "type": "realtime", "keywords": "垃圾清运, 生活垃圾, 垃圾堆放, 建筑垃圾", "group": "环境卫生",
    }


def test_it_lists_the_services_in_xml(client, garbage):
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    service = next(node for node in root.findall("service") if node.findtext("service_code") == "garbage")
    assert [child.tag for child in service] == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert service.findtext("metadata") == "true"
    assert service.findtext("type") == "realtime"
    assert service.findtext("group") == "环境卫生"


def test_it_defines_a_service_with_built_in_and_own_attributes_in_json(client, colour_question):
    response = client.get(f"{BASE}/services/garbage.json")
    assert response.status_code == 200
    definition = response.json()
    assert definition["service_code"] == "garbage"
    codes = [attribute["code"] for attribute in definition["attributes"]]
    assert codes == ["title", "request_type", "urgency", "bin_colour"]
    assert [attribute["order"] for attribute in definition["attributes"]] == [1, 2, 3, 4]
    urgency = definition["attributes"][2]
    assert urgency["datatype"] == "singlevaluelist" and urgency["required"] is False
    assert [value["key"] for value in urgency["values"]] == ["normal", "urgent"]
    colour = definition["attributes"][3]
    assert colour == {
        "variable": True, "code": "bin_colour", "datatype": "singlevaluelist", "required": True,
        "datatype_description": None, "order": 4, "description": "哪种颜色的垃圾桶",
        "values": [{"key": "green", "name": "绿色（厨余）"}, {"key": "grey", "name": "灰色（其他）"}],
    }


def test_it_defines_a_service_in_xml(client, colour_question):
    root = xml(client.get(f"{BASE}/services/garbage.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "garbage"
    attribute = root.findall("attributes/attribute")[3]
    assert [child.tag for child in attribute] == [
        "variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
    assert attribute.findtext("required") == "true"
    assert [(value.findtext("key"), value.findtext("name")) for value in attribute.findall("values/value")] == [
        ("green", "绿色（厨余）"), ("grey", "灰色（其他）")]


def test_it_answers_404_for_an_unknown_service_in_json(client, db):
    response = client.get(f"{BASE}/services/no_such.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "没有代码为“no_such”的服务。"}]


def test_it_answers_404_for_an_unknown_service_in_xml(client, db):
    response = client.get(f"{BASE}/services/no_such.xml")
    assert response.status_code == 404
    root = xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert "no_such" in root.findtext("error/description")


def test_it_answers_404_for_an_inactive_service(client, garbage):
    Category.objects.filter(pk=garbage.pk).update(is_active=False)
    assert client.get(f"{BASE}/services/garbage.json").status_code == 404


def test_it_refuses_an_attribute_that_takes_a_built_in_code(garbage):
    with pytest.raises(ValidationError) as info:
        ServiceAttribute(category=garbage, code="urgency", description="x").full_clean()
    assert "code" in info.value.error_dict


def test_it_refuses_a_list_attribute_without_values(garbage):
    with pytest.raises(ValidationError) as info:
        ServiceAttribute(category=garbage, code="bins", description="x", datatype="multivaluelist").full_clean()
    assert "values" in info.value.error_dict
