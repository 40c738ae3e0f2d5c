"""Hybrid retrieval: dense (FAISS) + BM25, fused, with a place/year prior and per-side sub-queries."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from ..chunking import embedding_text
from ..config import Settings
from ..embeddings import create_embedder
from ..store import VectorStore
from ..types import Passage, Scope
from .corpus_places import CorpusPlaces
from .fusion import MetadataPrior, reciprocal_rank_fusion
from .lexical import BM25, tokenize
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


class Retriever:
    """Searches one vector store; thread-safe for concurrent readers."""

    def __init__(self, store: VectorStore, settings: Settings | None = None,
                 config: RetrievalConfig | None = None):
        self.settings = settings or Settings.from_env()
        self.config = config or RetrievalConfig()
        self.store = store
        manifest = store.manifest
        self.embedder = create_embedder(manifest.embedding_backend, manifest.embedding_model)
        self.bm25 = BM25([tokenize(embedding_text(c)) for c in store.chunks])
        self.corpus = CorpusPlaces(c.facts for c in store.chunks)
        self.prior = MetadataPrior(store.chunks)
        self._lock = threading.Lock()
        self._scoped: dict[Scope, tuple[np.ndarray, CorpusPlaces]] = {}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, config: RetrievalConfig | None = None) -> Retriever:
        """Load the index in settings.index_dir, building or updating it from the corpus first."""
        from ..index_guard import ensure_index
        settings = settings or Settings.from_env()
        return cls(ensure_index(settings), settings, config)

    def analyse(self, question: str, scope: Scope | None = None) -> QueryAnalysis:
        """The question's places (resolved against the corpus in scope) and years."""
        return analyse(question, self.corpus_for(scope))

    def corpus_for(self, scope: Scope | None) -> CorpusPlaces:
        """The places and reports of the chunks in scope (the whole corpus when scope is None)."""
        return self._in_scope(scope)[1] if scope is not None and not scope.is_all else self.corpus

    def _in_scope(self, scope: Scope) -> tuple[np.ndarray, CorpusPlaces]:
        """A boolean mask over the store's chunks and the CorpusPlaces of those chunks, cached per scope."""
        with self._lock:
            cached = self._scoped.get(scope)
        if cached is None:
            chunks = self.store.chunks
            mask = np.fromiter((scope.admits(c.source, c.facts) for c in chunks), dtype=bool, count=len(chunks))
            cached = (mask, CorpusPlaces(c.facts for c, keep in zip(chunks, mask) if keep))
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
        if not self.store.chunks:
            return []
        mask = self._in_scope(scope)[0] if scope is not None and not scope.is_all else None
        if mask is not None and not mask.any():
            return []
        sides = analysis.sides()
        own = analysis.own_words() if len(sides) > 1 else {}
        ranked = [self._rank(side, own[side.places[0]].simplified if side.places and side.places[0] in own
                             else self._side_text(side, analysis), mask) for side in sides]
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

    def _rank(self, analysis: QueryAnalysis, text: str, mask: np.ndarray | None) -> list[tuple[int, float, dict]]:
        config = self.config
        expansions = analysis.expansions
        dense_text = " ".join([text, *expansions]) if analysis.english and config.expand_dense else text
        query_vector = self.embedder.embed_query(dense_text)  # thread-safe, recent questions reused
        dense = self.store.index_scores(query_vector)
        names = [p.name for p in analysis.places]
        # The prior already prefers the asked place's reports: its name must not outweigh the asked metric
        # in BM25, or every chunk that repeats the name (titles, headers) outranks the one with the figure.
        place_tokens = {t: config.place_token_weight for t in tokenize(" ".join([*names, *analysis.place_words]))
                        if not t.isdigit()} if analysis.places else {}
        lexical = self.bm25.scores(tokenize(" ".join([text, *names, *expansions])), place_tokens)
        fused = reciprocal_rank_fusion([dense, lexical], [config.dense_weight, config.lexical_weight],
                                       config.rrf_k)
        prior = self.prior(analysis, config.place_miss, config.year_miss)
        final = fused * prior
        if mask is not None:
            final = np.where(mask, final, -np.inf)
        top = [i for i in np.argsort(-final, kind="stable")[:100] if np.isfinite(final[i])]
        return [(int(i), float(final[i]), {"dense": float(dense[i]), "lexical": float(lexical[i]),
                                           "prior": float(prior[i])}) for i in top]

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
                passage = Passage.from_chunk(self.store.chunks[position], score)
                passage.signals.update(signals)
                passages.append(passage)
        return passages
