"""Hybrid retrieval: dense (FAISS) + BM25, fused, with a place/year prior and per-side sub-queries.

Per-query cost does not grow with the number of chunks: fusion and the prior run over the union
of the dense and lexical top candidates, overall and among the chunks the prior favours (the asked
place's reports of the asked years), never over every chunk.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..embeddings import create_embedder
from ..store import Store
from ..types import Passage, Scope
from .corpus_places import CorpusPlaces
from .fusion import MetadataPrior, candidate_ranks
from .lexical import tokenize, top_positive
from .query import QueryAnalysis, analyse, check_question

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrievalConfig:
    """Fusion weights and priors (set by measurement on eval/questions.jsonl)."""

    dense_weight: float = 1.0
    lexical_weight: float = 1.5
    rrf_k: int = 20
    place_miss: float = 0.3
    year_miss: float = 0.5
    expand_dense: bool = True
    place_token_weight: float = 0.3  # BM25 weight of the asked place's name once the prior has matched it
    candidates: int = 400  # dense and lexical top-N fused, overall and among the favoured chunks


class Retriever:
    """Searches one vector store; thread-safe for concurrent readers."""

    def __init__(self, store: Store, settings: Settings | None = None,
                 config: RetrievalConfig | None = None):
        self.settings = settings or Settings.from_env()
        self.config = config or RetrievalConfig()
        self.store = store
        self.records = store.records
        manifest = store.manifest
        self.embedder = create_embedder(manifest.embedding_backend, manifest.embedding_model)
        self.bm25 = store.lexical
        self.corpus = CorpusPlaces(facts for _, facts in self.records.reports)
        self.prior = MetadataPrior(self.records)
        self.status = None  # how the index stands against the corpus (an IndexStatus, set by from_settings)
        self._lock = threading.Lock()
        self._scoped: dict[Scope, tuple[np.ndarray, np.ndarray, CorpusPlaces]] = {}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, config: RetrievalConfig | None = None,
                      update: bool = False) -> Retriever:
        """Load the last complete index in settings.index_dir; `update` first brings it up to date
        (batch tools), otherwise an out-of-date index answers with `warnings` saying so."""
        from ..index_guard import ensure_index
        settings = settings or Settings.from_env()
        store, status = ensure_index(settings, update=update)
        retriever = cls(store, settings, config)
        retriever.status = status
        return retriever

    def index_warnings(self) -> list[str]:
        """Whether the index answering is out of date or being updated, and how far the update is."""
        if self.status is None:
            return []
        from ..index_guard import refresh
        return refresh(self.status, self.settings).warnings

    def analyse(self, question: str, scope: Scope | None = None) -> QueryAnalysis:
        """The question's places (resolved against the corpus in scope) and years."""
        return analyse(question, self.corpus_for(scope))

    def corpus_for(self, scope: Scope | None) -> CorpusPlaces:
        """The places and reports of the chunks in scope (the whole corpus when scope is None)."""
        return self._in_scope(scope)[2] if scope is not None and not scope.is_all else self.corpus

    def _in_scope(self, scope: Scope) -> tuple[np.ndarray, np.ndarray, CorpusPlaces]:
        """Boolean masks over the store's chunks and over its reports, and the CorpusPlaces of those
        reports, cached per scope."""
        with self._lock:
            cached = self._scoped.get(scope)
        if cached is None:
            reports = self.records.scope_reports(scope)
            cached = (self.records.scope_mask(scope, reports),
                      reports, CorpusPlaces(facts for admitted, (_, facts) in zip(reports, self.records.reports)
                                            if admitted))
            with self._lock:
                if len(self._scoped) > 256:
                    self._scoped.clear()
                self._scoped[scope] = cached
        return cached

    def term_weights(self) -> dict[str, float]:
        """IDF of every BM25 term of the corpus (the answerer weighs question words with them)."""
        return self.bm25.idf

    def retrieve(self, question: str, *, k: int = 5, analysis: QueryAnalysis | None = None,
                 scope: Scope | None = None) -> list[Passage]:
        """The k passages most likely to hold the answer, both sides of a comparison included.

        `analysis` (from `analyse`, possibly narrowed by the caller) saves reading the question again;
        `scope` keeps only chunks of the reports it admits.
        """
        question = check_question(question, k, self.settings.max_question_chars)
        analysis = analysis or self.analyse(question, scope)
        if not len(self.records):
            return []
        mask, reports = self._in_scope(scope)[:2] if scope is not None and not scope.is_all else (None, None)
        if mask is not None and not mask.any():
            return []
        sides = analysis.sides()
        own = analysis.own_words() if len(sides) > 1 else {}
        ranked = [self._rank(side, own[side.places[0]].simplified if side.places and side.places[0] in own
                             else self._side_text(side, analysis), mask, reports) for side in sides]
        return self._interleave(ranked, k)

    def _side_text(self, side: QueryAnalysis, whole: QueryAnalysis) -> str:
        """The question (simplified) without the places or years that belong to the other sides."""
        text = whole.simplified
        if len(side.places) < len(whole.places):
            for word in whole.place_words:
                if not any(word in (p.name, p.alias) or p.name in word for p in side.places):
                    text = text.replace(word, "")
        for year in whole.years:
            if year not in side.years:
                text = text.replace(str(year), "")
        return text

    def _rank(self, analysis: QueryAnalysis, text: str, mask: np.ndarray | None,
              reports: np.ndarray | None) -> list[tuple[int, float, dict]]:
        """Candidates of one side, best first; `mask` and `reports` are the scope's chunks and reports."""
        config, n = self.config, self.config.candidates
        expansions = analysis.expansions
        dense_text = " ".join([text, *expansions]) if analysis.english and config.expand_dense else text
        query_vector = self.embedder.embed_query(dense_text)  # thread-safe, recent questions reused
        names = [p.name for p in analysis.places]
        # The prior already prefers the asked place's reports: its name must not outweigh the asked metric
        # in BM25, or every chunk that repeats the name (titles, headers) outranks the one with the figure.
        place_tokens = {t: config.place_token_weight for t in tokenize(" ".join([*names, *analysis.place_words]))
                        if not t.isdigit()} if analysis.places else {}
        lexical_all = self.bm25.scores(tokenize(" ".join([text, *names, *expansions])), place_tokens)
        if mask is not None:
            lexical_all[~mask] = 0
        dense_top, _ = self.store.search(query_vector, n, mask)
        lexical_top, _ = top_positive(lexical_all, n)
        lists = [dense_top, lexical_top]
        favoured = self._favoured(analysis, reports)
        if favoured is not None:
            lists.append(self.store.search_among(query_vector, n, favoured)[0])
            lists.append(favoured[top_positive(lexical_all[favoured], n)[0]])
        ids = np.unique(np.concatenate(lists)).astype("int64")
        dense = self.store.scores_of(query_vector, ids)
        lexical = lexical_all[ids]
        fused = np.zeros(len(ids), dtype="float32")
        for scores, top, weight in ((dense, dense_top, config.dense_weight),
                                    (lexical, lexical_top, config.lexical_weight)):
            if weight:
                fused += weight / (config.rrf_k + candidate_ranks(ids, scores, top))
        prior = self.prior(analysis, config.place_miss, config.year_miss, ids)
        final = fused * prior
        top = [i for i in np.lexsort((ids, -final))[:100] if np.isfinite(final[i])]
        return [(int(ids[i]), float(final[i]), {"dense": float(dense[i]), "lexical": float(lexical[i]),
                                                "prior": float(prior[i])}) for i in top]

    def _favoured(self, analysis: QueryAnalysis, reports: np.ndarray | None) -> np.ndarray | None:
        """Positions (ascending) of the chunks in scope (`reports`: admitted reports, None for all) that
        the prior does not discount: the asked place's reports, of the asked years. None when nothing is
        asked that the prior acts on. Each constraint is dropped if it leaves no chunk. Narrowed per
        report first, so the cost follows the favoured chunks, not the corpus."""
        records = self.records
        if not (analysis.places or analysis.report_years or analysis.asked_years):
            return None
        held = records.has_chunks if reports is None else records.has_chunks & reports
        constraints = []
        if analysis.places:
            constraints.append(records.report_flags(records.reports_of_places([p.key for p in analysis.places])))
        if analysis.report_years:
            constraints.append(records.called(analysis.report_years))
        for constraint in constraints:
            narrowed = held & constraint
            if narrowed.any():
                held = narrowed
        favoured = records.chunks_of(held)
        if analysis.asked_years:
            keep = ~records.has_years[favoured]
            for year in analysis.asked_years:
                keep |= records.year_mask(year)[favoured]
            if keep.any():
                favoured = favoured[keep]
        return favoured

    def _interleave(self, ranked: list[list[tuple[int, float, dict]]], k: int) -> list[Passage]:
        passages: list[Passage] = []
        seen: set[int] = set()
        cursors = [0] * len(ranked)
        while len(passages) < k and any(c < len(r) for c, r in zip(cursors, ranked)):
            for side, candidates in enumerate(ranked):
                while cursors[side] < len(candidates) and candidates[cursors[side]][0] in seen:
                    cursors[side] += 1
                if cursors[side] >= len(candidates) or len(passages) >= k:
                    continue
                position, score, signals = candidates[cursors[side]]
                seen.add(position)
                passage = Passage.from_chunk(self.records[position], score)
                passage.signals.update(signals)
                passages.append(passage)
        return passages
