"""Validators for registry input: identity documents, USCC, plates, mobiles, area codes.

Each validator normalises what people actually type (spaces, full-width
characters, lower-case x) and returns the normalised value, or raises Django's
``ValidationError`` with a stable ``code``. The API layer maps those codes to
field errors, so codes must not change; the messages are zh-hans source strings
that get English translations from the .po files.

This module must not import the registry models: the models use these
validators, and importing them back would be circular.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError


class IdDocumentType(models.TextChoices):
    """Identity documents a resident may be registered with."""

    RESIDENT_ID = "resident_id", _("居民身份证")
    HMT_PERMIT = "hmt_permit", _("港澳台居民居住证")
    PASSPORT = "passport", _("护照")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")


@dataclass(frozen=True)
class IdentityInfo:
    """A normalised document number and what it encodes about its holder."""

    number: str
    birth_date: date | None
    gender: str | None  # "M"/"F"


_MESSAGES = {
    "id_format": _("居民身份证号码应为18位：前17位是数字，最后一位是数字或X。"),
    "id_format_hmt": _("港澳台居民居住证号码应为18位：前17位是数字，最后一位是数字或X。"),
    "id_format_passport": _("护照号码应为5至17位字母或数字。"),
    "id_format_foreign_pr": _("外国人永久居留身份证号码应为15位（3位字母加12位数字），或以9开头的18位号码。"),
    "id_checksum": _("证件号码的校验码不正确，请核对是否输错。"),
    "id_birth_date": _("证件号码中的出生日期不是有效日期。"),
    "id_birth_before_1900": _("证件号码中的出生日期早于1900年。"),
    "id_birth_future": _("证件号码中的出生日期晚于今天。"),
    "id_region": _("证件号码中的地址码%(region)s不存在，或在持证人出生至今从未启用。"),
    "id_region_hmt": _("港澳台居民居住证号码应以810000（香港）、820000（澳门）或830000（台湾）开头。"),
    "id_region_foreign_pr": _("外国人永久居留身份证号码中的受理地代码%(region)s不存在。"),
    "id_doc_type": _("不支持的证件类型：%(doc_type)s。"),
    "uscc_format": _("统一社会信用代码应为18位：前8位是数字，其余为数字或大写字母（不含I、O、S、V、Z）。"),
    "uscc_checksum": _("统一社会信用代码的校验码不正确，请核对是否输错。"),
    "plate_format": _("车牌号格式不正确，例如：陕A12345、陕AD12345。"),
    "mobile_format": _("手机号码应为以13至19开头的11位数字。"),
    "area_level": _("未知的区域层级：%(level)s。"),
    "area_code_format": _("该层级的区划代码应为%(length)s位数字。"),
    "area_code_free_form": _("编号不能为空，且不超过%(max_length)s个字符。"),
}


def _invalid(message_key: str, code: str, **params: object) -> ValidationError:
    """Build the ValidationError; several messages share one code so callers branch on the code only."""
    return ValidationError(_MESSAGES[message_key], code=code, params=params or None)


def _compact(value: str, drop: str = "") -> str:
    """NFKC-fold and upper-case, dropping whitespace and the given separator characters.

    NFKC because Chinese input methods often produce full-width digits and
    letters (１１０１…Ｘ) that look right on screen but fail a plain regex.
    """
    folded = unicodedata.normalize("NFKC", value or "").upper()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in drop)


# --- GB 11643-1999 citizen identity numbers and the documents built on them ---

_GB11643_RE = re.compile(r"\d{17}[\dX]")
_EARLIEST_BIRTH = date(1900, 1, 1)
_HMT_REGIONS = frozenset({"810000", "820000", "830000"})


def _birth_date(yyyymmdd: str, today: date) -> date:
    """Parse and bound the 8-digit birth date code."""
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        raise _invalid("id_birth_date", "id_birth_date") from None
    if born < _EARLIEST_BIRTH:
        raise _invalid("id_birth_before_1900", "id_birth_date")
    # stdnum only checks that the date exists, not that it has happened yet
    if born > today:
        raise _invalid("id_birth_future", "id_birth_future")
    return born


def _check_gb11643(number: str, *, today: date, format_key: str) -> IdentityInfo:
    """Check length, characters, MOD 11-2 check digit and birth date of an 18-character number."""
    if not _GB11643_RE.fullmatch(number):
        raise _invalid(format_key, "id_format")
    # checksum before the date: a typo anywhere shows up here, and "check your
    # typing" is a more useful message than "impossible date"
    if number[-1] != ric.calc_check_digit(number):
        raise _invalid("id_checksum", "id_checksum")
    born = _birth_date(number[6:14], today)
    # the order code (digits 15-17) is odd for men and even for women
    gender = "M" if int(number[16]) % 2 else "F"
    return IdentityInfo(number=number, birth_date=born, gender=gender)


def _gb2260_entry(code: str) -> dict[str, str]:
    """Province and county names stdnum's GB/T 2260 history holds for a 6-digit code."""
    return {key: value for _part, props in numdb.get("cn/loc").info(code) for key, value in props.items()}


