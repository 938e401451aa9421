from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shequ.registry.validators import (
    IdDocumentType,
    IdentityInfo,
    validate_area_code,
    validate_id_document,
    validate_mobile,
    validate_plate,
    validate_resident_id,
    validate_uscc,
)

# Fixed so that "future" and "not yet created" do not depend on when the suite runs.
TODAY = date(2025, 6, 1)

# The 18-character numbers below carry correct MOD 11-2 check digits unless a
# test says otherwise, so each one is refused (or accepted) for the reason the
# test names and not for a bad checksum.


def refusal(func: Callable[..., object], *args: object, **kwargs: object) -> ValidationError:
    """Call a validator that must refuse, and return its error."""
    with pytest.raises(ValidationError) as excinfo:
        func(*args, **kwargs)
    return excinfo.value


# --- resident ID ---


def test_it_accepts_a_resident_id_and_reads_birth_date_and_gender() -> None:
    info = validate_resident_id("610113199001010019", today=TODAY)

    assert info == IdentityInfo(number="610113199001010019", birth_date=date(1990, 1, 1), gender="M")


def test_it_accepts_check_digit_x() -> None:
    info = validate_resident_id("11010519491231002X", today=TODAY)

    assert info.number == "11010519491231002X"
    assert info.birth_date == date(1949, 12, 31)


def test_it_normalises_lowercase_x_and_spaces() -> None:
    info = validate_resident_id(" 110105 19491231 002x ", today=TODAY)

    assert info.number == "11010519491231002X"


def test_it_normalises_full_width_digits() -> None:
    info = validate_resident_id("１１０１０５１９４９１２３１００２Ｘ", today=TODAY)

    assert info.number == "11010519491231002X"


def test_it_reads_female_from_an_even_17th_digit() -> None:
    assert validate_resident_id("610113199001010027", today=TODAY).gender == "F"


def test_it_refuses_a_bad_checksum() -> None:
    assert refusal(validate_resident_id, "110105194912310021", today=TODAY).code == "id_checksum"


@pytest.mark.parametrize(
    "number", ["11010519491231002", "11010519491231002X1", "1101051949123100AX", "X10105194912310021"]
)
def test_it_refuses_wrong_length_or_characters(number: str) -> None:
    assert refusal(validate_resident_id, number, today=TODAY).code == "id_format"


def test_it_refuses_feb_29_in_a_non_leap_year() -> None:
    assert refusal(validate_resident_id, "61011319990229002X", today=TODAY).code == "id_birth_date"


def test_it_accepts_feb_29_in_a_leap_year() -> None:
    assert validate_resident_id("61011320000229002X", today=TODAY).birth_date == date(2000, 2, 29)


def test_it_refuses_month_13() -> None:
    assert refusal(validate_resident_id, "610113199013010016", today=TODAY).code == "id_birth_date"


def test_it_refuses_a_birth_date_before_1900() -> None:
    assert refusal(validate_resident_id, "610113189912310013", today=TODAY).code == "id_birth_date"


def test_it_refuses_a_birth_date_after_today() -> None:
    assert refusal(validate_resident_id, "610113202506020014", today=TODAY).code == "id_birth_future"


def test_it_accepts_a_birth_date_of_today() -> None:
    assert validate_resident_id("610113202506010019", today=TODAY).birth_date == TODAY


def test_it_accepts_a_retired_county_code_for_someone_born_while_it_existed() -> None:
    # 110103 崇文区 was merged into 东城区 in 2010
    assert validate_resident_id("110103198001010013", today=TODAY).number == "110103198001010013"


def test_it_refuses_a_retired_county_code_for_someone_born_after_it_was_retired() -> None:
    assert refusal(validate_resident_id, "110103201101010015", today=TODAY).code == "id_region"


def test_it_accepts_a_county_code_created_after_birth_and_since_retired() -> None:
    # 610125 户县 (1983-2016, now 鄠邑区 610118): people born there in 1980 got
    # their number under this code, although it did not exist at their birth
    # and does not exist now
    assert validate_resident_id("61012519800101001X", today=TODAY).birth_date == date(1980, 1, 1)


def test_it_refuses_a_retired_county_code_for_someone_born_after_it_was_replaced() -> None:
    assert refusal(validate_resident_id, "610125201701010015", today=TODAY).code == "id_region"


def test_it_refuses_a_county_code_not_yet_created() -> None:
    # 110112 通州区 exists from 1997; on a 1995 "today" no number could carry it
    assert refusal(validate_resident_id, "110112199001010014", today=date(1995, 6, 1)).code == "id_region"
    assert validate_resident_id("110112199001010014", today=TODAY).number == "110112199001010014"


