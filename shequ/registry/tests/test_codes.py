from __future__ import annotations

from datetime import date

from stdnum.cn import ric

from shequ.registry.codes import (
    CARE_TAG_CHOICES,
    ETHNICITY_CHOICES,
    POLITICAL_STATUS_CHOICES,
    XIAN_CITY,
    XIAN_DISTRICTS,
    XIAN_STREETS,
    ethnicity_name,
    political_status_name,
)
from shequ.registry.validators import validate_area_code, validate_resident_id


def test_it_lists_the_56_ethnic_groups_and_the_two_extra_codes() -> None:
    codes = [code for code, _name in ETHNICITY_CHOICES]

    assert codes == [f"{n:02d}" for n in range(1, 57)] + ["97", "98"]


def test_it_keeps_the_gb3304_order_of_ethnic_groups() -> None:
    assert ETHNICITY_CHOICES[0] == ("01", "汉族")
    assert ETHNICITY_CHOICES[55] == ("56", "基诺族")
    assert ("46", "德昂族") in ETHNICITY_CHOICES
    assert ("98", "外国血统中国籍人士") in ETHNICITY_CHOICES


def test_it_names_every_ethnic_group_once() -> None:
    names = [name for _code, name in ETHNICITY_CHOICES]

    assert len(set(names)) == len(names) == 58
    assert all(name.endswith("族") for name in names[:56])


def test_it_looks_up_ethnicity_names() -> None:
    assert ethnicity_name("03") == "回族"
    assert ethnicity_name("57") is None


def test_it_lists_the_13_political_statuses() -> None:
    assert [code for code, _name in POLITICAL_STATUS_CHOICES] == [f"{n:02d}" for n in range(1, 14)]
    assert POLITICAL_STATUS_CHOICES[0] == ("01", "中国共产党党员")
    assert POLITICAL_STATUS_CHOICES[-1] == ("13", "群众")


def test_it_looks_up_political_status_names() -> None:
    assert political_status_name("10") == "九三学社社员"
    assert political_status_name("14") is None


def test_it_separates_xian_city_from_its_districts() -> None:
    assert XIAN_CITY == ("610100", "西安市")
    assert len(XIAN_DISTRICTS) == 13
    assert ("610118", "鄠邑区") in XIAN_DISTRICTS
    assert all(code.startswith("6101") and not code.endswith("00") for code, _name in XIAN_DISTRICTS)


def test_every_xian_district_code_is_in_use_according_to_stdnum() -> None:
    # cross-check against python-stdnum's independent GB/T 2260 history: a
    # child born this year in each district must get a valid resident ID
    today = date(2025, 6, 1)
    for code, name in XIAN_DISTRICTS:
        body = f"{code}20250101001"
        number = body + ric.calc_check_digit(body + "0")
        assert validate_resident_id(number, today=today).number == number, name


def test_xian_streets_are_9_digit_codes_under_yanta_district() -> None:
    assert ("610113001", "小寨路街道") in XIAN_STREETS
    for code, _name in XIAN_STREETS:
        assert validate_area_code("street", code) == code
        assert code[:6] == "610113"


def test_care_tags_have_unique_keys_and_labels() -> None:
    keys = [key for key, _label in CARE_TAG_CHOICES]
    labels = [str(label) for _key, label in CARE_TAG_CHOICES]

    assert len(keys) == len(set(keys)) == 10
    assert len(labels) == len(set(labels))
    assert ("elderly_alone", "独居老人") in [(key, str(label)) for key, label in CARE_TAG_CHOICES]
