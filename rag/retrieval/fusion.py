"""Rank fusion and the metadata prior that prefers the asked-about place and year."""
from __future__ import annotations

import numpy as np

from ..places import Place
from ..store.records import ChunkRecords
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


def candidate_ranks(ids: np.ndarray, scores: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Ranks of candidates `ids` (with these scores) in a full ranking whose head is `top`.

    A candidate in `top` has its exact 1-based rank; the others follow the head in score order (a
    lower bound of their true rank, which only the whole corpus could tell); a score of 0 or less
    gets no rank (inf), as in `ranks`.
    """
    result = np.full(len(ids), np.inf, dtype="float32")
    found = np.zeros(len(ids), dtype=bool)
    if len(top) and len(ids):
        order = np.argsort(top, kind="stable")
        where = np.minimum(np.searchsorted(top[order], ids), len(top) - 1)
        found = top[order][where] == ids
        result[found] = order[where[found]] + 1
    rest = np.flatnonzero(~found)
    rest = rest[np.lexsort((ids[rest], -scores[rest]))]
    result[rest] = len(top) + 1 + np.arange(len(rest))
    result[scores <= 0] = np.inf
    return result


class MetadataPrior:
    """Per-chunk multipliers for place and year: per report, then per section year, with numpy.

    Computed only for the chunks asked about (the fusion candidates), so its cost does not grow
    with the corpus.
    """

    def __init__(self, chunks: ChunkRecords | list[Chunk]):
        self.records = chunks if isinstance(chunks, ChunkRecords) else ChunkRecords.from_chunks(list(chunks))

    def __call__(self, analysis: QueryAnalysis, place_miss: float, year_miss: float,
                 ids: np.ndarray | None = None) -> np.ndarray:
        records = self.records
        ids = np.arange(len(records)) if ids is None else np.asarray(ids, dtype="int64")
        if not len(ids):
            return np.ones(0, dtype="float32")
        per_report = np.ones(len(records.reports), dtype="float32")
        if analysis.places:
            match = records.place_matches([p.key for p in analysis.places])
            per_report *= place_miss + (1 - place_miss) * match
        if analysis.report_years:
            per_report[~records.called(analysis.report_years)] *= year_miss
        prior = per_report[records.report_of[ids]]
        asked = analysis.asked_years
        if asked:
            has, hit = records.covered(ids, sorted(asked))
            prior = np.where(has & ~hit, prior * year_miss, prior).astype("float32")
        return prior
