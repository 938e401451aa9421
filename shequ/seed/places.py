"""The shape of demo Xi'an: districts, streets, communities and complexes.

District codes are the real GB/T 2260 ones (shequ.registry.codes). Street names
are real; outside 雁塔区 their 9-digit codes are DEMO codes numbered the way the
statistics division codes are (街道 001…, 镇 100…), not checked against the
official tables. Communities and complexes are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shequ.registry.codes import XIAN_DISTRICTS, XIAN_STREETS


@dataclass(frozen=True)
class DistrictInfo:
    weight: float  # share of the city's people (approximate 2020 census)
    lat: float  # rough centre, for facility coordinates
    lon: float
    urban: bool
    streets: tuple[str, ...] = ()


DISTRICTS: dict[str, DistrictInfo] = {
    "610102": DistrictInfo(6, 34.270, 108.960, True, (
        "西一路街道", "长乐中路街道", "中山门街道", "韩森寨街道", "解放门街道", "自强路街道", "太华路街道",
        "长乐西路街道", "胡家庙街道")),
    "610103": DistrictInfo(7, 34.250, 108.950, True, (
        "南院门街道", "柏树林街道", "长乐坊街道", "东关南街街道", "太乙路街道", "文艺路街道", "长安路街道",
        "张家村街道")),
    "610104": DistrictInfo(10, 34.268, 108.920, True, (
        "北院门街道", "青年路街道", "桃园路街道", "红庙坡街道", "环城西路街道", "西关街道", "土门街道",
        "枣园街道", "北关街道")),
    "610111": DistrictInfo(6, 34.272, 109.064, True, (
        "纺织城街道", "十里铺街道", "红旗街道", "席王街道", "洪庆街道", "狄寨街道", "灞桥街道", "新筑街道",
        "新合街道")),
    "610112": DistrictInfo(11, 34.330, 108.940, True, (
        "张家堡街道", "三桥街道", "辛家庙街道", "徐家湾街道", "大明宫街道", "谭家街道", "草滩街道",
        "六村堡街道", "未央宫街道", "汉城街道", "未央湖街道", "建章路街道")),
    "610113": DistrictInfo(16, 34.213, 108.930, True),  # streets from shequ/registry/data/xian_streets.csv
    "610114": DistrictInfo(2.5, 34.662, 109.226, False, (
        "凤凰路街道", "新华路街道", "振兴街道", "新兴街道", "北屯街道", "武屯街道", "关山街道")),
    "610115": DistrictInfo(5, 34.367, 109.214, False, (
        "骊山街道", "秦陵街道", "新丰街道", "代王街道", "斜口街道", "行者街道", "零口街道", "相桥街道",
        "雨金街道", "马额街道")),
    "610116": DistrictInfo(12, 34.157, 108.907, True, (
        "韦曲街道", "郭杜街道", "滦镇街道", "引镇街道", "王寺街道", "鸣犊街道", "大兆街道", "东大街道",
        "子午街道", "太乙宫街道")),
    "610117": DistrictInfo(3, 34.535, 109.088, False, (
        "鹿苑街道", "泾渭街道", "崇皇街道", "姬家街道", "通远街道", "耿镇街道", "张卜街道")),
    "610118": DistrictInfo(4.5, 34.109, 108.605, False, (
        "甘亭街道", "余下街道", "五竹街道", "玉蝉街道", "秦渡街道", "草堂街道", "庞光街道")),
    "610122": DistrictInfo(3.5, 34.152, 109.323, False, (
        "蓝关街道", "洩湖镇", "华胥镇", "前卫镇", "汤峪镇", "焦岱镇", "玉山镇")),
    "610124": DistrictInfo(4, 34.163, 108.222, False, (
        "二曲街道", "哑柏镇", "终南镇", "楼观镇", "尚村镇", "集贤镇", "九峰镇")),
}

#: Hui families cluster around the Muslim quarter (回民街) in 莲湖区
HUI_DISTRICT = "610104"


def district_streets(code: str) -> list[tuple[str, str]]:
    """(9-digit code, name) of the streets and towns of a district."""
    if code == "610113":
        return [(street_code, name) for street_code, name in XIAN_STREETS if street_code.startswith(code)]
    streets, next_street, next_town = [], 1, 100
    for name in DISTRICTS[code].streets:
        if name.endswith("镇"):
            streets.append((f"{code}{next_town:03d}", name))
            next_town += 1
        else:
            streets.append((f"{code}{next_street:03d}", name))
            next_street += 1
    return streets


def district_names() -> dict[str, str]:
    return dict(XIAN_DISTRICTS)


# --- the Changqingfang-like showcase: 42 buildings, 4,800 houses ---

SHOWCASE_DISTRICT = "610113"  # 雁塔区
SHOWCASE_STREET = "610113001"  # 小寨路街道
SHOWCASE_COMMUNITY = ("610113001001", "长庆坊社区")
SHOWCASE_COMPLEX = "长庆坊"


@dataclass(frozen=True)
class BuildingPlan:
    number: int
    units: int
    floors: int
    per_floor: int
    style: str  # "old" walk-ups, "modern" towers, "resettlement"

    @property
    def houses(self) -> int:
        return self.units * self.floors * self.per_floor


def showcase_buildings() -> list[BuildingPlan]:
    """1-24: seven-storey walk-ups of the old oil-field compound; 25-42: newer towers."""
    old = [BuildingPlan(n, units=4, floors=7, per_floor=2, style="old") for n in range(1, 25)]
    towers = [BuildingPlan(n, units=2, floors=24, per_floor=4, style="modern") for n in range(25, 43)]
    return old + towers


# --- invented communities and complexes for everyone else ---

_COMMUNITY_STEMS = (
    "育才路 翠华路 吉祥村 西何 长延堡 科技路 丈八东路 电子西街 雁南 曲江池 芙蓉园 含光路 朱雀 太白 友谊 兴庆 "
    "金花 红专南路 后村 明德门 小寨东路 杨家村 甘家寨 八里村 观音庙 南窑头 庙坡头 东八里 沙井村 鱼化 木塔寨 枫林 "
    "唐延 锦业 紫薇 龙首 凤城 文景 明光 浐灞 广运潭 韦曲 郭杜 航天 子午 常宁 凤栖 樊川 杜陵 秦川 泾河 渭滨 骊山 "
    "华清 新丰 渭北 鹿苑 甘亭 草堂 蓝关 二曲 楼观 终南 含元 丹凤 玄武 太华 长缨 幸福 建东 互助 公园 劳动 西光 "
    "东关 环城 土门 枣园 丰庆 桃园 团结 星火 和平 青龙 白鹿 大兴 光华 昆明 汉城 未央湖 北辰 六村堡 徐家湾"
).split()

_COMPLEX_STEMS = (
    "锦绣 金地 华润 龙湖 紫薇 绿地 曲江 天朗 中海 荣华 逸翠 金辉 融创 保利 雅荷 枫叶 翠竹 阳光 春天 御府 和园 "
    "兰亭 书香 东方 明珠 世纪 盛世 南山 秦岭 唐城 未央 凤凰 鼎正 万科 高科 恒大 海荣 群贤 枫林 丽都 嘉园 芙蓉 "
    "雁鸣 紫郡 天地 金泰 旺座 都市 西港 长安 大唐 汉韵 秦风 渭水 泾河 灞柳 沣东 浐河"
).split()
_COMPLEX_SUFFIXES = "小区 花园 家园 苑 公寓 新村 名居 雅居 华府 城 壹号 园".split()
# work-unit compounds (家属院) are the typical old walk-up estates of Xi'an
_WORK_UNITS = (
    "西电 国棉四厂 陕汽 黄河厂 秦川机械厂 铁路局 邮电 建工 西北电力 纺织城 昆仑厂 华山厂 东方厂 庆安 西飞 "
    "长庆油田 煤炭设计院 水电四局 省建三公司 西安交大 西北大学 陕师大"
).split()


class PlaceNamer:
    """Names for invented communities and complexes, unique across the city."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._used: set[str] = {SHOWCASE_COMMUNITY[1], SHOWCASE_COMPLEX}

    def _unique(self, base: str, suffix: str) -> str:
        name, phase = f"{base}{suffix}", 1
        while name in self._used:
            phase += 1
            name = f"{base}{suffix}{_PHASES[min(phase, len(_PHASES)) - 1]}"
        self._used.add(name)
        return name

    def community(self) -> str:
        return self._unique(self.rng.choice(_COMMUNITY_STEMS), "社区")

    def complex(self, style: str) -> str:
        if style == "old":
            return self._unique(self.rng.choice(_WORK_UNITS), "家属院")
        if style == "resettlement":
            return self._unique(self.rng.choice(_COMMUNITY_STEMS), "安置小区")
        return self._unique(self.rng.choice(_COMPLEX_STEMS), self.rng.choice(_COMPLEX_SUFFIXES))


_PHASES = ["", "二期", "三期", "四期", "五期", "六期", "七期", "八期", "九期"] + [f"{n}期" for n in range(10, 1000)]


def complex_plan(rng: random.Random, urban: bool) -> tuple[str, list[BuildingPlan]]:
    """A random complex: its style and buildings."""
    style = rng.choices(("old", "modern", "resettlement"), weights=(3, 6, 1) if urban else (2, 3, 5))[0]
    if style == "old":
        count, units, floors, per_floor = rng.randint(4, 16), (2, 4), (5, 7), (2, 2)
    elif style == "modern":
        count, units, floors, per_floor = rng.randint(6, 30), (1, 3), (11, 33), (2, 4)
    else:
        count, units, floors, per_floor = rng.randint(8, 24), (2, 3), (11, 18), (2, 4)
    buildings = [
        BuildingPlan(n, rng.randint(*units), rng.randint(*floors), rng.randint(*per_floor), style)
        for n in range(1, count + 1)
    ]
    return style, buildings
