"""The hotline's cells: times, deadlines, phones, categories and addresses."""

from __future__ import annotations

from datetime import datetime

import pytest

from shequ.cases.deadlines import TZ
from shequ.cases.hotline.mapper import AddressParts, CategoryIndex, parse_address
from shequ.cases.hotline.parser import parse_datetime, parse_deadline, parse_phone, title_from
from shequ.cases.models import DeadlineUnit
from shequ.exchange.importers.columns import CellError


@pytest.mark.parametrize("text", ["2025-03-03 09:15", "2025/3/3 9:15:00", "2025年3月3日 9时15分", "2025-03-03T09:15:00",
                                  "２０２５-０３-０３ ０９:１５", "45719.385416667"])
def test_it_reads_the_received_time_in_beijing_time(text):
    assert parse_datetime(text) == datetime(2025, 3, 3, 9, 15, tzinfo=TZ)


@pytest.mark.parametrize("text", ["2025-02-30 10:00", "昨天", "2025-13-01", "12345"])
def test_it_refuses_a_bad_time(text):
    with pytest.raises(CellError):
        parse_datetime(text)


def test_it_reads_a_deadline_as_time_or_duration():
    assert parse_deadline("3个工作日").unit == DeadlineUnit.WORKING_DAYS
    assert parse_deadline("24小时").amount == 24
    assert parse_deadline("2025-03-08 18:00").at == datetime(2025, 3, 8, 18, 0, tzinfo=TZ)
    with pytest.raises(CellError):
        parse_deadline("尽快")


@pytest.mark.parametrize(("text", "number"), [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
                                              ("029-88881234", "02988881234"), ("(029)88881234转123", "02988881234")])
def test_it_reads_mobiles_and_landlines(text, number):
    assert parse_phone(text) == number


@pytest.mark.parametrize("text", ["12345", "1381234567", "88881234", "电话"])
def test_it_refuses_a_bad_phone(text):
    with pytest.raises(CellError):
        parse_phone(text)


@pytest.mark.parametrize(("address", "parts"), [
    ("长庆坊3号楼2单元301室", AddressParts(3, 2, 301)),
    ("长庆坊三栋2单元0301", AddressParts(3, 2, 301)),
    ("长庆坊3-2-301", AddressParts(3, 2, 301)),
    ("长庆坊12号楼", AddressParts(12, None, None)),
    ("长庆坊南门", AddressParts()),
])
def test_it_finds_building_unit_and_house_in_an_address(address, parts):
    assert parse_address(address) == parts


def test_it_reads_the_numbers_after_the_complexs_name():
    assert parse_address("朱雀大街12号长庆坊3号楼1单元", "长庆坊") == AddressParts(3, 1, None)


@pytest.mark.django_db
def test_a_category_resolves_by_its_most_specific_known_name():
    index = CategoryIndex.load()

    assert index.resolve(["城乡建设>环境卫生>垃圾清运"]).code == "garbage"
    assert index.resolve(["", "电梯故障", "物业管理"]).code == "elevator"
    assert index.resolve(["物业管理"]).code == "property"
    assert index.resolve(["外星人入侵"]) is None


def test_a_title_is_the_start_of_the_description():
    assert title_from("一二三四五六七八九十" * 4).endswith("…")
    assert title_from("垃圾\n没人清") == "垃圾 没人清"
