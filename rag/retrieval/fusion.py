"""Rank fusion and the metadata prior that prefers the asked-about place and year."""
from __future__ import annotations

import numpy as np

from ..types import Chunk
from .query import QueryAnalysis


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every entry (highest score → 1); entries scoring 0 or less get no rank (inf)."""
    order = np.argsort(-scores, kind="stable")
    result = np.empty(len(scores), dtype="float32")
    result[order] = np.arange(1, len(scores) + 1)
    result[scores <= 0] = np.inf
    return result


def reciprocal_rank_fusion(score_lists: list[np.ndarray], weights: list[float], k: int = 60) -> np.ndarray:
    fused = np.zeros(len(score_lists[0]), dtype="float32")
    for scores, weight in zip(score_lists, weights):
        if weight:
            fused += weight / (k + ranks(scores))
    return fused


def section_years(chunk: Chunk, plan_start: int | None) -> set[int]:
    """Years a chunk is about: a work report's review part is about N-1, its planning part about N."""
    covered = years_covered(chunk)
    if plan_start is None or covered != {chunk.year - 1, chunk.year}:
        return covered  # not a work report, or no turning point found
    return {chunk.year - 1} if chunk.start < plan_start else {chunk.year}


def years_covered(chunk: Chunk, wide: bool = False) -> set[int]:
    """Years a report is about: a year-N work report reviews N-1 and plans N (`wide`: it may also
    look back over and ahead through a five-year plan); a plan spans its period."""
    if chunk.year is None:
        return set()
    if any(word in chunk.title for word in ("规划", "規劃", "纲要", "綱要")):
        period = set(range(chunk.year - 5, chunk.year + 5)) if wide else {chunk.year - 1, chunk.year + 4}
        return period | {2035}
    if "报告" not in chunk.title and "報告" not in chunk.title:
        return set()  # news pages and other texts speak of many years: no year prior
    return set(range(chunk.year - 5, chunk.year + 6)) if wide else {chunk.year - 1, chunk.year}


def place_match(chunk: Chunk, places: list[str]) -> float:
    """1 when the chunk's report is about an asked place, 0.5 for the city or district around it, else 0."""
    if not chunk.place:
        return 0.5
    best = 0.0
    for place in places:
        core = place[:-1] if place.endswith(("区", "镇", "市")) and len(place) > 2 else place
        if core in chunk.place:
            best = max(best, 1.0 if chunk.place.endswith(place) or place.endswith("镇") else 0.7)
        elif place == "广州市":
            best = max(best, 0.5)
    return best


def metadata_prior(chunks: list[Chunk], analysis: QueryAnalysis, place_miss: float, year_miss: float,
                   chunk_years: list[set[int]] | None = None) -> np.ndarray:
    """A multiplier per chunk: 1 for matching place and year, lower for mismatches.

    `chunk_years` (from the report sections, see periods.py) refines the years a chunk is about.
    """
    prior = np.ones(len(chunks), dtype="float32")
    asked_years = set(analysis.years)
    for span in analysis.periods:
        asked_years |= set(span)
    place_cache: dict[tuple[str, int], float] = {}
    for i, chunk in enumerate(chunks):
        key = (chunk.source, chunk.doc_start)
        if key not in place_cache:
            factor = 1.0
            if analysis.places:
                factor *= place_miss + (1 - place_miss) * place_match(chunk, analysis.places)
            if analysis.report_years and chunk.year not in analysis.report_years:
                factor *= year_miss
            place_cache[key] = factor
        factor = place_cache[key]
        if asked_years:
            covered = chunk_years[i] if chunk_years is not None else years_covered(chunk)
            if covered and not (covered & asked_years):
                factor *= year_miss
        prior[i] = factor
    return prior
