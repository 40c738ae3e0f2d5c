"""Retrieval quality and speed in one run: hybrid vs the naive baseline, latency, memory.

    python bench/retrieve.py [eval/questions.jsonl] [--k 5] [--repeat 3]

Prints hit@k per question type for the naive LangChain-tutorial pipeline (500-char chunks,
e5-small, FAISS top-k) and for the hybrid retriever, their ratio, then p50/p95 latency of
`rag.retrieve` after warm-up and the memory the index takes.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections import defaultdict

import psutil

import rag
from rag.evaluation import load_questions
from rag.evaluation import metrics as m
from rag.retrieval.naive import NaiveRetriever


def hit_rates(retrieve, questions, k: int) -> dict[str, float]:
    per_type: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        if q.answerable:
            per_type[q.type].append(m.hit(m.evidence_groups(q, rag.read_source), retrieve(q.question, k)))
    rates = {t: sum(v) / len(v) for t, v in sorted(per_type.items())}
    rates["overall"] = sum(sum(v) for v in per_type.values()) / sum(len(v) for v in per_type.values())
    return rates


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", nargs="?", default="eval/questions.jsonl")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the question set")
    args = parser.parse_args()
    questions = load_questions(args.questions)
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    retriever = rag.api.default_retriever()
    rss_after = process.memory_info().rss
    naive = NaiveRetriever.from_settings()

    hybrid_rates = hit_rates(lambda q, k: retriever.retrieve(q, k=k), questions, args.k)
    naive_rates = hit_rates(lambda q, k: naive.retrieve(q, k=k), questions, args.k)
    print(f"## hit@{args.k} on {args.questions} ({sum(q.answerable for q in questions)} answerable questions)\n")
    print("| type | naive | hybrid | ratio |\n|---|---:|---:|---:|")
    for name in hybrid_rates:
        ratio = hybrid_rates[name] / naive_rates[name] if naive_rates[name] else float("inf")
        print(f"| {name} | {naive_rates[name]:.3f} | {hybrid_rates[name]:.3f} | {ratio:.2f}x |")

    texts = [q.question for q in questions]
    for text in texts[:10]:  # warm-up: jieba, OpenCC, embedding engine
        retriever.retrieve(text, k=args.k)
    timings = []
    for _ in range(args.repeat):
        for text in texts:
            started = time.perf_counter()
            retriever.retrieve(text, k=args.k)
            timings.append((time.perf_counter() - started) * 1000)
    store = retriever.store
    print(f"\n## latency of rag.retrieve (k={args.k}, {len(timings)} calls after warm-up)\n")
    print("| p50 ms | p95 ms | mean ms | target p50 |\n|---:|---:|---:|---|")
    p50 = statistics.median(timings)
    print(f"| {p50:.1f} | {percentile(timings, 95):.1f} | {statistics.fmean(timings):.1f} | "
          f"≤ 50 ms: {'PASS' if p50 <= 50 else 'FAIL'} |")
    print("\n## memory\n")
    print("| chunks | vectors in memory (texts stay on disk) | process RSS growth on load |\n|---:|---:|---:|")
    print(f"| {len(store.chunks)} | {store.memory_bytes / 2**20:.1f} MiB | {(rss_after - rss_before) / 2**20:.1f} MiB |")


if __name__ == "__main__":
    main()
