"""Vehicles (GA 36 plates) and facilities with inspection dates."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

_SERIAL = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0
_DIGITS = "0123456789"
# Xi'an plates are 陕A, with 陕U added when 陕A ran out; some cars come from elsewhere
_PREFIXES = (("陕A", 82), ("陕U", 10), ("陕D", 2), ("陕E", 1), ("豫A", 1), ("甘A", 1), ("晋A", 1), ("川A", 1), ("京N", 1))
_PREFIX_CODES, _PREFIX_WEIGHTS = zip(*_PREFIXES)
_BRANDS = ("大众朗逸", "丰田卡罗拉", "本田雅阁", "日产轩逸", "别克英朗", "吉利帝豪", "长安CS75", "哈弗H6",
           "大众迈腾", "奥迪A4L", "宝马3系", "马自达6", "比亚迪宋", "奇瑞瑞虎8", "现代伊兰特")
_NEV_BRANDS = ("比亚迪秦PLUS", "比亚迪汉", "特斯拉Model 3", "特斯拉Model Y", "五菱宏光MINI EV", "理想L7",
               "蔚来ES6", "小鹏P7", "埃安S", "问界M7")
_COLORS = (("白色", 35), ("黑色", 25), ("银色", 12), ("灰色", 12), ("红色", 6), ("蓝色", 6), ("棕色", 2), ("绿色", 2))
_COLOR_NAMES, _COLOR_WEIGHTS = zip(*_COLORS)


class PlateMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._used: set[str] = set()

    def make(self) -> tuple[str, bool]:
        """A unique valid plate and whether it is a (green, 8-character) new-energy plate."""
        rng = self.rng
        new_energy = rng.random() < 0.14
        while True:
            prefix = rng.choices(_PREFIX_CODES, weights=_PREFIX_WEIGHTS)[0]
            if new_energy:
                # small NEV: D (pure electric) or F (hybrid), one serial character, four digits
                plate = prefix + rng.choice("DDDF") + rng.choice(_SERIAL) + "".join(rng.choices(_DIGITS, k=4))
            else:
                letters = rng.randint(0, 2)  # most serials are digits with up to two letters
                chars = [rng.choice(_DIGITS) for _ in range(5)]
                for position in rng.sample(range(5), letters):
                    chars[position] = rng.choice(_SERIAL[10:])
                plate = prefix + "".join(chars)
            if plate not in self._used:
                self._used.add(plate)
                return plate, new_energy

    def brand(self, new_energy: bool) -> str:
        return self.rng.choice(_NEV_BRANDS if new_energy else _BRANDS)

    def color(self) -> str:
        return self.rng.choices(_COLOR_NAMES, weights=_COLOR_WEIGHTS)[0]


@dataclass(frozen=True)
class FacilitySpec:
    kind: str
    name: str
    location: str
    interval_days: int  # how often the rules want it inspected


# inspection cycles: hydrants and extinguishers yearly (GB 50444), elevators
# yearly periodic inspection (TSG T7001), cameras and gates yearly, chargers quarterly
INTERVALS = {"fire_hydrant": 365, "extinguisher": 365, "elevator": 365, "camera": 365, "gate": 365,
             "charging_point": 90}


def inspection_dates(rng: random.Random, today: date, interval: int, installed: date) -> tuple[date, date]:
    """Last and next inspection; about one in twelve is overdue."""
    if rng.random() < 0.08:
        last = today - timedelta(days=interval + rng.randint(5, 200))
    else:
        last = today - timedelta(days=rng.randint(0, interval - 1))
    last = max(last, installed)
    return last, last + timedelta(days=interval)
