"""Reading a question: places (resolved against the gazetteer and the corpus), years, comparisons."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

from ..errors import QuestionError
from ..ingest.periods import periods_named
from ..places import LEVELS, Mention, Place, find_mentions, gazetteer
from ..places.mentions import (
    GENERIC_FULL_NAME,
    GENERIC_NAME,
    LEVEL_SUFFIX,
    placed_under,
    plain_pinyin,
    sound_alike,
    unknown_english_places,
)
from ..textnorm import to_simplified
from .corpus_places import CorpusPlaces

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
MAX_K = 100

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年?\s*(?:-|—|–|~|～|至|到|to)\s*((?:19|20)\d{2})(?!\d)")
# "…是多少?(注意不是2021年的数)", "…排第几?别跟固定资产投资的排位搞混。": what the asker sets aside is not asked
_SET_ASIDE = re.compile(r"(?<=[?？。.!！,，;；\s])\s*[(（]?\s*(?:请?注意)?[,，:：]?\s*(?:别跟|别和|别与|别把|不要|"
                        r"不是|并非|而非|而不是|不含|不包括)[^?？。!！]*[)）]?\s*[。.!！?？]?\s*$")
_BOTH_ASKED = re.compile(r"各是|各为|各有|各自|分别是|分别为|分别有|\b(?:each|both)\b", re.I)  # not "分别增长"
_MULTIPLE_OF = re.compile(r"\s*年?的?\s*(?:几|多少|[\d.]+|[一二三四五六七八九十两]+)\s*倍")
_SINCE = re.compile(r"\s*年?\s*以来")
_BASE_YEAR = re.compile(r"(?:比|较|相比|与|同)\s*$|compared (?:to|with)\s*$|than\s*$|since\s*$")
_JOINED_YEARS = re.compile(r"((?:19|20)\d{2})年?\s*(?:和|与|及|、|以及|,|，)\s*(?=((?:19|20)\d{2}))")
_REPORT_YEAR = re.compile(r"((?:19|20)\d{2})年?(?:\d{1,2}月份?)?的?(?:[\u4e00-\u9fff]{0,6}?)(?:政府)?工作报告|"
                          r"((?:19|20)\d{2})\s+(?:government\s+)?work\s+report", re.I)
# What may stand between a place and the place that locates it: 深圳龙岗, 南京市的鼓楼区, "Gulou District, Fuzhou".
ASKING_LEAD = r"(?:分别|各自|各)?(?:是|为|有)?"  # "各是", "分别为": what comes before a question word
_ASKING_TAIL = re.compile(ASKING_LEAD + r"(?:多少|几|什么|哪些)[^\u4e00-\u9fff]*$")
_TRAILING_YEAR = re.compile(r"(?:19|20)\d{2}\s*年?\s*$")
_JOINER = re.compile(r"[和与及、,，\s]+$")
# "石桥头镇2022年上半年和襄阳市2022年的…增速": a part of the year is when, not words of the place's own
_PART_OF_YEAR = re.compile(r"上半年|下半年|前三季度|[一二三四1-4]季度|\d{1,2}\s*[-—–~至到]\s*\d{1,2}\s*月(?:份)?|全年|年末|年底")
_LEVEL_AFTER = "(?:自治)?[" + "".join(sorted(LEVEL_SUFFIX)) + "]?"  # what may follow a short name as written ("保亭" + "县")
_QUALIFIER_GAP = re.compile(r"[\s,，、的()（）]*|的?(?:那|这)一?个|\s*(?:of|in|,)\s*|'s\s*|’s\s*", re.I)  # 福州的那个鼓楼区


@dataclass
class QueryAnalysis:
    """What a question asks about, as far as metadata goes.

    `places` are the asked places the corpus holds (one per side); `missing` the asked places
    that exist in China but no indexed report is about; `ambiguous` the names that fit several
    corpus places (each is then a side of its own); `place_words` the place names as written.
    """

    text: str
    simplified: str
    places: list[Place] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    periods: list[range] = field(default_factory=list)
    english: bool = False
    report_years: list[int] = field(default_factory=list)  # "2021年政府工作报告": the report itself
    missing: list[Place] = field(default_factory=list)
    ambiguous: list[tuple[str, list[Place]]] = field(default_factory=list)
    place_words: list[str] = field(default_factory=list)
    place_spots: list[tuple[int, Place]] = field(default_factory=list)  # where each asked place is written
    unknown_names: list[str] = field(default_factory=list)  # "Ejin Horo Banner": a place no pinyin matches
    sounded: list[tuple[str, Place]] = field(default_factory=list)  # such a name read as a held place
    also_named: list[tuple[str, Place, list[Place]]] = field(default_factory=list)  # see ResolvedPlaces

    @property
    def is_comparison(self) -> bool:
        return len(self.places) > 1 or len(self.years) > 1 or len(self.report_years) > 1

    @property
    def asked_years(self) -> set[int]:
        years = set(self.years)
        for span in self.periods:
            years |= set(span)
        return years

    def sides(self) -> list[QueryAnalysis]:
        """One analysis per compared place (or year), each keeping the other constraints; in
        "宜章县2023年GDP和开阳县2022年GDP" each place keeps the year written with it."""
        if len(self.places) > 1:
            paired = self.years_by_place()
            return [replace(self, places=[p], years=paired.get(p, self.years)) for p in self.places]
        if len(self.years) > 1:
            return [replace(self, years=[y]) for y in self.years]
        if len(self.report_years) > 1:  # "2013年和2020年的政府工作报告…": one side per report
            return [replace(self, report_years=[y]) for y in self.report_years]
        return [self]

    def own_words(self) -> dict[Place, QueryAnalysis]:
        """Each compared place's own stretch of the question, when every place is written with words of its
        own ("上海普陀区2016年区级增加值和舟山普陀区2009年地区生产总值各是多少?"), as a question of its own."""
        spots = sorted(self.place_spots, key=lambda s: s[0])
        if len(self.places) < 2 or len(spots) != len(self.places) or len({s for s, _ in spots}) != len(spots):
            return {}
        tail = _ASKING_TAIL.search(self.simplified)
        asking = tail.group() if tail else ""
        ends = [start for start, _ in spots[1:]] + [len(self.simplified) - len(asking)]
        paired = self.years_by_place()
        own = {}
        for (start, place), end in zip(spots, ends):
            stretch = self.simplified[start:end]
            trimmed = None
            while trimmed != stretch:  # "…区级增加值和舟山": the joiner and the next place's qualifier belong to it
                trimmed = stretch
                stretch = _TRAILING_YEAR.sub("", _JOINER.sub("", stretch))  # "…和2022年宁波": the next place's year
                for word in self.place_words:
                    if stretch.endswith(word) and len(stretch) > len(word):
                        stretch = stretch[:-len(word)]
            bare = _PART_OF_YEAR.sub("", _YEAR.sub("", stretch))
            for word in sorted(self.place_words, key=len, reverse=True):  # "保亭县": the name and its level
                bare = re.sub(re.escape(word) + _LEVEL_AFTER, "", bare)
            if not re.sub(r"[年的和与及、\s]|相比|比较|对比|相较", "", bare):
                return {}  # "A区和B区2020年地区生产总值", "…和B区2016年的相比": a place without words of its own
            stretch += asking
            own[place] = replace(self, text=stretch, simplified=stretch, places=[place],
                                 years=paired.get(place, self.years), place_spots=[(0, place)])
        return own

    def years_by_place(self) -> dict[Place, list[int]]:
        """Each asked place's own years, when every place is written with years of its own."""
        starts = [start for start, _ in self.place_spots]
        if len(self.years) < 2 or len(self.place_spots) != len(self.places) or len(set(starts)) != len(starts):
            return {}
        paired: dict[Place, list[int]] = {}
        spots = sorted(self.place_spots, key=lambda s: s[0])
        positions = {year: self.simplified.find(str(year)) for year in self.years}
        leading = min(positions.values()) < spots[0][0]  # "2023年重庆江北区和2022年宁波江北区": years lead
        for year, position in positions.items():
            owners = ([place for start, place in spots if start >= position] if leading
                      else [place for start, place in spots if start <= position][::-1])
            if not owners:
                return {}
            paired.setdefault(owners[0], []).append(year)
        return paired if len(paired) == len(self.places) else {}

    @property
    def expansions(self) -> list[str]:
        """Chinese words to add: places named in pinyin, report wording for English or short terms."""
        from .glossary import expansion_terms
        extra = [p.name for p in self.places if p.name not in self.simplified]
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


