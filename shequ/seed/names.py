"""Chinese personal names for demo data.

Faker's zh_CN provider is uniform over a short list and slow at a million
calls; this draws surnames by their real frequency (and Hui surnames for Hui
people) and given names in the style of the bearer's generation.
"""

from __future__ import annotations

import random
from itertools import accumulate

# (surname, weight ~ share in per mille of the Han population, nudged towards Shaanxi)
_SURNAMES = """
王71 李70 张68 刘54 陈40 杨34 赵22 黄15 周19 吴17 徐15 孙15 马15 朱12 胡11 郭13 何10 高12
林8 罗9 郑9 梁8 谢7 宋8 唐7 许7 韩7 冯7 邓6 曹6 彭6 曾4 肖5 田6 董6 袁5 潘4 于5 蒋4 蔡4
余4 杜5 叶3 程4 苏4 魏5 吕4 丁3 任5 沈3 姚4 卢4 姜3 崔4 钟3 谭3 陆3 汪3 范4 金3 石3 廖2
贾4 夏2 韦2 付3 方3 白4 邹2 孟3 熊2 秦4 邱2 江2 尹2 薛3 闫4 段3 雷3 侯3 龙2 史3 陶2 黎1
贺3 顾2 毛2 郝3 龚2 邵2 万2 钱2 严2 武3 戴2 莫1 孔2 向1 汤2 常3 温2 康2 施1 文2 牛3 樊3
葛2 邢2 安2 齐2 易1 乔2 伍1 庞2 颜1 倪1 庄1 聂1 章1 鲁2 岳2 翟2 殷1 詹1 申2 耿2 关2 兰1
焦2 俞1 左1 柳2 甘1 祝1 包1 宁2 尚2 符1 舒1 柯1 纪1 梅1 童1 凌1 毕1 单1 季1 裴2 霍2 涂1
成1 苗2 谷1 盛1 曲1 翁1 冉1 骆1 蓝1 路2 游1 辛2 靳2 屈2 惠2 寇2 党2
"""
_RARE_SURNAMES = {"欧阳": 0.3, "司马": 0.1, "上官": 0.1, "诸葛": 0.05, "皇甫": 0.1, "令狐": 0.05, "东方": 0.05}

# Hui families in Xi'an (the Muslim quarter by the Drum Tower) concentrate on a few surnames
_HUI_SURNAMES = {"马": 30, "白": 8, "哈": 3, "沙": 3, "穆": 3, "海": 2, "丁": 4, "杨": 5, "李": 5, "王": 5,
                 "张": 4, "金": 3, "米": 2, "洪": 1, "纳": 2, "撒": 1, "铁": 1, "达": 1, "冯": 2, "刘": 3, "安": 2}


def _parse(spec: str) -> dict[str, float]:
    table: dict[str, float] = {}
    for token in spec.split():
        table[token[0]] = float(token[1:])
    return table


class _Weighted:
    """A fixed weighted choice, with cumulative weights computed once."""

    def __init__(self, table: dict[str, float]) -> None:
        self.items = list(table)
        self.cum = list(accumulate(table.values()))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.items, cum_weights=self.cum)[0]


_HAN = _Weighted({**_parse(_SURNAMES), **_RARE_SURNAMES})
_HUI = _Weighted(_HUI_SURNAMES)

# Given names follow fashions: 建国/秀英 for people born around 1950,
# 伟/丽 in the 1970s-80s, 子轩/梓涵 after 2000. Each era has whole names that
# were common, and first/second characters that combine into plausible ones.
_ERAS = {
    "old": {  # born before 1965
        "M": ("建国 建军 国强 志强 卫东 学军 振华 德福 长青 文华 保国 永红 国庆 建华 福生 树林 春生 根生 宝山 玉林",
              "建国志卫德长文振学永保福金玉树明春秋根顺宝全生有庆",
              "国军强华民东明林福生山成忠义才财祥荣茂发海平安顺"),
        "F": ("秀英 桂英 玉兰 淑珍 秀兰 桂兰 凤英 玉梅 秀珍 桂芳 翠花 素芬 玉珍 兰英 红霞 淑兰 桂珍 秀云 凤兰 玉英",
              "秀桂玉淑凤翠素兰红金银春月彩爱丽",
              "英兰珍芳梅花云霞琴凤莲娥芬华荣贞香"),
    },
    "mid": {  # 1965-1989
        "M": ("伟 磊 军 勇 杰 涛 斌 超 明 刚 鹏 辉 强 波 峰 晓东 海涛 建华 志刚 小龙 文斌 红军 永刚 晓峰 立新",
              "晓海建志文永立小红新宏俊振卫国少",
              "东涛华刚斌军峰明龙强勇伟波辉平杰"),
        "F": ("丽 艳 娟 霞 敏 静 芳 燕 萍 玲 红 丽娟 晓燕 红梅 海燕 晓丽 丽萍 艳红 小红 春燕 雪梅 晓霞 玉洁",
              "丽晓红海雪艳小春秀丹美彩慧",
              "娟燕梅丽萍霞红玲琴芳敏静华英洁"),
    },
    "young": {  # 1990 and later
        "M": ("浩宇 子轩 宇轩 梓豪 俊杰 博文 浩然 一鸣 子墨 睿 铭 宇航 天佑 嘉懿 奕辰 皓轩 宇泽 思远 明哲 锦程 昊",
              "子浩宇梓俊博一天嘉奕皓思明锦昊泽铭睿晨",
              "轩宇豪杰文然鸣墨航佑辰泽远哲程阳睿霖川"),
        "F": ("子涵 欣怡 梓涵 诗涵 雨欣 可馨 梓萱 思彤 一诺 语桐 佳怡 梦瑶 雨桐 欣妍 若汐 悦 婷 琪 妍 瑶",
              "子欣梓诗雨可思一语佳梦若悦紫静雅心",
              "涵怡萱彤诺桐瑶妍汐琪悦然馨菲蕾璐晴"),
    },
}


def _era(birth_year: int) -> str:
    if birth_year < 1965:
        return "old"
    if birth_year < 1990:
        return "mid"
    return "young"


# share of one-character given names per era (more common in the 1970s-80s)
_SINGLE_SHARE = {"old": 0.2, "mid": 0.35, "young": 0.1}


class NameMaker:
    """Draws names from one ``random.Random``: same seed, same names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._tables = {
            (era, sex): (whole.split(), first, second) for era, by_sex in _ERAS.items() for sex, (whole, first, second) in by_sex.items()
        }

    def surname(self, hui: bool = False) -> str:
        return (_HUI if hui else _HAN).pick(self.rng)

    def given(self, gender: str, birth_year: int) -> str:
        era = _era(birth_year)
        whole, first, second = self._tables[(era, gender)]
        roll = self.rng.random()
        if roll < _SINGLE_SHARE[era]:
            return self.rng.choice(second)
        if roll < 0.6:
            return self.rng.choice(whole)
        return self.rng.choice(first) + self.rng.choice(second)

    def full(self, gender: str, birth_year: int, surname: str | None = None, hui: bool = False) -> str:
        return (surname or self.surname(hui)) + self.given(gender, birth_year)
