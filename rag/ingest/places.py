"""Place names (Guangzhou districts, towns) and script conversion shared by ingest and retrieval."""
from __future__ import annotations

import re
from functools import lru_cache

GUANGZHOU_DISTRICTS = ("越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城")
# Towns of Guangzhou (镇), so that words like 城镇/乡镇/下沉到镇街 are never taken for places.
GUANGZHOU_TOWNS = ("石滩", "中新", "正果", "派潭", "小楼", "仙村", "新塘", "永宁", "太平", "温泉", "良口", "吕田", "鳌头",
                   "花东", "花山", "炭步", "赤坭", "狮岭", "梯面", "石楼", "石碁", "化龙", "沙湾", "南村", "新造",
                   "大岗", "黄阁", "横沥", "万顷沙", "榄核", "东涌", "江高", "人和", "太和", "钟落潭", "九佛", "荔城",
                   "朱村", "增江", "宁西", "荔湖", "街口", "江埔", "城郊")
COMMON_WORD_TOWNS = {"太平", "温泉", "人和", "太和", "新造", "南村", "城郊", "街口", "荔湖", "宁西", "增江", "花山"}
_DISTRICT = re.compile("(" + "|".join(GUANGZHOU_DISTRICTS) + ")(?:区)?")
_TOWN = re.compile("(" + "|".join(GUANGZHOU_TOWNS) + ")(镇|街道|街)")
_CITY = re.compile(r"(广州|深圳|佛山|东莞)市")


@lru_cache(maxsize=1)
def _t2s():
    import opencc
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (same length for the characters that matter here)."""
    return _t2s().convert(text) if text else text


def find_place(text: str) -> str | None:
    """The most specific place named early in `text`: '增城区中新镇', '海珠区', '广州市'."""
    district = _DISTRICT.search(text)
    town = _TOWN.search(text)
    if district:
        name = district.group(1) + "区"
        if town and town.start() >= district.start() and town.group(1) not in GUANGZHOU_DISTRICTS:
            return name + town.group(0)
        return name
    if town:
        return town.group(0)
    city = _CITY.search(text)
    return city.group(0) if city else None
