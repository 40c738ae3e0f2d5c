"""Script conversion shared by ingest, retrieval and answering."""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def _t2s():
    import opencc
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (same length for the characters that matter here)."""
    return _t2s().convert(text) if text else text


_YEAR_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}
CHINESE_YEAR = re.compile(r"(?<![〇零○Ｏ一二三四五六七八九十])([一二][〇零○Ｏ一二三四五六七八九]{3})年")


def arabic_years(text: str) -> str:
    """Years written in Chinese numerals as digits: 二〇二三年 → 2023年 (same length)."""
    return CHINESE_YEAR.sub(lambda m: "".join(_YEAR_DIGITS[c] for c in m.group(1)) + "年", text)


_SPACE_BY_CJK = re.compile(r"(?<=[\u3400-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3400-\u9fff\uff00-\uffef])")


# a page that glosses characters with their pinyin: "地區(qū)生產(chǎn)總值" is 地區生產總值
PINYIN_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-züāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]{1,6}[)）]")


def squeeze_spaces(text: str) -> str:
    """Text with the spaces beside Chinese characters removed, as a PDF's extraction scatters them
    ("常住人口人 均 GDP 从 2015 年的 51281 元"), and pinyin glosses ("區(qū)") dropped: for matching and reading
    figures, never for quoting."""
    return _SPACE_BY_CJK.sub("", PINYIN_GLOSS.sub("", text))