# "两个城关区(兰州、拉萨)": places listed in brackets after a shared name, each locating one namesake
_LISTED_QUALIFIERS = re.compile(r"\s*[(（](?:[\u4e00-\u9fff]{2,6}\s*[、,，和与及]\s*)*")
_NOT_ASKED = re.compile(r"(?:不是|并非|而非|不含|不包括|除了?)$|\bnot\s+$", re.I)


def _qualifies(outer: Mention, inner: Mention, text: str) -> bool:
    """Does `outer` only locate `inner` (深圳龙岗, Gulou District of Fuzhou)?"""
    if not any(c.is_within(o) and c != o for c in inner.candidates for o in outer.candidates):
        return False
    first, second = sorted([outer, inner], key=lambda m: m.start)
    gap = text[first.end:second.start]
    return bool(_QUALIFIER_GAP.fullmatch(gap) or (first is inner and _LISTED_QUALIFIERS.fullmatch(gap)))


def _narrowed(mention: Mention, mentions: list[Mention], qualifiers: set[int], text: str) -> tuple[list[Place], bool]:
    """A mention's candidates as the places written to locate it narrow them, and whether those are listed
    ("两个城关区(兰州、拉萨)": each listed qualifier keeps its own namesake)."""
    candidates = list(mention.candidates)
    outers = [o for o in mentions if id(o) in qualifiers and _qualifies(o, mention, text)]
    listed = len(outers) > 1 and all(_LISTED_QUALIFIERS.fullmatch(text[mention.end:o.start]) for o in outers)
    if listed:
        candidates = [c for c in candidates if any(
            c.is_within(o) for outer in outers for o in outer.candidates)] or candidates
    else:  # each qualifier narrows the last ("甘肃兰州的城关区")
        for outer in outers:
            candidates = [c for c in candidates if any(c.is_within(o) for o in outer.candidates)] or candidates
    return candidates, listed


