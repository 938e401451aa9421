"""The GeoReport v2 documents as plain data, in the spec's field order; ``wire``
writes them as JSON or XML.

A service request never carries the reporter's name, phone or e-mail: the
fields below are all there is, and none of them holds personal information
beyond what the reporter wrote in the description.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.cases.models import OPEN_STATUSES, Case, Category, Status
from shequ.open311.attributes import attributes_for
from shequ.open311.models import ServiceRequest
from shequ.open311.selectors import CLOSED, OPEN
from shequ.open311.services import service_notice

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: when this API last changed; clients compare it to notice changes (spec: sortable)
CHANGESET = "2026-11-25 00:00"
FORMATS = ["text/xml", "application/json"]


def endpoint_url(request: HttpRequest) -> str:
    """``https://host/open311/v2``: the base the resource names are appended to."""
    return request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "xml"})).rsplit("/", 1)[0]


def discovery_document(request: HttpRequest) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": getattr(settings, "SHEQU_OPEN311_CONTACT", "") or _("请联系平台运维人员。"),
        "key_service": _("API 密钥由平台运维人员签发（shequ apikey create 名称），"
                         "密钥代表一个服务账号，只能访问该账号授权区域内的诉求。"),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": endpoint_url(request),
            "changeset": CHANGESET,
            "type": "production",
            "formats": FORMATS,
        }],
    }


def service_document(category: Category) -> dict[str, Any]:
    keywords = [label.strip() for label in category.hotline_labels.split("|") if label.strip()]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.parent.name} > {category.name}" if category.parent_id else category.name,
        "metadata": True,  # every service has at least the built-in attributes
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": str(category.get_group_display()),
    }


def service_definition_document(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [spec.as_document(order) for order, spec in enumerate(attributes_for(category), start=1)],
    }


def _status_notes(case: Case) -> str:
    if case.status == Status.MERGED and case.merged_into_id:
        return _("已与其他事件合并：%(number)s") % {"number": case.merged_into.number}
    if case.status not in OPEN_STATUSES and case.resolution:
        return case.resolution
    return str(case.get_status_display())


def _agency(case: Case) -> str:
    if case.assignee_name:
        return case.assignee_name
    if case.assignee_org_id:
        return case.assignee_org.name
    return f"{case.complex.name} {case.get_level_display()}"


def _open311_of(case: Case) -> ServiceRequest | None:
    try:
        return case.open311
    except ServiceRequest.DoesNotExist:
        return None


def request_document(case: Case, address: str) -> dict[str, Any]:
    """One service request (select_related category, area, complex, assignee_org,
    merged_into and open311 first; ``address`` from ``selectors.addresses_for``)."""
    extra = _open311_of(case)
    location = " ".join(part for part in (address, case.location_text) if part)
    return {
        "service_request_id": case.number,
        "status": OPEN if case.status in OPEN_STATUSES else CLOSED,
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": _agency(case),
        "service_notice": service_notice(case) or None,
        "requested_datetime": case.received_at,
        "updated_datetime": case.updated_at,
        "expected_datetime": case.due_at,
        "address": location or None,
        "address_id": case.area.code,
        "zipcode": None,
        "lat": float(case.latitude) if case.latitude is not None else None,
        "long": float(case.longitude) if case.longitude is not None else None,
        "media_url": (extra.media_url or None) if extra else None,
    }


def created_document(row: ServiceRequest) -> list[dict[str, Any]]:
    """The POST answer. Requests are filed at once, so it gives the id; the token
    is there too, for clients written for servers that answer with tokens."""
    return [{
        "service_request_id": row.case.number,
        "token": row.token,
        "service_notice": service_notice(row.case),
        "account_id": row.account_id or None,
    }]


def token_document(row: ServiceRequest) -> list[dict[str, Any]]:
    return [{"service_request_id": row.case.number, "token": row.token}]
