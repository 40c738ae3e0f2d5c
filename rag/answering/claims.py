"""Claim check: a number in an answer must be stated by a sentence about the asked metric and year.

A digit found somewhere in a cited passage is not enough: 「增长6%左右」 in 2024's targets does not
state 2023's growth, and 人均 figures are not totals. `claim_problems` says what is wrong with one
number as stated by one sentence; `check_number` looks through a passage's sentences for one that
states the number without problems.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..retrieval.query import QueryAnalysis
from ..textnorm import squeeze_spaces, to_simplified
from ..types import Passage
from .extractive import TARGET_ASKED, at_asked_session, head_by_unit, metric_form, names_other_metric, years_named

SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
# Words that make a figure a goal rather than a result: 主要预期目标是…增长6%左右, 力争达到…
TARGET_CUE = re.compile(r"预期目标|预期性|主要目标|目标[是为：:]|目标任务是|力争|争取[达实到]|计划[到达实完]|将达到|要达到|"
                        r"奋斗目标|发展目标")
PER_CAPITA = re.compile(r"人均|per capita|per-capita", re.I)
RATE_UNIT = re.compile(r"\s*(?:%|％|‰|个百分点|百分点)")
PER_HEAD_METRIC = re.compile(r"居民[^,，;；。]{0,4}(?:可支配收入|纯收入|消费支出)")
PER_CAPITA_REACH = 12  # 人均 qualifies a number written this many characters after it


@dataclass(frozen=True)
class ClaimCheck:
    """One number of an answer: the sentence that states it (if any) and what is wrong with it."""

    number: str
    sentence: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.sentence is not None and not self.problems


def _plain(text: str) -> str:
    """Simplified script without thousands separators (1,234 → 1234), as numbers are compared."""
    return re.sub(r"(?<=\d)[,，](?=\d{3})", "", squeeze_spaces(to_simplified(text)))


def _positions(text: str, number: str) -> list[int]:
    return [m.start() for m in re.finditer(rf"(?<![\d.]){re.escape(number)}(?!\.?\d)", text)]


def claim_problems(number: str, sentence: str, passage: Passage | None, analysis: QueryAnalysis,
                   metric_names: list[str], amount_asked: bool) -> tuple[str, ...]:
    """What keeps `sentence` from stating `number` as the answer to `analysis` (empty when nothing)."""
    stating = [part for part in SENTENCE.findall(_plain(sentence)) if _positions(part, number)]
    if not stating:
        return ("the sentence does not state it",)
    text = stating[0]  # of a quote that runs over several sentences, the one stating the number
    positions = _positions(text, number)
    if not analysis.text.strip():
        return ()  # no question to hold the sentence against: stating the number is all we can check
    at = positions[0]
    before = text[:at]
    problems = []
    asked = analysis.asked_years
    mentioned = years_named(text)
    if asked and mentioned and not mentioned & asked:
        problems.append(f"it is a figure of {'、'.join(map(str, sorted(mentioned)))}, not of "
                        f"{'、'.join(map(str, sorted(asked)))}")
    elif asked and not mentioned and passage is not None and passage.years and not set(passage.years) & asked \
            and not at_asked_session(passage, analysis):
        problems.append(f"it comes from the part of a report about {'、'.join(map(str, passage.years))}")
    if TARGET_CUE.search(before) and not TARGET_ASKED.search(analysis.simplified):
        problems.append("it is a target, not an outcome")
    near = before[-PER_CAPITA_REACH:]
    if PER_CAPITA.search(analysis.simplified) and "人均" not in near and "人均" not in before[-40:] \
            and not PER_HEAD_METRIC.search(before[-40:]):  # "城乡居民可支配收入": per head without 人均
        problems.append("the question asks for a per-capita figure and this one is not")
    elif not PER_CAPITA.search(analysis.simplified) and "人均" in near:
        problems.append("it is a per-capita figure, the question asks for a total")
    if amount_asked and RATE_UNIT.match(text, at + len(number)):
        problems.append("it is a rate, the question asks for an amount")
    if names_other_metric(analysis.simplified, text):
        problems.append("it is a figure of another metric (进出口 is total trade, not 出口 or 进口)")
    if metric_names and not any(metric_form(name) in metric_form(text) or head_by_unit(name, text)
                                for name in metric_names):
        problems.append(f"the sentence is not about {metric_names[0]}")
    return tuple(problems)


def check_number(number: str, passages: list[Passage], analysis: QueryAnalysis, metric_names: list[str],
                 amount_asked: bool) -> tuple[int | None, ClaimCheck]:
    """The passage (index) with a sentence that states `number` as the answer, else the closest failure."""
    fallback: tuple[int | None, ClaimCheck] = (None, ClaimCheck(number, None, ("no passage states it",)))
    for index, passage in enumerate(passages):
        for match in SENTENCE.finditer(passage.text):
            sentence = match.group()
            if not _positions(_plain(sentence), number):
                continue
            problems = claim_problems(number, sentence, passage, analysis, metric_names, amount_asked)
            check = ClaimCheck(number, sentence.strip(), problems)
            if not problems:
                return index, check
            if fallback[0] is None:
                fallback = (index, check)
    return fallback


def describe(check: ClaimCheck) -> str:
    """The warning for a number that failed the check."""
    where = f" (「{check.sentence[:40]}」)" if check.sentence else ""
    return f"unverified: {check.number}: {'; '.join(check.problems)}{where}"
