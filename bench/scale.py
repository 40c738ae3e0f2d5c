"""Retrieval at 10k, 100k and 1M chunks: synthetic stores grown from the real sample, nothing embedded.

    python bench/scale.py [--sizes 10000,100000,1000000] [--backends flat,ivf,hnsw] [--queries 142]
                          [--work DIR] [--noise 0.017] [--noise-kind gaussian|data] [--rebuild]

Each size replicates the shipped index (vectorstore/): copy 0 is the real corpus; every other copy's
reports get another place of the same level and shifted years, and its vectors are the real ones
perturbed and re-normalised: by Gaussian noise (`gaussian`, the default: cosine ≈ 0.95 to the original,
in every direction alike), or (`data`) by the same norm along the difference of two other real chunks,
so that copies differ from each other the way real chunks do rather than in directions no real chunk
takes. Texts and their BM25 postings are the sample's, replicated. Built stores are kept under --work, one directory per size,
backend and noise, and reused by later runs (their build time is the one measured when built; --rebuild
builds them again). Every store is written through the production save path, then
loaded and queried in a fresh process (so RSS and load time are those of a new `rag` process) with the
questions of eval/questions.jsonl, the query embedding included and no query vector reused ("retrieve"), then again with the query
vectors already computed ("search": everything but the embedding). recall@5 compares each backend's
`retrieve` top 5 with the same retriever on exact (flat) dense search, and "ANN recall@5" the bare
dense top 5 of the index with exact search.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOISE = 0.017  # per-dimension noise of the perturbed copies (384 dims: noise norm ≈ 0.33)
BUILD_FILE = "bench-build.json"  # beside a cached store: what built it and how long it took


@dataclass(frozen=True)
class Noise:
    """How copies' vectors are perturbed: `scale` per dimension, `kind` gaussian or data (see above)."""

    scale: float = NOISE
    kind: str = "gaussian"

    @property
    def label(self) -> str:
        return f"noise{self.scale:g}" + ("" if self.kind == "gaussian" else f"-{self.kind}")

    def perturb(self, vectors: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        if self.kind == "gaussian":
            noise = rng.normal(0, self.scale, vectors.shape)
        elif self.kind == "data":
            pairs = rng.integers(0, len(vectors), (2, len(vectors)))
            diff = vectors[pairs[0]] - vectors[pairs[1]]
            norms = np.linalg.norm(diff, axis=1, keepdims=True)
            noise = diff / np.where(norms > 0, norms, 1) * self.scale * math.sqrt(vectors.shape[1])
        else:
            raise SystemExit(f"unknown --noise-kind {self.kind!r}: gaussian or data")
        noisy = vectors + noise
        return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype("float32")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- building ---------------------------------------------------------------------------------


def rotated_reports(reports, copies: int):
    """(source, facts) of every copy's reports: copy 0 as is, the others of another place and year."""
    from rag.places import gazetteer
    gaz = gazetteer()
    by_level: dict[str, list] = {}
    for place in gaz.places:
        by_level.setdefault(place.level, []).append(place)
    result = []
    for copy in range(copies):
        shift = 0 if copy == 0 else (copy * 3) % 9 - 4
        for r, (source, facts) in enumerate(reports):
            if copy == 0:
                result.append((source, facts))
                continue
            changes = {}
            place = gaz.get(facts.place)
            if place is not None:
                others = by_level[place.level]
                other = others[(copy * 7919 + r * 104729) % len(others)]
                changes.update(place=other.key, title=facts.title.replace(place.name, other.name))
            if facts.year is not None:
                changes["year"] = facts.year + shift
            changes["years"] = tuple(y + shift for y in facts.years)
            result.append((f"copy{copy}-{source}", replace(facts, **changes)))
    return result


def synthesize(base, size: int, noise: Noise):
    """Records, BM25 and a vector generator for `size` chunks grown from the store `base`."""
    from rag.retrieval.lexical import BM25
    from rag.store import ChunkRecords
    base_n = len(base.records)
    copies = math.ceil(size / base_n)
    records = base.records
    reports = rotated_reports(records.reports, copies)
    chunk_copy = np.arange(size) // base_n
    chunk_base = np.arange(size) % base_n
    report_of = (np.asarray(records.report_of)[chunk_base] + len(records.reports) * chunk_copy).astype("int32")
    base_lengths = np.diff(np.asarray(records.year_ptr))
    lengths = base_lengths[chunk_base]
    year_ptr = np.zeros(size + 1, dtype="int64")
    np.cumsum(lengths, out=year_ptr[1:])
    shifts = np.array([0] + [(c * 3) % 9 - 4 for c in range(1, copies)], dtype="int32")
    base_values = np.asarray(records.year_values)
    starts = np.asarray(records.year_ptr)[chunk_base]
    idx = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(int(lengths.sum()))
    year_values = (base_values[idx] + np.repeat(shifts[chunk_copy], lengths)).astype("int32")
    base_chunks = list(records)

    def rows():
        for i in range(size):
            c = base_chunks[i % base_n]
            yield c.start, c.end, c.page, c.text

    synthetic = ChunkRecords(reports, report_of, year_ptr, year_values, rows=rows)

    lex = base.lexical
    ptr, docs, tf = np.asarray(lex.ptr), np.asarray(lex.docs), np.asarray(lex.tf)
    offsets = (base_n * np.arange(copies, dtype="int64"))[:, None]
    new_ptr = np.zeros(len(ptr), dtype="int64")
    pieces_docs, pieces_tf = [], []
    for term in range(len(ptr) - 1):
        d = docs[ptr[term]:ptr[term + 1]]
        block = (d[None, :] + offsets).ravel()
        keep = block < size
        pieces_docs.append(block[keep].astype("int32"))
        pieces_tf.append(np.tile(tf[ptr[term]:ptr[term + 1]], copies)[keep])
        new_ptr[term + 1] = new_ptr[term] + int(keep.sum())
    lexical = BM25.from_arrays(dict(lex.vocab), new_ptr, np.concatenate(pieces_docs), np.concatenate(pieces_tf),
                               np.tile(np.asarray(lex.lengths), copies)[:size], lex.k1, lex.b)
    base_vectors = base.vectors()

    def vector_blocks(block_copies: int = 64):
        for first in range(0, copies, block_copies):
            block = []
            for copy in range(first, min(copies, first + block_copies)):
                if copy == 0:
                    block.append(base_vectors)
                    continue
                block.append(noise.perturb(base_vectors, copy))
            stacked = np.vstack(block)
            limit = size - first * base_n
            yield stacked[:limit]

    return synthetic, lexical, vector_blocks


def store_dir(work: Path, size: int, backend: str, noise: Noise) -> Path:
    return work / f"{size}-{backend}-{noise.label}"


def ann_of(backend: str, size: int) -> dict:
    """The manifest's `ann` for a bench backend: flat, or the production choice of that kind at `size`."""
    from rag.store.faiss import choose_ann
    return choose_ann(size, size + 1) if backend == "flat" else choose_ann(size, 0, large=backend)


def build(size: int, backends: list[str], work: Path, noise: Noise, rebuild: bool) -> dict[str, float]:
    """Build seconds of each backend's store, building only those not cached under `work`."""
    from rag.store import FaissStore, Manifest, load_store
    from rag.store.faiss import build_faiss, training_sample
    seconds, todo = {}, []
    for backend in backends:
        stamp = store_dir(work, size, backend, noise) / BUILD_FILE
        cached = json.loads(stamp.read_text()) if stamp.exists() and not rebuild else None
        if cached and cached["ann"] == ann_of(backend, size):
            seconds[backend] = cached["seconds"]
        else:
            todo.append(backend)
    if not todo:
        return seconds
    base = load_store(ROOT / "vectorstore")
    records, lexical, vector_blocks = synthesize(base, size, noise)
    for backend in todo:
        started = time.perf_counter()
        m = base.manifest
        manifest = Manifest(m.embedding_backend, m.embedding_model, m.dim, m.chunker)
        manifest.ann = ann_of(backend, size)
        train = training_sample(next(vector_blocks()), manifest.ann["nlist"]) if backend == "ivf" else None
        index = build_faiss(np.zeros((0, m.dim), "float32"), m.dim, manifest.ann, train)
        for block in vector_blocks():
            index.add(block)
        directory = store_dir(work, size, backend, noise)
        FaissStore(manifest, records, lexical, index).save(directory)
        seconds[backend] = time.perf_counter() - started
        (directory / BUILD_FILE).write_text(json.dumps({"ann": manifest.ann, "seconds": seconds[backend]}))
        del index
    return seconds


# --- measuring (in a fresh process per store) -----------------------------------------------------


def measure(directory: Path, queries: int, flat: Path | None) -> dict:
    import psutil

    from rag.config import Settings
    from rag.evaluation import load_questions
    from rag.retrieval import Retriever
    from rag.store import load_store
    process = psutil.Process()
    rss_start = process.memory_info().rss
    started = time.perf_counter()
    store = load_store(directory)
    retriever = Retriever(store, Settings())
    load_s = time.perf_counter() - started
    questions = [q.question for q in load_questions(ROOT / "eval" / "questions.jsonl")][:queries]
    for question in questions[:5]:  # warm-up: embedder, gazetteer tables, page cache
        retriever.retrieve(question, k=5)
    embed_ms, retrieve_ms, results, dense = [], [], {}, {}
    for question in questions:  # each timed as if first asked: no query vector reused
        retriever.embedder.forget()
        t0 = time.perf_counter()
        vector = retriever.embedder.embed_query(question)
        embed_ms.append((time.perf_counter() - t0) * 1000)
        retriever.embedder.forget()
        t0 = time.perf_counter()
        passages = retriever.retrieve(question, k=5)
        retrieve_ms.append((time.perf_counter() - t0) * 1000)
        results[question] = [[p.source, p.start, p.end] for p in passages]
        dense[question] = store.search(vector, 5)[0].tolist()
    # The same questions with every query vector already computed: the search alone.
    embedder, memo = retriever.embedder, {}

    class Memoized:
        def embed_query(self, text):
            if text not in memo:
                memo[text] = embedder.embed_query(text)
            return memo[text]

    retriever.embedder = Memoized()
    for question in questions:
        retriever.retrieve(question, k=5)
    search_ms = []
    for question in questions:
        t0 = time.perf_counter()
        retriever.retrieve(question, k=5)
        search_ms.append((time.perf_counter() - t0) * 1000)
    retriever.embedder = embedder
    return {"search_p50": percentile(search_ms, 50), "search_p95": percentile(search_ms, 95),
            "load_s": load_s, "rss_mib": process.memory_info().rss / 2**20, "rss_growth_mib":
            (process.memory_info().rss - rss_start) / 2**20, "embed_p50": percentile(embed_ms, 50),
            "p50": percentile(retrieve_ms, 50), "p95": percentile(retrieve_ms, 95), "results": results,
            "dense": dense, "chunks": len(store.records), "ann": store.manifest.ann}


def run_measure(directory: Path, queries: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", str(directory), "--queries", str(queries)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def describe(ann: dict) -> str:
    """A backend and its parameters, as the table shows them."""
    kind = ann.get("kind")
    if kind == "ivf":
        return f"ivf nlist={ann['nlist']} nprobe={ann['nprobe']}"
    if kind == "hnsw":
        return f"hnsw M={ann['m']} efSearch={ann['ef_search']}"
    return "flat"


def recall(a: dict, b: dict) -> float:
    hits = [len({tuple(x) if isinstance(x, list) else x for x in a[q]} &
                {tuple(x) if isinstance(x, list) else x for x in b[q]}) / max(1, len(b[q])) for q in b]
    return sum(hits) / len(hits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="flat,ivf")
    parser.add_argument("--queries", type=int, default=142)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-scale"), help="where built stores are kept")
    parser.add_argument("--noise", type=float, default=NOISE, help="per-dimension noise of the perturbed copies")
    parser.add_argument("--noise-kind", default="gaussian", choices=("gaussian", "data"))
    parser.add_argument("--rebuild", action="store_true", help="build the stores again even if cached")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.queries, None), ensure_ascii=False))
        return
    backends = args.backends.split(",")
    print("| chunks | backend | build s | load s | RSS MiB | embed p50 ms | retrieve p50 ms | p95 ms | "
          "search p50 ms | p95 ms | recall@5 | ANN recall@5 |\n"
          "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    sample = run_measure(ROOT / "vectorstore", args.queries)
    print(f"| {sample['chunks']} (sample) | flat | – | {sample['load_s']:.2f} | {sample['rss_mib']:.0f} | "
          f"{sample['embed_p50']:.1f} | {sample['p50']:.1f} | {sample['p95']:.1f} | {sample['search_p50']:.1f} | "
          f"{sample['search_p95']:.1f} | 1.000 | 1.000 |", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        noise = Noise(args.noise, args.noise_kind)
        seconds = build(size, backends, args.work, noise, args.rebuild)
        measured = {b: run_measure(store_dir(args.work, size, b, noise), args.queries) for b in backends}
        exact = measured.get("flat")
        for backend in backends:
            m = measured[backend]
            r = f"{recall(m['results'], exact['results']):.3f}" if exact else "–"
            d = f"{recall(m['dense'], exact['dense']):.3f}" if exact else "–"
            print(f"| {size} | {describe(m['ann'])} | {seconds[backend]:.1f} | {m['load_s']:.2f} | {m['rss_mib']:.0f} | "
                  f"{m['embed_p50']:.1f} | {m['p50']:.1f} | {m['p95']:.1f} | {m['search_p50']:.1f} | "
                  f"{m['search_p95']:.1f} | {r} | {d} |", flush=True)


if __name__ == "__main__":
    main()
