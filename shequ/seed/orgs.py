"""Organizations: unified social credit codes (GB 32100) and demo names."""

from __future__ import annotations

import random

# GB 32100 character set: digits and capitals without I, O, S, V, Z
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character: weights 3^i mod 31 over the first 17 characters."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of the embedded organization code (positions 9-17)."""
    total = sum((int(char) if char.isdigit() else ord(char) - 55) * weight
                for char, weight in zip(first8, _ORG_CODE_WEIGHTS))
    value = 11 - total % 11
    return "0" if value == 11 else "X" if value == 10 else str(value)


#: registration authority + organization type: 91 enterprise, 92 individual business,
#: 51/52 social organization (民政: association / private non-enterprise unit)
USCC_KIND = {"company": "91", "individual": "92", "association": "51", "non_enterprise": "52"}


class UsccMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._used: set[str] = set()

    def make(self, kind: str, region: str) -> str:
        """A valid, unused code. Organization codes issued since 2015 start "MA",
        then the province's digit (6 for Shaanxi)."""
        while True:
            body = "MA6" + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(5))
            org_code = body + org_code_check_char(body)
            first17 = USCC_KIND[kind] + region + org_code
            code = first17 + uscc_check_char(first17)
            if code not in self._used:
                self._used.add(code)
                return code


_PROPERTY_BRANDS = (
    "金地 绿城 万科 碧桂园 保利 华润万象 龙湖 中海 招商积余 长城 诚悦 嘉宝 天朗 紫薇 高科 曲江 荣华 "
    "新长安 秦岭 鼎盛 安居 恒信 宏远 瑞祥 德馨 雁塔 长庆 锦华"
).split()

_SHOPS = (
    ("泡馍馆", "{surname}家"), ("凉皮店", "{surname}记"), ("肉夹馍", "{surname}家"), ("面馆", "{surname}记"),
    ("便利店", "邻里"), ("超市", "惠民"), ("理发店", "新时尚"), ("药店", "仁和"), ("水果店", "鲜果"),
    ("干洗店", "洁雅"), ("五金店", "{surname}记"), ("早餐店", "{surname}家"), ("菜店", "放心"),
    ("快递驿站", "邻里"), ("文具店", "书香"), ("修车铺", "{surname}师傅"),
)

_SOCIAL = ("志愿者协会", "老年人协会", "文体活动队", "邻里互助会", "睦邻服务中心")


def property_company_name(rng: random.Random) -> str:
    return f"西安{rng.choice(_PROPERTY_BRANDS)}物业服务有限公司"


def shop_name(rng: random.Random, surname: str, complex_name: str) -> str:
    kind, prefix = rng.choice(_SHOPS)
    return f"{complex_name}{prefix.format(surname=surname)}{kind}"


def social_organization_name(rng: random.Random, community_name: str, district_name: str) -> str:
    return f"{district_name}{community_name}{rng.choice(_SOCIAL)}"