def _names_fully(mention: Mention) -> bool:
    """A full name (龙岗区) or a pinyin name with its level ("Gulou District") names places, not a word."""
    return mention.kind == "name" or (mention.kind == "pinyin" and " " in mention.text.strip())


@dataclass
class ResolvedPlaces:
    """The places a question names, as far as the gazetteer and the corpus tell."""

    places: list[Place]  # asked places the corpus holds
    missing: list[Place]  # asked places in China that no indexed report is about
    ambiguous: list[tuple[str, list[Place]]]  # names that fit several corpus places
    words: list[str]  # the names as written
    spots: list[tuple[int, Place]]  # where each asked place is first written
    unknown: list[str]  # English place names that no spelling matches
    sounded: list[tuple[str, Place]]  # English names read as the corpus place they sound like
    also_named: list[tuple[str, Place, list[Place]]]  # a bare name read as the
    # one held place though it also names larger places no report is about (西安: 辽源's 西安区, not 西安市)


def resolve_places(text: str, corpus: CorpusPlaces | None) -> ResolvedPlaces:
    """Places (Chinese, traditional or pinyin, any level, abbreviated or full) named in `text`."""
    gaz = corpus.gazetteer if corpus else gazetteer()
    mentions = find_mentions(text, gaz, corpus.aliases if corpus else None,
                             pinyin=corpus.pinyin if corpus else plain_pinyin())
    mentions = placed_under(mentions, gaz, text, _QUALIFIER_GAP)
    qualifiers = {id(o) for o in mentions for i in mentions if o is not i and _qualifies(o, i, text)}
    places: list[Place] = []
    spots: list[tuple[int, Place]] = []
    missing: list[Place] = []
    ambiguous: list[tuple[str, list[Place]]] = []
    also_named: list[tuple[str, Place, list[Place]]] = []
    narrowed = {id(m): _narrowed(m, mentions, qualifiers, text) for m in mentions}
    for mention in mentions:
        if id(mention) in qualifiers or _NOT_ASKED.search(text, max(0, mention.start - 4), mention.start):
            continue  # a qualifier, or a place the question sets aside ("上蔡县(不是驿城区)")
        candidates, listed = narrowed[id(mention)]
        held = [c for c in candidates if corpus is not None and corpus.holds(c)]
        held = [c for c in held if c in places] or held  # "沧州市新华区…新华百姓": the name again is the place named
        if len(held) > 1:  # "鼓楼区不止一个,福州的那个鼓楼区": the name written qualified further on is that place
            later = {c for m in mentions if m is not mention and m.text == mention.text and m.start > mention.start
                     for c in narrowed[id(m)][0] if len(narrowed[id(m)][0]) == 1}
            held = [c for c in held if c in later] or held
        if len(held) > 1 and not listed:
            ambiguous.append((mention.text, held))
        if len(held) == 1 and not _names_fully(mention):
            larger = [c for c in candidates
                      if not corpus.holds(c) and LEVELS.index(c.level) < LEVELS.index(held[0].level)]
            if larger:
                also_named.append((mention.text, held[0], larger))
        if held:
            spots += [(mention.start, p) for p in held if p not in places]
            places += [p for p in held if p not in places]
        elif len(candidates) <= (GENERIC_FULL_NAME if _names_fully(mention) else GENERIC_NAME):
            missing += [c for c in candidates if c not in missing]  # real places, none held: refuse
    if places:  # a word that also names some far-away place (长安, 新华) does not make a question unanswerable
        missing = [m for m in missing if any(
            mention.kind == "name" and m in mention.candidates for mention in mentions)]
    words = [m.text for m in mentions]
    unknown, sounded = [], []
    for name in unknown_english_places(text, mentions):
        held = sound_alike(name, [*corpus.places.values(), *corpus.uncertain.values()]) if corpus else []
        if not held:
            unknown.append(name)
        for place in held:
            if place not in places:
                places.append(place)
                spots.append((text.find(name), place))
                words.append(name)
                sounded.append((name, place))
    return ResolvedPlaces(places, missing, ambiguous, words, spots, unknown, sounded, also_named)


