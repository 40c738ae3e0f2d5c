"""Rank fusion and the metadata prior that prefers the asked-about place and year."""
from __future__ import annotations

import numpy as np

from ..places import Place
from ..types import Chunk, ReportFacts
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


def place_match(facts: ReportFacts, places: list[Place]) -> float:
    """1 when the report is about an asked place; 0.5 for a report of a place around it or of unknown
    place; 0.2 for a report of a place inside it (a district's figure is not its city's); else 0."""
    if not places:
        return 1.0
    if not facts.place:  # namesakes the text cannot tell apart: usable, and the answer says so
        return 1.0 if any(p.key in facts.place_candidates for p in places) else 0.5
    best = 0.0
    for place in places:
        if facts.place == place.key:
            return 1.0
        if place.key.startswith(facts.place + "/"):
            best = max(best, 0.5)
        elif facts.place.startswith(place.key + "/"):
            best = max(best, 0.2)
    return best


class MetadataPrior:
    """Per-chunk multipliers for place and year, computed per report and per year with numpy."""

    def __init__(self, chunks: list[Chunk]):
        reports = list(dict.fromkeys(c.facts for c in chunks))
        position = {facts: i for i, facts in enumerate(reports)}
        self.reports = reports
        self.report_of = np.array([position[c.facts] for c in chunks], dtype="int64")
        self.has_years = np.array([bool(c.years) for c in chunks], dtype=bool)
        self._year_masks: dict[int, np.ndarray] = {}
        by_year: dict[int, list[int]] = {}
        for i, chunk in enumerate(chunks):
            for year in chunk.years:
                by_year.setdefault(year, []).append(i)
        for year, rows in by_year.items():
            mask = np.zeros(len(chunks), dtype=bool)
            mask[rows] = True
            self._year_masks[year] = mask
        self.size = len(chunks)

    def __call__(self, analysis: QueryAnalysis, place_miss: float, year_miss: float) -> np.ndarray:
        per_report = np.ones(len(self.reports), dtype="float32")
        for i, facts in enumerate(self.reports):
            if analysis.places:
                per_report[i] *= place_miss + (1 - place_miss) * place_match(facts, analysis.places)
            if analysis.report_years and facts.year not in analysis.report_years:
                per_report[i] *= year_miss
        prior = per_report[self.report_of] if self.size else np.ones(0, dtype="float32")
        asked = analysis.asked_years
        if asked and self.size:
            covered = np.zeros(self.size, dtype=bool)
            for year in asked:
                mask = self._year_masks.get(year)
                if mask is not None:
                    covered |= mask
            prior = np.where(self.has_years & ~covered, prior * year_miss, prior).astype("float32")
        return prior