# stdnum walks its whole GB/T 2260 tree per lookup (~20 µs); a million-row import
# asks about the same few hundred codes over and over. Bounded: codes come from input.
@lru_cache(maxsize=8192)
def _county_years(region: str) -> tuple[tuple[int | None, int | None], ...] | None:
    """Years in use of each county that ever held this address code.

    stdnum writes a county as ``[start-end]name`` (either year may be blank) or
    just ``name`` when it has been in use throughout; one code may have been
    reused, hence a list. None means the code never denoted a county.
    """
    county_field = _gb2260_entry(region).get("county")
    if county_field is None:
        return None
    spans: list[tuple[int | None, int | None]] = []
    for county in county_field.split(","):
        if not county.startswith("["):
            spans.append((None, None))
            continue
        start, end = county[1:].split("]")[0].split("-")
        spans.append((int(start) if start else None, int(end) if end else None))
    return tuple(spans)  # shared by every caller through the cache: immutable


def _region_was_in_use(region: str, *, born: date, today: date) -> bool:
    """Whether the address code was in use at some time between birth and today.

    The code in a number is the one in force where the person was registered
    when the number was assigned, which can be any time between birth and now.
    So we accept any overlap rather than only the birth year (stdnum's
    ``get_birth_place`` rule): someone born in 1980 in 户县 holds 610125, a
    code stdnum dates 1983-2016, and must not be refused.
    """
    spans = _county_years(region)
    if spans is None:
        return False
    return any(
        (start is None or start <= today.year) and (end is None or end >= born.year) for start, end in spans
    )


def validate_resident_id(value: str, *, today: date | None = None) -> IdentityInfo:
    """Validate a mainland resident identity number (GB 11643-1999) and read birth date and gender."""
    today = today or timezone.localdate()
    number = _compact(value)
    info = _check_gb11643(number, today=today, format_key="id_format")
    region = number[:6]
    if not _region_was_in_use(region, born=info.birth_date, today=today):
        raise _invalid("id_region", "id_region", region=region)
    return info


def _validate_hmt_permit(value: str, *, today: date) -> IdentityInfo:
    """Validate a residence permit for Hong Kong, Macao and Taiwan residents (GB 11643 layout)."""
    number = _compact(value)
    info = _check_gb11643(number, today=today, format_key="id_format_hmt")
    # permits carry the whole region's code, never a county below it
    if number[:6] not in _HMT_REGIONS:
        raise _invalid("id_region_hmt", "id_region")
    return info


_PASSPORT_RE = re.compile(r"[A-Z0-9]{5,17}")


def _validate_passport(value: str) -> IdentityInfo:
    """Validate a passport number loosely: issuing countries use many layouts."""
    number = _compact(value)
    if not _PASSPORT_RE.fullmatch(number):
        raise _invalid("id_format_passport", "id_format")
    return IdentityInfo(number=number, birth_date=None, gender=None)


# 2004-2023 card: ISO 3166-1 alpha-3 nationality, 4-digit accepting-office code,
# YYMMDD birth date, 2 more digits. Public descriptions agree on this layout but
# not on how the last two digits are formed, so we do not check them.
_FOREIGN_PR_OLD_RE = re.compile(r"[A-Z]{3}\d{12}")
# 2023 card: "9", 2-digit province of the accepting office, 3-digit numeric
# nationality, then birth date, order code and check digit as in GB 11643.
_FOREIGN_PR_NEW_RE = re.compile(r"9\d{16}[\dX]")


def _is_real_date(year: int, month: int, day: int) -> bool:
    """Whether the calendar has this day."""
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _old_foreign_pr_date_is_real(yymmdd: str) -> bool:
    """Whether YYMMDD is a real date in either century it could mean.

    No future check: the 19xx reading is always in the past.
    """
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    return any(_is_real_date(century + year, month, day) for century in (1900, 2000))


def _validate_foreign_pr(value: str, *, today: date) -> IdentityInfo:
    """Validate a foreigner's permanent residence ID card number, old (15) or 2023 (18) format."""
    number = _compact(value)
    if _FOREIGN_PR_OLD_RE.fullmatch(number):
        if not _old_foreign_pr_date_is_real(number[7:13]):
            raise _invalid("id_birth_date", "id_birth_date")
        # a two-digit year cannot tell 1920 from 2020, so we would rather return
        # no birth date than a wrong one; the card's printed date is authoritative
        return IdentityInfo(number=number, birth_date=None, gender=None)
    if not _FOREIGN_PR_NEW_RE.fullmatch(number):
        raise _invalid("id_format_foreign_pr", "id_format")
    info = _check_gb11643(number, today=today, format_key="id_format_foreign_pr")
    province = number[1:3]
    if "province" not in _gb2260_entry(f"{province}0000"):
        raise _invalid("id_region_foreign_pr", "id_region", region=province)
    return info