def test_it_refuses_an_unknown_region() -> None:
    error = refusal(validate_resident_id, "999999199001010016", today=TODAY)

    assert error.code == "id_region"
    with translation.override("zh-hans"):
        assert "999999" in error.messages[0]


def test_its_messages_are_simplified_chinese_source_strings() -> None:
    error = refusal(validate_resident_id, "110105194912310021", today=TODAY)

    with translation.override("zh-hans"):
        assert error.messages == ["证件号码的校验码不正确，请核对是否输错。"]


# --- identity documents ---


def test_it_dispatches_resident_ids() -> None:
    info = validate_id_document(IdDocumentType.RESIDENT_ID, "11010519491231002x", today=TODAY)

    assert info.number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("810000199001010019", date(1990, 1, 1)),  # Hong Kong
        ("82000020000229003X", date(2000, 2, 29)),  # Macao
        ("830000198506150024", date(1985, 6, 15)),  # Taiwan
    ],
)
def test_it_accepts_hmt_residence_permits(number: str, born: date) -> None:
    info = validate_id_document(IdDocumentType.HMT_PERMIT, number, today=TODAY)

    assert info.birth_date == born


@pytest.mark.parametrize("number", ["810001199001010015", "610113199001010019"])
def test_it_refuses_an_hmt_permit_outside_the_three_region_codes(number: str) -> None:
    assert refusal(validate_id_document, IdDocumentType.HMT_PERMIT, number, today=TODAY).code == "id_region"


def test_it_refuses_an_hmt_permit_with_a_bad_checksum() -> None:
    assert refusal(validate_id_document, IdDocumentType.HMT_PERMIT, "810000199001010018", today=TODAY).code == (
        "id_checksum"
    )


def test_it_refuses_an_hmt_permit_born_in_the_future() -> None:
    number = "810000199001010019"

    assert refusal(validate_id_document, IdDocumentType.HMT_PERMIT, number, today=date(1989, 1, 1)).code == (
        "id_birth_future"
    )


@pytest.mark.parametrize(("typed", "number"), [("e12345678", "E12345678"), ("G 1234 5678", "G12345678")])
def test_it_accepts_and_normalises_passports(typed: str, number: str) -> None:
    info = validate_id_document(IdDocumentType.PASSPORT, typed, today=TODAY)

    assert info == IdentityInfo(number=number, birth_date=None, gender=None)


@pytest.mark.parametrize("number", ["E123", "E12345678901234567", "E1234-5678", ""])
def test_it_refuses_malformed_passports(number: str) -> None:
    assert refusal(validate_id_document, IdDocumentType.PASSPORT, number, today=TODAY).code == "id_format"


def test_it_accepts_an_old_foreign_permanent_residence_number_without_a_birth_date() -> None:
    info = validate_id_document(IdDocumentType.FOREIGN_PR, "kaz110090123105", today=TODAY)

    # a two-digit year is ambiguous (20 could be 1920 or 2020), so no birth date is guessed
    assert info == IdentityInfo(number="KAZ110090123105", birth_date=None, gender=None)


def test_it_refuses_an_old_foreign_permanent_residence_number_with_an_impossible_date() -> None:
    # month 00
    assert refusal(validate_id_document, IdDocumentType.FOREIGN_PR, "KAZ110090003105", today=TODAY).code == (
        "id_birth_date"
    )


def test_it_accepts_feb_29_in_an_old_foreign_permanent_residence_number_when_one_century_allows_it() -> None:
    # 000229 is 2000-02-29; 1900 was not a leap year but 2000 was
    assert validate_id_document(IdDocumentType.FOREIGN_PR, "USA110000022901", today=TODAY).number == "USA110000022901"
    assert refusal(validate_id_document, IdDocumentType.FOREIGN_PR, "USA110001022901", today=TODAY).code == (
        "id_birth_date"
    )


def test_it_accepts_a_2023_foreign_permanent_residence_number() -> None:
    info = validate_id_document(IdDocumentType.FOREIGN_PR, "932682198501010017", today=TODAY)

    assert info == IdentityInfo(number="932682198501010017", birth_date=date(1985, 1, 1), gender="M")


def test_it_refuses_a_2023_foreign_permanent_residence_number_with_a_bad_checksum() -> None:
    assert refusal(validate_id_document, IdDocumentType.FOREIGN_PR, "932682198501010018", today=TODAY).code == (
        "id_checksum"
    )


def test_it_refuses_a_2023_foreign_permanent_residence_number_with_an_unknown_province() -> None:
    assert refusal(validate_id_document, IdDocumentType.FOREIGN_PR, "999398199012310023", today=TODAY).code == (
        "id_region"
    )