def analyse(question: str, corpus: CorpusPlaces | None = None) -> QueryAnalysis:
    """Places (Chinese, traditional or pinyin, any level, abbreviated or full) and years in a question."""
    simplified = _SET_ASIDE.sub("", to_simplified(question))
    named = resolve_places(simplified, corpus)
    report_years = [int(a or b) for a, b in _REPORT_YEAR.findall(simplified)]
    for first, second in _JOINED_YEARS.findall(simplified):  # "2013年和2020年(两份)政府工作报告": both reports
        if int(second) in report_years and int(first) not in report_years:
            report_years.insert(report_years.index(int(second)), int(first))
    years = []
    spans = [(m.start(), m.end(), range(int(m.group(1)), int(m.group(2)) + 1)) for m in _YEAR_RANGE.finditer(simplified)
             if int(m.group(1)) < int(m.group(2))]
    for match in _YEAR.finditer(simplified):
        year = int(match.group(1))
        before = simplified[max(0, match.start() - 16):match.start()]
        if _BASE_YEAR.search(before) and not _BOTH_ASKED.search(simplified):
            continue  # 比2015年增长: a base of comparison, not the year asked about ("…与2021年相比,各是多少" asks both)
        if _MULTIPLE_OF.match(simplified, match.end()):
            continue  # "是2015年的几倍": the base a multiple is of, not the year asked about
        if _SINCE.match(simplified, match.end()) or any(a <= match.start() < b for a, b, _ in spans):
            continue  # "2016年以来": since then, not that year; "2011-2015": a period
        if year not in years and year not in report_years and 1990 <= year <= 2100:
            years.append(year)
    periods = periods_named(simplified)
    periods += [span for *_, span in spans if span not in periods]
    english = sum(ch.isascii() and ch.isalpha() for ch in question) > len(question) * 0.4
    return QueryAnalysis(question, simplified, named.places, years, periods, english, report_years,
                         named.missing, named.ambiguous, named.words, named.spots, named.unknown, named.sounded,
                         named.also_named)
