"""Valid, unique identity numbers (GB 11643) and mobile numbers for demo people."""

from __future__ import annotations

import random
from datetime import date, timedelta

from shequ.registry.codes import XIAN_DISTRICTS

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_char(body: str) -> str:
    """GB 11643 MOD 11-2 check character of the first 17 digits."""
    return _CHECK[sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS)) % 11]


# A district's code changes when a county becomes a district; an ID keeps the
# code in force when it was issued. (new code, year it came in, old code)
_RENAMED = {
    "610116": (2002, "610121"),  # 长安县 -> 长安区
    "610117": (2014, "610126"),  # 高陵县 -> 高陵区
    "610118": (2016, "610125"),  # 户县 -> 鄠邑区
    "610115": (1997, "610123"),  # 临潼县 -> 临潼区
}

#: where people from outside Xi'an come from: other Shaanxi cities and the neighbouring provinces
MIGRANT_REGIONS = (
    "610402",  # 咸阳 秦都区
    "610502",  # 渭南 临渭区
    "610302",  # 宝鸡 渭滨区
    "610602",  # 延安 宝塔区
    "610702",  # 汉中 汉台区
    "610802",  # 榆林 榆阳区
    "611002",  # 商洛 商州区
    "410102",  # 郑州 中原区
    "620102",  # 兰州 城关区
    "140105",  # 太原 小店区
    "510104",  # 成都 锦江区
    "420102",  # 武汉 江岸区
)
XIAN_REGIONS = tuple(code for code, _name in XIAN_DISTRICTS)


def birth_region(code: str, birth_year: int) -> str:
    """The code an ID issued to someone born in ``birth_year`` would carry."""
    renamed = _RENAMED.get(code)
    if renamed and birth_year < renamed[0]:
        return renamed[1]
    return code


class IdentityMaker:
    """Unique resident ID numbers and mobile numbers from one ``random.Random``."""

    # mainland mobile prefixes by rough market share
    _PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "182", "183", "187", "188",
                 "130", "131", "132", "155", "156", "185", "186", "176", "133", "153", "180", "181", "189", "177",
                 "199", "173", "191", "198", "166", "195")

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self._bodies: set[str] = set()
        self._phones: set[str] = set()

    def birth_date(self, age: int) -> date:
        """A birth date of someone ``age`` years old today."""
        try:
            latest = self.today.replace(year=self.today.year - age)
        except ValueError:  # today is 29 February
            latest = date(self.today.year - age, 2, 28)
        return latest - timedelta(days=self.rng.randrange(365))

    def resident_id(self, region: str, born: date, gender: str) -> str:
        """A valid ID number not handed out before; gender sets the order code's parity."""
        parity = 1 if gender == "M" else 0
        stem = f"{region}{born:%Y%m%d}"
        for _attempt in range(50):
            body = f"{stem}{self.rng.randrange(500) * 2 + parity:03d}"
            if body not in self._bodies:
                self._bodies.add(body)
                return body + check_char(body)
        # 500 people of one sex born on one day in one district: move the birthday
        return self.resident_id(region, born - timedelta(days=1), gender)

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(self._PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number
