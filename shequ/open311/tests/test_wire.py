"""The XML and JSON writers: escaping, empty values, lists."""

from __future__ import annotations

from datetime import datetime, timezone
from xml.etree import ElementTree as ET

from shequ.open311.wire import format_time, to_json, to_xml


def test_it_escapes_markup_in_xml_text():
    body = to_xml("service_requests", [{"description": "<b>垃圾</b> & \"雨水\""}])
    assert b"<b>" not in body
    assert ET.fromstring(body).findtext("request/description") == "<b>垃圾</b> & \"雨水\""


def test_it_writes_booleans_and_empty_values_as_the_spec_shows():
    root = ET.fromstring(to_xml("service_definition", {"required": False, "datatype_description": None}))
    assert root.findtext("required") == "false"
    assert root.find("datatype_description").text is None


def test_it_writes_times_with_the_local_offset_to_the_second():
    moment = datetime(2026, 11, 25, 1, 30, 15, 123456, tzinfo=timezone.utc)
    assert format_time(moment) == "2026-11-25T09:30:15+08:00"
    assert to_json({"at": moment}) == b'{"at":"2026-11-25T09:30:15+08:00"}'


def test_it_writes_json_in_utf8_not_escapes():
    assert to_json(["垃圾"]) == "[\"垃圾\"]".encode()
