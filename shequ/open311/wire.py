"""GeoReport v2 on the wire: the same data as JSON or as XML, and the spec's errors.

Documents are built as plain Python data (dicts, lists, scalars) and written by
:func:`render`. XML goes through ElementTree, so text is always escaped; a list
becomes repeated elements named by :data:`ITEM_TAGS` (``formats`` holds
``<format>`` elements, ``attributes`` holds ``<attribute>`` ...), as the spec's
examples show.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse

JSON, XML = "json", "xml"
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}

#: the element name of each item of a list, by the list's own element name
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


class Open311Error(Exception):
    """Answer with the spec's error list and this HTTP status (400, 403 or 404)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(text) for text in descriptions]


def format_time(moment: datetime | None) -> str | None:
    """W3C datetime with the offset, to the second: ``2026-11-25T09:30:00+08:00``."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(microsecond=0).isoformat()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item_tag), child)
    else:
        element.text = _text(value)


def to_xml(root_tag: str, document: Any) -> bytes:
    root = ET.Element(root_tag)
    _fill(root, document)
    buffer = BytesIO()
    ET.ElementTree(root).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


def render(fmt: str, root_tag: str, document: Any, *, status: int = 200) -> HttpResponse:
    """The document as ``fmt``; in XML its root element is ``root_tag``."""
    body = to_json(document) if fmt == JSON else to_xml(root_tag, document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_error(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    """``[{"code": 400, "description": "..."}]`` / ``<errors><error><code>400</code>…``."""
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(fmt, "errors", errors, status=status)
