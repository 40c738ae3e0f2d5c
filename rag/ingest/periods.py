"""Five-year plan periods (一五 … 十五五, computed) and where a work report turns to planning.

A year-N work report reviews N-1 and then plans N: its second part is about year N. Knowing the
turning point lets "2023年…" prefer the review part of the 2024 report and "2024年目标" the plan part.
"""
from __future__ import annotations

import re

from ..textnorm import arabic_years

_DIGITS = "一二三四五六七八九"
# 十四五 (three characters) is unambiguous; 十五/九五 need quotes or a following 规划/时期 to be a plan.
PERIOD = re.compile(r"[“\"]?(十[一二三四五六七八九]|十|[一二三四五六七八九])五[”\"]?(规划|时期|期间|计划|末|初|以来)?")
ORDINAL_PERIOD = re.compile(r"第(十[一二三四五六七八九]|十|[一二三四五六七八九])个五年(?:规划|计划)")
ENGLISH_PERIOD = re.compile(r"(\d{1,2})(?:st|nd|rd|th)\s+five[- ]year", re.I)
PLAN_HEADING = re.compile(
    r"(?:((?:19|20)\d{2})|今)年(?:的|全区|全市|全县|全镇|全乡|全旗|全州|全省|我镇|我区|我县|我市|我乡|我旗)?(?:主要)?"
    r"(?:工作安排|工作计划|工作部署|工作任务|重点工作|主要任务|目标任务|发展主要目标|主要预期目标|"
    r"经济社会发展(?:的)?(?:主要)?(?:预期)?目标)"
    r"|[“\"]?十[一二三四五六七八九]五[”\"]?时期的?(?:奋斗目标|主要目标|目标任务)")
MIN_SHARE = 0.2  # headings in the first fifth are summaries, not the turning point
PARTED_KINDS = ("work_report", "plan_execution")  # reports that review last year, then plan this one


def plan_number(token: str) -> int:
    """十四 → 14, 十 → 10, 九 → 9."""
    if token.startswith("十"):
        return 10 + (_DIGITS.index(token[1]) + 1 if len(token) > 1 else 0)
    return _DIGITS.index(token) + 1


def plan_years(number: int) -> range:
    """The years of the n-th five-year plan (the third began in 1966 after three years of adjustment)."""
    if number <= 2:
        start = 1953 + 5 * (number - 1)
    else:
        start = 1966 + 5 * (number - 3)
    return range(start, start + 5)


def periods_named(text: str) -> list[range]:
    """Five-year periods a text names: 十四五 → 2021–2025, "the 14th Five-Year Plan" likewise."""
    found: list[range] = []
    for match in PERIOD.finditer(text):
        token = match.group(1)
        quoted = match.group(0).startswith(("“", '"'))
        if len(token) == 1 and not (quoted or match.group(2)):
            continue  # 十五 alone is fifteen
        span = plan_years(plan_number(token))
        if span not in found:
            found.append(span)
    for match in ORDINAL_PERIOD.finditer(text):
        span = plan_years(plan_number(match.group(1)))
        if span not in found:
            found.append(span)
    for match in ENGLISH_PERIOD.finditer(text):
        span = plan_years(int(match.group(1)))
        if span not in found:
            found.append(span)
    return found


def plan_section_start(text: str, start: int, end: int, year: int | None) -> int | None:
    """Offset in `text` where the report of `year` in [start, end) starts planning, or None."""
    if year is None or end <= start:
        return None
    for match in PLAN_HEADING.finditer(text, start, end):
        if (match.start() - start) / (end - start) < MIN_SHARE:
            continue
        if match.group(1) is None or int(match.group(1)) == year:
            return match.start()
    return None


# How a report's planning part opens: a sentence or heading opening with this year or next, a numbered heading
# naming targets or tasks, or their statement ("主要预期目标是:"); "完成了…确定的目标任务" is a review's
PLAN_CUE = r"预期目标|主要目标|目标任务|总体要求|指导思想|工作安排|工作部署|重点工作|主要任务|计划草案|计划安排"
SENTENCE_OPENING = r"(?:^|[。！？!?；;\n])\s*(?:[（(]?[一二三四五六七八九十]{1,3}[、)）.]\s*)?"
PLAN_HEADING_LINE = (r"(?m:^\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])[^\n。]{0,30}(?:"
                     + PLAN_CUE + "))")
PLAN_STATED = "(?:" + PLAN_CUE + ")(?:是|为)?[:：]"


# "二、2022年国民经济和社会发展计划草案": a heading line opening a plan-execution report's plan part
PLAN_DRAFT_HEADING = re.compile(r"(?m)^[ \t]*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])?[ \t]*"
                                r"((?:19|20)\d{2}|[二〇零一三四五六七八九]{4})[ \t]*年(?:国民经济和社会发展|國民經濟和社會發展)?"
                                r"(?:计划|計劃)(?:草案|安排)?(?:[(（]草案[)）])?[ \t]*$")


def arabic_year(written: str) -> int:
    """2022 from "2022" or "二〇二二"."""
    return int(written) if written.isdigit() else int(arabic_years(written + "年")[:-1])


def _plan_turn(year: int) -> re.Pattern:
    return re.compile(f"{SENTENCE_OPENING}(?:今年|明年|{year}\\s*年)|{PLAN_HEADING_LINE}|{PLAN_STATED}")


def plan_part_start(text: str, start: int, end: int, year: int | None, simplified: str) -> int | None:
    """Where the report of `year` in text[start:end] starts planning: its plan heading; `end` when the text
    never turns to planning (an opening excerpt that stops inside the review); None when it does but no
    heading says where. `simplified` is the report's text in simplified script with Arabic years."""
    found = plan_section_start(text, start, end, year)
    if found is not None or year is None:
        return found
    for match in PLAN_DRAFT_HEADING.finditer(text, start, end):  # a plan-execution report's second part
        if arabic_year(match.group(1)) == year:
            return match.start()
    past_header = simplified[int(len(simplified) * MIN_SHARE):]
    turns = _plan_turn(year).search(past_header)
    return None if turns else end


# "2023年,全区…", "（一）2022年…": a sentence about that year ("2016年以来", "2021至2025年" are spans, not topics)
TOPIC_YEAR = re.compile(r"\s*(?:[（(]?[一二三四五六七八九十\d]{1,2}[、.)）]\s*)?((?:19|20)\d{2})年(?![以至到起—\-~]|来)")
THIS_YEAR = re.compile(r"\s*(?:今年|本年|当年)")
SENTENCE_START = re.compile(r"(?:^|(?<=[。！？!?；;\n]))[^。！？!?；;\n]")


def running_year(text: str, start: int, end: int) -> int | None | bool:
    """The year the sentences of text[start:end] last opened with ("2004年,在市委…领导下…。全区地区生产总值完成
    21.97亿元…"): that year; False when a later one turned to 今年 (this year, unnamed); None when none did."""
    year: int | None | bool = None
    for match in SENTENCE_START.finditer(text, start, end):
        opening = TOPIC_YEAR.match(text, match.start())
        if opening:
            year = int(opening.group(1))
        elif THIS_YEAR.match(text, match.start()):
            year = False
    return year
