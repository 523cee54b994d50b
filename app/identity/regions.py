"""Region codes used in resident identity numbers (GB/T 2260 province level).

The first two digits of a mainland resident identity number name the province,
autonomous region or municipality where it was first issued. Only that level is
checked: prefecture and county codes change over the years and old numbers keep
codes that no longer exist.

Residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证)
carry the fixed region codes 810000, 820000 and 830000 instead.
"""

from __future__ import annotations

from typing import Final, Literal

PermitKind = Literal["hk_permit", "mo_permit", "tw_permit"]

# code -> (zh, en)
PROVINCES: Final[dict[str, tuple[str, str]]] = {
    "11": ("北京市", "Beijing"),
    "12": ("天津市", "Tianjin"),
    "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"),
    "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"),
    "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"),
    "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"),
}

# region code of a residence permit number -> (kind, zh, en)
PERMIT_REGIONS: Final[dict[str, tuple[PermitKind, str, str]]] = {
    "810000": ("hk_permit", "香港特别行政区", "Hong Kong SAR"),
    "820000": ("mo_permit", "澳门特别行政区", "Macao SAR"),
    "830000": ("tw_permit", "台湾地区", "Taiwan"),
}

# first two digits reserved for residence permits (only the codes above are issued)
PERMIT_PROVINCE_PREFIXES: Final[frozenset[str]] = frozenset(code[:2] for code in PERMIT_REGIONS)


def province_name(code: str) -> tuple[str, str] | None:
    """(zh, en) name of a province-level code, or None if it is not one.

    `code` is the 2-digit province code or a 6-digit region code (only its first
    two digits are looked up). 81/82/83 are not in this table: see PERMIT_REGIONS.
    """
    if not isinstance(code, str) or len(code) not in (2, 6) or not code.isascii():
        return None
    if not code.isdigit():
        return None
    return PROVINCES.get(code[:2])