@pytest.mark.parametrize("number", ["KA1110090123105", "KAZ11009012310", "832682198501010017", "93268219850101001"])
def test_it_refuses_malformed_foreign_permanent_residence_numbers(number: str) -> None:
    assert refusal(validate_id_document, IdDocumentType.FOREIGN_PR, number, today=TODAY).code == "id_format"


def test_it_refuses_an_unknown_document_type() -> None:
    assert refusal(validate_id_document, "driving_licence", "11010519491231002X", today=TODAY).code == "id_doc_type"


# --- unified social credit code ---


def test_it_accepts_a_uscc() -> None:
    assert validate_uscc("91110000600037341L") == "91110000600037341L"


def test_it_normalises_a_uscc() -> None:
    assert validate_uscc(" 9111 0000 6000 3734 1l ") == "91110000600037341L"


def test_it_refuses_a_uscc_with_a_bad_check_character() -> None:
    assert refusal(validate_uscc, "91110000600037341M").code == "uscc_checksum"


@pytest.mark.parametrize("value", ["A1110000600037341L", "12345", "91110000600037341I"])
def test_it_refuses_a_malformed_uscc(value: str) -> None:
    assert refusal(validate_uscc, value).code == "uscc_format"


# --- plates ---


@pytest.mark.parametrize(
    "plate",
    [
        "陕A12345",  # ordinary
        "陕AD12345",  # small new-energy, pure electric
        "陕AFA1234",  # small new-energy, non-pure electric, letter in the second serial position
        "陕AA12345",  # small new-energy, pure electric, extended series
        "陕A12345D",  # large new-energy
        "陕A1234学",
        "陕A1234警",
        "陕A1234挂",
        "粤Z1234港",
        "粤Z1234澳",
        "沪A1234领",
        "使224001",
    ],
)
def test_it_accepts_plates(plate: str) -> None:
    assert validate_plate(plate) == plate


@pytest.mark.parametrize("typed", ["陕a12345", " 陕A 123 45 ", "陕A·12345", "陕A-12345", "陕Ａ１２３４５"])
def test_it_normalises_plates(typed: str) -> None:
    assert validate_plate(typed) == "陕A12345"


@pytest.mark.parametrize(
    "plate",
    [
        "陕A1234",  # too short
        "陕AI2345",  # I in the serial
        "陕A1O345",  # O in the serial
        "XX12345",  # no province
        "陕A123456",  # 6-digit serial that is neither small nor large new-energy
        "陕AD123456",  # 9 characters
        "陕AD1234A",  # small new-energy must end in 4 digits
        "陕A12345A",  # large new-energy ends in D or F only
        "陕Z1234港",  # Hong Kong plates are 粤Z
        "",
    ],
)
def test_it_refuses_malformed_plates(plate: str) -> None:
    assert refusal(validate_plate, plate).code == "plate_format"


# --- mobiles ---


@pytest.mark.parametrize(
    "typed", ["13812345678", "+86 138 1234 5678", "+8613812345678", "8613812345678", "86-138-1234-5678"]
)
def test_it_accepts_and_normalises_mobiles(typed: str) -> None:
    assert validate_mobile(typed) == "13812345678"


@pytest.mark.parametrize("typed", ["12345678901", "1381234567", "138123456789", "+1 138 1234 5678", "02988888888"])
def test_it_refuses_malformed_mobiles(typed: str) -> None:
    assert refusal(validate_mobile, typed).code == "mobile_format"


# --- area codes ---


@pytest.mark.parametrize(
    ("level", "code"),
    [
        ("city", "610100"),
        ("district", "610113"),
        ("street", "610113001"),
        ("community", "610113001001"),
        ("complex", "锦园小区"),
        ("building", "3"),
        ("unit", "2单元"),
        ("house", "1" * 32),
    ],
)
def test_it_accepts_area_codes(level: str, code: str) -> None:
    assert validate_area_code(level, f" {code} ") == code


@pytest.mark.parametrize(
    ("level", "code"),
    [
        ("district", "61011"),
        ("district", "610113001"),
        ("street", "610113"),
        ("community", "61011300100A"),
        ("house", ""),
        ("house", "   "),
        ("house", "1" * 33),
    ],
)
def test_it_refuses_malformed_area_codes(level: str, code: str) -> None:
    assert refusal(validate_area_code, level, code).code == "area_code_format"


def test_it_normalises_full_width_digits_in_area_codes() -> None:
    assert validate_area_code("community", "６１０１１３００１００１") == "610113001001"


def test_it_refuses_an_unknown_area_level() -> None:
    assert refusal(validate_area_code, "province", "610000").code == "area_level"
