"""Grid over fusion weights and priors: prints hit@k per setting on a question set.

    python bench/tune_retrieval.py [eval/questions.jsonl] [--k 5]

This is how the defaults in `RetrievalConfig` were chosen; tune on the general case, not single questions.
"""
from __future__ import annotations

import argparse
import itertools
from collections import defaultdict
from dataclasses import replace

import rag
from rag.evaluation import load_questions
from rag.evaluation import metrics as m
from rag.retrieval import RetrievalConfig

GRID = {
    "dense_weight": [1.0],
    "lexical_weight": [1.0, 1.5, 2.0, 3.0],
    "rrf_k": [10, 20, 60],
    "place_miss": [0.3],
    "year_miss": [0.3, 0.7],
}


def score(retriever, questions, k: int) -> tuple[float, dict[str, float]]:
    per_type: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        if q.type == "unanswerable":
            continue
        passages = retriever.retrieve(q.question, k=k)
        groups = m.evidence_groups(q, rag.read_source)
        per_type[q.type].append(m.hit(groups, passages))
    overall = [x for xs in per_type.values() for x in xs]
    return sum(overall) / len(overall), {t: sum(xs) / len(xs) for t, xs in per_type.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("questions", nargs="?", default="eval/questions.jsonl")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    questions = load_questions(args.questions)
    retriever = rag.api.default_retriever()
    base = RetrievalConfig()
    rows = []
    for values in itertools.product(*GRID.values()):
        retriever.config = replace(base, **dict(zip(GRID, values)))
        overall, per_type = score(retriever, questions, args.k)
        rows.append((overall, min(per_type.values()), values, per_type))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    types = sorted(rows[0][3])
    print(" | ".join([*GRID, f"hit@{args.k}", "min type", *types]))
    for overall, worst, values, per_type in rows:
        print(" | ".join([*(str(v) for v in values), f"{overall:.3f}", f"{worst:.3f}",
                          *(f"{per_type[t]:.2f}" for t in types)]))
    print(f"default {base}: {score(retriever.__class__(retriever.store, retriever.settings, base), questions, args.k)[0]:.3f}")


if __name__ == "__main__":
    main()
