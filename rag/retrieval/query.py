"""Reading a question: places, years, comparisons, and sub-queries for each side."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from ..errors import QuestionError
from ..ingest.places import GUANGZHOU_DISTRICTS, to_simplified

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
MAX_K = 100

ENGLISH_PLACES = {
    "yuexiu": "越秀区", "haizhu": "海珠区", "liwan": "荔湾区", "tianhe": "天河区", "baiyun": "白云区",
    "huangpu": "黄埔区", "panyu": "番禺区", "huadu": "花都区", "nansha": "南沙区", "conghua": "从化区",
    "zengcheng": "增城区", "zhongxin": "中新镇", "xiaolou": "小楼镇", "timian": "梯面镇",
    "huashan": "花山镇", "guangzhou": "广州市",
}
PLAN_PERIODS = {"十三五": range(2016, 2021), "十四五": range(2021, 2026), "十二五": range(2011, 2016),
                "13th five-year": range(2016, 2021), "14th five-year": range(2021, 2026)}
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_TOWN = re.compile(r"([\u4e00-\u9fff]{2})(?:镇|街道)")
_DISTRICT = re.compile("(" + "|".join(GUANGZHOU_DISTRICTS) + ")")


@dataclass
class QueryAnalysis:
    """What a question asks about, as far as metadata goes."""

    text: str
    simplified: str
    places: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    periods: list[range] = field(default_factory=list)
    english: bool = False

    @property
    def is_comparison(self) -> bool:
        return len(self.places) > 1 or len(self.years) > 1

    def sides(self) -> list["QueryAnalysis"]:
        """One analysis per compared place (or year), each keeping the other constraints."""
        if len(self.places) > 1:
            return [QueryAnalysis(self.text, self.simplified, [p], self.years, self.periods, self.english)
                    for p in self.places]
        if len(self.years) > 1:
            return [QueryAnalysis(self.text, self.simplified, self.places, [y], self.periods, self.english)
                    for y in self.years]
        return [self]

    @property
    def lexical_text(self) -> str:
        """The question in simplified script, with English place names given in Chinese."""
        extra = [p for p in self.places if p not in self.simplified]
        return " ".join([self.simplified, *extra])


def check_question(question: str, k: int, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """Validate a question and k; over-long questions are truncated with a warning."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty: ask something, e.g. 海珠区2023年地区生产总值是多少?")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise QuestionError(f"k={k!r} is out of range: use a whole number of passages from 1 to {MAX_K}")
    question = question.strip()
    if len(question) > max_chars:
        log.warning("question of %d characters truncated to its first %d", len(question), max_chars)
        question = question[:max_chars]
    return question


def analyse(question: str) -> QueryAnalysis:
    """Find places (districts, towns, the city; Chinese or pinyin) and years in a question."""
    simplified = to_simplified(question)
    lower = question.lower()
    found: list[tuple[int, str]] = []
    for match in _DISTRICT.finditer(simplified):
        found.append((match.start(), match.group(1) + "区"))
    for match in _TOWN.finditer(simplified):
        if match.group(1) not in GUANGZHOU_DISTRICTS:
            found.append((match.start(), match.group(1) + "镇"))
    for name, place in ENGLISH_PLACES.items():
        position = lower.find(name)
        if position >= 0:
            found.append((position, place))
    if "广州市" in simplified and not any(p.endswith(("区", "镇")) for _, p in found):
        found.append((simplified.find("广州市"), "广州市"))
    places: list[str] = []
    for _, place in sorted(found):
        if place not in places and not (place == "广州市" and len(found) > 1):
            places.append(place)
    years = []
    for match in _YEAR.finditer(simplified):
        year = int(match.group(1))
        if year not in years and 1990 <= year <= 2100:
            years.append(year)
    periods = [span for key, span in PLAN_PERIODS.items() if key in simplified or key in lower]
    english = sum(ch.isascii() and ch.isalpha() for ch in question) > len(question) * 0.4
    return QueryAnalysis(question, simplified, places, years, periods, english)
