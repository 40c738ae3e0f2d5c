"""Sweep extractive answer settings on the TUNE half of question sets; prints strict accuracy per setting.

    python bench/tune_extractive.py far_ratio=0.9,1.01 keep_ratio=0.5,0.7

Both sets are read at their tune half only (the test halves are what the README reports). The
outside set runs against its own corpus (eval/outside/reports, index in eval/outside/vectorstore).
"""
from __future__ import annotations

import itertools
import sys
from dataclasses import replace

from rag.answering import Answerer
from rag.answering.extractive import ExtractiveConfig
from rag.evaluation import evaluate
from rag.evaluation.runner import corpus_settings
from rag.retrieval import Retriever

SETS = [("eval/questions.jsonl", None), ("eval/outside/questions.jsonl", "eval/outside/reports")]


def parse_grid(args: list[str]) -> dict[str, list[float]]:
    grid = {}
    for arg in args:
        name, values = arg.split("=", 1)
        grid[name] = [float(v) for v in values.split(",")]
    return grid


def main() -> None:
    grid = parse_grid(sys.argv[1:])
    runs = []
    for path, corpus in SETS:
        settings = corpus_settings(corpus, None) if corpus else None
        retriever = Retriever.from_settings(settings)
        runs.append((path, retriever))
    print(" | ".join([*grid, "set", "strict", "key-fact", "precision", "refusal", "false refusals"]))
    for values in itertools.product(*grid.values()):
        config = replace(ExtractiveConfig(), **dict(zip(grid, values)))
        for path, retriever in runs:
            answerer = Answerer(retriever, retriever.settings, extractive=config)
            report = evaluate(path, split="tune", mode="extractive", progress=False,
                              retrieve=lambda q, k, r=retriever: r.retrieve(q, k=k),
                              answer=lambda q, k, mode, a=answerer: a.answer(q, k=k, mode=mode),
                              read_source=lambda name, r=retriever: _read(r, name))
            o = report["overall"]
            print(" | ".join([*(str(v) for v in values), path.split("/")[-2] if corpus_of(path) else "sample",
                              *(f"{o[key]:.3f}" for key in ("strict_accuracy", "key_fact_accuracy",
                                                           "citation_precision", "refusal_accuracy",
                                                           "false_refusal_rate"))]), flush=True)


def corpus_of(path: str) -> str | None:
    return dict(SETS)[path]


def _read(retriever, name: str) -> str:
    from rag.corpus import indexed_path
    from rag.ingest.loaders import load_source
    return load_source(indexed_path(retriever.store.manifest.files, name, retriever.settings.corpus_dir)).text


if __name__ == "__main__":
    main()