def validate_id_document(doc_type: str, number: str, *, today: date | None = None) -> IdentityInfo:
    """Validate an identity document number of the given IdDocumentType."""
    today = today or timezone.localdate()
    if doc_type == IdDocumentType.RESIDENT_ID:
        return validate_resident_id(number, today=today)
    if doc_type == IdDocumentType.HMT_PERMIT:
        return _validate_hmt_permit(number, today=today)
    if doc_type == IdDocumentType.PASSPORT:
        return _validate_passport(number)
    if doc_type == IdDocumentType.FOREIGN_PR:
        return _validate_foreign_pr(number, today=today)
    raise _invalid("id_doc_type", "id_doc_type", doc_type=doc_type)


# --- GB 32100-2015 unified social credit code ---


def validate_uscc(value: str) -> str:
    """Validate a unified social credit code (统一社会信用代码) and return it upper-cased."""
    try:
        return uscc.validate(_compact(value, drop="-"))
    except InvalidChecksum:
        raise _invalid("uscc_checksum", "uscc_checksum") from None
    except StdnumError:
        # stdnum raises InvalidLength or InvalidFormat; to the user both mean "not shaped like a USCC"
        raise _invalid("uscc_format", "uscc_format") from None


# --- GA 36-2018 motor vehicle plates ---

_PROVINCE = "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
# serial characters: digits and letters, except I and O which read as 1 and 0
_SERIAL = "[0-9A-HJ-NP-Z]"
_PLATE_RES = tuple(
    re.compile(pattern)
    for pattern in (
        # ordinary plate: province, issuing-office letter, 5-character serial
        rf"{_PROVINCE}[A-Z]{_SERIAL}{{5}}",
        # small new-energy vehicle: D/A/B/C/E pure electric, F/G/H/J/K other
        # (the later extension of GA 36-2018's original D and F), any serial
        # character, then 4 digits
        rf"{_PROVINCE}[A-Z][DABCEFGHJK]{_SERIAL}\d{{4}}",
        # large new-energy vehicle: 5 digits, then D or F
        rf"{_PROVINCE}[A-Z]\d{{5}}[DF]",
        # coach (学), police (警), trailer (挂): 4-character serial and a suffix
        rf"{_PROVINCE}[A-Z]{_SERIAL}{{4}}[学警挂]",
        # consulate (领): city letter, 4-digit number
        rf"{_PROVINCE}[A-Z]\d{{4}}领",
        # cross-border Hong Kong / Macao vehicles are registered in Guangdong as 粤Z
        rf"粤Z{_SERIAL}{{4}}[港澳]",
        # embassy (使): 3-digit mission code and 3-digit number
        r"使\d{6}",
    )
)


def validate_plate(value: str) -> str:
    """Validate a Chinese motor vehicle plate number (GA 36) and return it without separators."""
    # people write 陕A·12345 (as printed), 陕A-12345 or 陕A 12345
    plate = _compact(value, drop="·・•-")
    if not any(pattern.fullmatch(plate) for pattern in _PLATE_RES):
        raise _invalid("plate_format", "plate_format")
    return plate


# --- mainland mobile numbers ---

_MOBILE_RE = re.compile(r"1[3-9]\d{9}")


def validate_mobile(value: str) -> str:
    """Validate a mainland mobile number and return its 11 digits without country code."""
    digits = _compact(value, drop="-")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86"):
        # a mainland mobile starts with 1, so a leading 86 can only be the country code
        digits = digits[2:]
    if not _MOBILE_RE.fullmatch(digits):
        raise _invalid("mobile_format", "mobile_format")
    return digits


# --- area codes ---

# GB/T 2260 gives counties (and cities) 6 digits; the statistics division codes
# extend them to 9 digits for streets/towns and 12 for communities/villages.
_AREA_CODE_LENGTH = {"city": 6, "district": 6, "street": 9, "community": 12}
# below the community there is no national code; estates number these themselves
_FREE_FORM_LEVELS = frozenset({"complex", "building", "unit", "house"})
_FREE_FORM_MAX_LENGTH = 32


def validate_area_code(level: str, code: str) -> str:
    """Validate the code of an area node at the given level and return it normalised."""
    # NFKC as for ID numbers: full-width digits from a Chinese input method are still digits
    code = unicodedata.normalize("NFKC", code or "").strip()
    if level in _AREA_CODE_LENGTH:
        length = _AREA_CODE_LENGTH[level]
        if not (len(code) == length and code.isascii() and code.isdigit()):
            raise _invalid("area_code_format", "area_code_format", length=length)
        return code
    if level in _FREE_FORM_LEVELS:
        if not code or len(code) > _FREE_FORM_MAX_LENGTH:
            raise _invalid("area_code_free_form", "area_code_format", max_length=_FREE_FORM_MAX_LENGTH)
        return code
    raise _invalid("area_level", "area_level", level=level)
