"""National code tables (GB/T 3304, GB/T 4762, GB/T 2260) as Django choices.

The tables live as CSV under ``data/`` so they can be checked against the
standards line by line and updated without touching code. Names stay as the
standards spell them: they are proper names, not UI text, so they are not
wrapped in gettext.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from django.utils.translation import gettext_lazy as _

ETHNICITY_FILE = "ethnicity_gb3304.csv"
POLITICAL_STATUS_FILE = "political_status_gb4762.csv"
XIAN_DISTRICTS_FILE = "xian_districts.csv"
XIAN_STREETS_FILE = "xian_streets.csv"


@cache
def read_code_table(filename: str) -> tuple[tuple[str, str], ...]:
    """Rows (code, name) of a data/ CSV, read once per process.

    A tuple, because the cached value is shared by every caller and must not be
    mutated. Lines starting with "#" carry provenance notes and are skipped.
    """
    text = (resources.files(__package__) / "data" / filename).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return tuple((row["code"], row["name"]) for row in rows)


@cache
def _names_by_code(filename: str) -> dict[str, str]:
    """Code-to-name lookup for one table."""
    return dict(read_code_table(filename))


ETHNICITY_CHOICES: list[tuple[str, str]] = list(read_code_table(ETHNICITY_FILE))
POLITICAL_STATUS_CHOICES: list[tuple[str, str]] = list(read_code_table(POLITICAL_STATUS_FILE))

# GB/T 2260 gives a prefecture-level city a code ending in 00, its districts and
# counties the codes below it; the demo file holds 西安市 and its districts.
XIAN_CITY: tuple[str, str] = next(row for row in read_code_table(XIAN_DISTRICTS_FILE) if row[0].endswith("00"))
XIAN_DISTRICTS: list[tuple[str, str]] = [
    row for row in read_code_table(XIAN_DISTRICTS_FILE) if not row[0].endswith("00")
]
# demo data: see the header of data/xian_streets.csv for which codes are verified
XIAN_STREETS: list[tuple[str, str]] = list(read_code_table(XIAN_STREETS_FILE))

CARE_TAG_CHOICES: list[tuple[str, str]] = [
    ("elderly_alone", _("独居老人")),
    ("empty_nest", _("空巢老人")),
    ("disabled", _("残疾人")),
    ("low_income", _("低保户")),
    ("veteran", _("退役军人")),
    ("left_behind_child", _("留守儿童")),
    ("serious_illness", _("重病患者")),
    ("special_hardship", _("特困人员")),
    ("community_correction", _("社区矫正人员")),
    ("key_care", _("重点关注")),
]


def ethnicity_name(code: str) -> str | None:
    """Name of a GB/T 3304 ethnicity code, or None if the code is not in the table."""
    return _names_by_code(ETHNICITY_FILE).get(code)


def political_status_name(code: str) -> str | None:
    """Name of a GB/T 4762 political status code, or None if the code is not in the table."""
    return _names_by_code(POLITICAL_STATUS_FILE).get(code)
