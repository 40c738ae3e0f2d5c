"""Reading a question: places, years, comparisons, and sub-queries for each side."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from ..errors import QuestionError
from ..ingest.places import COMMON_WORD_TOWNS, GUANGZHOU_DISTRICTS, GUANGZHOU_TOWNS, to_simplified

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
_TOWN = re.compile("(" + "|".join(GUANGZHOU_TOWNS) + ")(?:镇|街道|街)?(?![区市县])")
_DISTRICT = re.compile("(" + "|".join(GUANGZHOU_DISTRICTS) + ")")
_REPORT_YEAR = re.compile(r"((?:19|20)\d{2})年?的?(?:[\u4e00-\u9fff]{0,6}?)(?:政府)?工作报告")
_CITY = re.compile(r"广州全?市")


@dataclass
class QueryAnalysis:
    """What a question asks about, as far as metadata goes."""

    text: str
    simplified: str
    places: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    periods: list[range] = field(default_factory=list)
    english: bool = False
    report_years: list[int] = field(default_factory=list)  # "2021年政府工作报告": the report itself

    @property
    def is_comparison(self) -> bool:
        return len(self.places) > 1 or len(self.years) > 1

    def sides(self) -> list[QueryAnalysis]:
        """One analysis per compared place (or year), each keeping the other constraints."""
        if len(self.places) > 1:
            return [QueryAnalysis(self.text, self.simplified, [p], self.years, self.periods, self.english,
                                  self.report_years) for p in self.places]
        if len(self.years) > 1:
            return [QueryAnalysis(self.text, self.simplified, self.places, [y], self.periods, self.english,
                                  self.report_years) for y in self.years]
        return [self]

    @property
    def expansions(self) -> list[str]:
        """Chinese words to add: places named in pinyin, report wording for English or short terms."""
        from .glossary import expansion_terms
        extra = [p for p in self.places if p not in self.simplified]
        return extra + [t for t in expansion_terms(self.simplified) if t not in extra]


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


_EN_JOINER = re.compile(r"(?:\s|[,()]|'s|\u2019s|\bdistrict\b|\btown\b|\bcity\b|\bin\b|\bof\b)*")


def _english_qualifier(lower: str, place: str, found: list[tuple[int, str, str]]) -> bool:
    """Is `place` only there to locate another named place, as in "Haizhu District, Guangzhou",
    "Guangzhou's Haizhu District" or "Zhongxin Town, Zengcheng"? (the English 广州市海珠区)"""
    level = {"市": 0, "区": 1, "镇": 2}
    position, name = next((pos, n) for pos, n, p in found if p == place)
    for other_position, other_name, other in found:
        if level[other[-1]] <= level[place[-1]]:
            continue  # only a smaller place (district in a city, town in a district) is located by `place`
        start, end = sorted([(position, position + len(name)), (other_position, other_position + len(other_name))])
        if _EN_JOINER.fullmatch(lower, start[1], end[0]):
            return True
    return False


def analyse(question: str) -> QueryAnalysis:
    """Find places (districts, towns, the city; Chinese or pinyin) and years in a question."""
    simplified = to_simplified(question)
    lower = question.lower()
    found: list[tuple[int, str]] = []
    towns = [m for m in _TOWN.finditer(simplified)
             if m.group(1) not in COMMON_WORD_TOWNS or m.group(0) != m.group(1)]  # 温泉 alone is no town
    town_starts = {m.start() for m in towns}
    for match in _DISTRICT.finditer(simplified):
        end = match.end() + (simplified[match.end():match.end() + 1] == "区")
        if end not in town_starts:  # 增城区中新镇 names the town only
            found.append((match.start(), match.group(1) + "区"))
    for match in towns:
        found.append((match.start(), match.group(1) + "镇"))
    english_found = [(lower.find(name), name, place) for name, place in ENGLISH_PLACES.items() if name in lower]
    for position, _, place in english_found:
        if not _english_qualifier(lower, place, english_found):
            found.append((position, place))
    for match in _CITY.finditer(simplified):
        if not _DISTRICT.match(simplified, match.end()):  # 广州市海珠区 names the district, not the city
            found.append((match.start(), "广州市"))
    places: list[str] = []
    for _, place in sorted(found):
        if place not in places:
            places.append(place)
    report_years = [int(y) for y in _REPORT_YEAR.findall(simplified)]
    years = []
    for match in _YEAR.finditer(simplified):
        year = int(match.group(1))
        if year not in years and year not in report_years and 1990 <= year <= 2100:
            years.append(year)
    periods = [span for key, span in PLAN_PERIODS.items() if key in simplified or key in lower]
    english = sum(ch.isascii() and ch.isalpha() for ch in question) > len(question) * 0.4
    return QueryAnalysis(question, simplified, places, years, periods, english, report_years)
