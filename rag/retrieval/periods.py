"""Where a work report turns from reviewing last year to planning this one.

A year-N report reviews N-1 (and, in plan years, the past five-year period) and then plans N:
its second half is about year N. Knowing the turning point lets "2023年…" prefer the review
part of the 2024 report and "2024年目标" the planning part.
"""
from __future__ import annotations

import re

PLAN_HEADING = re.compile(
    r"(?:((?:19|20)\d{2})|今)年(?:的|全区|全市|全镇|我镇|我区)?(?:主要)?"
    r"(?:工作安排|工作计划|工作部署|工作任务|重点工作|目标任务|发展主要目标|经济社会发展(?:的)?(?:主要)?(?:预期)?目标)"
    r"|[“\"]?十四五[”\"]?时期的?(?:奋斗目标|主要目标|目标任务)")
MIN_SHARE = 0.2  # headings in the first fifth are summaries, not the turning point


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
