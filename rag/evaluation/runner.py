"""Run a question set through retrieve/answer callables and score every question.

By default the callables come from `rag` (the configured corpus and index). With
`corpus=` (and optionally `index_dir=`) a question set is run against its own corpus:
a retriever and answerer are built for that folder, its index is built or updated when
needed, and evidence is read back from that index's files.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rag.config import Settings
from rag.errors import (
    ConfigError,
    EmbeddingBackendError,
    IndexCorruptError,
    IndexMissingError,
    LoadError,
    QuestionError,
    QuestionSetError,
)
from rag.evaluation import metrics as m
from rag.evaluation.questions import QUESTION_TYPES, SPLITS, Question, load_questions
from rag.evaluation.report import baseline_delta, load_baseline, write_report
from rag.types import Answer, Passage

Retrieve = Callable[[str, int], list[Passage]]
AnswerFn = Callable[[str, int, str], Answer]
MODES = ("auto", "llm", "extractive")
# Setup problems abort the run; anything else is recorded against the question.
FATAL = (ConfigError, EmbeddingBackendError, IndexCorruptError, IndexMissingError)
METRIC_KEYS = ("hit_at_k", "recall_at_k", "mrr", "key_fact_accuracy", "strict_accuracy",
               "refusal_accuracy", "false_refusal_rate", "citation_exactness",
               "citation_support", "citation_precision", "claims_checked",
               "retrieve_p50_ms", "retrieve_p95_ms", "answer_p50_ms", "answer_p95_ms")


def _from_rag(name: str) -> Any:
    """Import `rag.<name>` lazily, with an actionable error when it is not wired yet."""
    try:
        import rag

        return getattr(rag, name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"rag.{name} is not available ({exc}); pass {name}=... to "
                          "evaluate() or finish wiring the rag package") from None


def _resolve(retrieve: Any, answer: Any, read_source: Any) -> tuple[Any, Any, Any]:
    """Fill in the real `rag` callables for those left as None; `answer=False` → None."""
    if retrieve is None:
        rag_retrieve = _from_rag("retrieve")

        def retrieve(question: str, k: int) -> list[Passage]:
            return rag_retrieve(question, k=k)
    read_source = read_source if read_source is not None else _from_rag("read_source")
    if answer is False:
        answer = None
    elif answer is None:
        rag_answer = _from_rag("answer")

        def answer(question: str, k: int, mode: str) -> Answer:
            return rag_answer(question, k=k, mode=mode)
    return retrieve, answer, read_source


def corpus_settings(corpus: str | Path | None = None,
                    index_dir: str | Path | None = None) -> Settings:
    """Settings for running against `corpus`; its index defaults to `<corpus parent>/vectorstore`.

    With neither argument this is `Settings.from_env()`. Raises ConfigError when `corpus`
    is not an existing directory.
    """
    if corpus is not None:
        corpus = Path(corpus)
        if not corpus.is_dir():
            raise ConfigError(f"corpus {corpus} is not a directory; pass the folder that holds "
                              "the question set's reports")
        if index_dir is None:
            index_dir = corpus.parent / "vectorstore"
    return Settings.from_env().with_overrides(
        corpus_dir=corpus, index_dir=Path(index_dir) if index_dir is not None else None)


def _resolve_for_corpus(settings: Settings, retrieve: Any, answer: Any,
                        read_source: Any) -> tuple[Any, Any, Any]:
    """Like `_resolve`, but the missing callables search the index of `settings`."""
    if retrieve is not None and answer is not None and read_source is not None:
        return retrieve, (None if answer is False else answer), read_source
    from rag.retrieval import Retriever

    retriever = Retriever.from_settings(settings, update=True)  # builds or updates the index if needed
    if retrieve is None:
        def retrieve(question: str, k: int) -> list[Passage]:
            return retriever.retrieve(question, k=k)
    if answer is False:
        answer = None
    elif answer is None:
        from rag.answering import Answerer

        answerer = Answerer(retriever, settings)

        def answer(question: str, k: int, mode: str) -> Answer:
            return answerer.answer(question, k=k, mode=mode)
    if read_source is None:
        from rag.corpus import indexed_path
        from rag.ingest.loaders import load_source

        def read_source(name: str) -> str:
            path = indexed_path(retriever.store.manifest.files, name, settings.corpus_dir)
            return load_source(path).text
    return retrieve, answer, read_source


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, str | None]:
    """Call fn; return (result or None, elapsed ms, error message or None)."""
    start = time.perf_counter()
    try:
        result, error = fn(*args), None
    except FATAL:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded per question; the run goes on
        result, error = None, f"{type(exc).__name__}: {exc}"
    return result, (time.perf_counter() - start) * 1000.0, error


def _passage_row(rank: int, p: Passage, groups: list[list[m.Span]]) -> dict[str, Any]:
    covers = any(m.span_covered(s, p) for g in groups for s in g)
    return {"rank": rank, "source": p.source, "title": p.title, "start": p.start,
            "end": p.end, "score": p.score, "covers_evidence": covers}


def score_question(q: Question, *, k: int, mode: str, retrieve: Retrieve,
                   answer: AnswerFn | None, read_source: Callable[[str], str]) -> dict[str, Any]:
    """Retrieve and (optionally) answer one question; return its per-question record."""
    rec: dict[str, Any] = {"id": q.id, "type": q.type, "split": q.split, "question": q.question,
                           "expected": q.answers, "answers_all": q.answers_all,
                           "evidence": q.evidence, "source": q.source,
                           "evidence_sources": q.evidence_files(),
                           "errors": [], "warnings": [], "failures": []}
    groups: list[list[m.Span]] = []
    if q.answerable:
        try:
            groups = m.evidence_groups(q, read_source)
        except (OSError, LookupError, ValueError, LoadError) as exc:
            groups = [[] for _ in q.evidence]
            rec["warnings"].append(f"cannot read evidence source: {exc}")
        for i, g in enumerate(groups):
            if not g:
                rec["warnings"].append(f"evidence {i} not found in {q.evidence_files()[i]}; "
                                       "fix the question set")
    passages, rec["retrieve_ms"], err = _timed(retrieve, q.question, k)
    if err:
        rec["errors"].append(f"retrieve: {err}")
    passages = list(passages or [])
    rec["retrieved"] = [_passage_row(i, p, groups) for i, p in enumerate(passages, 1)]
    if q.answerable:
        rec["hit"] = m.hit(groups, passages, k)
        rec["recall"] = m.recall(groups, passages, k)
        rec["reciprocal_rank"] = m.reciprocal_rank(groups, passages, k)
        if not rec["hit"]:
            rec["failures"].append("retrieval miss")
    if answer is None:
        return rec
    ans, rec["answer_ms"], err = _timed(answer, q.question, k, mode)
    if err:
        rec["errors"].append(f"answer: {err}")
    ans = ans if isinstance(ans, Answer) else Answer(question=q.question, text="")
    spans = [s for g in groups for s in g]
    rec.update(answer=ans.text, refused=ans.refused, answer_mode=ans.mode,
               n_citations=len(ans.citations), answer_warnings=list(ans.warnings),
               cited=[{"marker": c.marker, "source": c.source, "title": c.title,
                       "start": c.start, "end": c.end,
                       "precise": m.citation_precise(c, spans) if q.answerable else None}
                      for c in ans.citations])
    rec["citation_exact"] = m.citation_exact(ans, read_source)
    if rec["citation_exact"] is not None and rec["citation_exact"] < 1:
        rec["failures"].append("inexact citation")
    rec["strict"] = m.strict_correct(q, ans, groups)
    rec["unverified"] = list(ans.unverified)
    rec["claims_checked"] = None if ans.refused or not ans.text else not ans.unverified
    if ans.unverified:
        rec["failures"].append("unverified figure")
    if q.answerable:
        rec["key_fact"] = m.key_fact_correct(q, ans.text)
        rec["false_refusal"] = m.false_refusal(q, ans)
        rec["citation_support"] = m.citation_support(q, ans, groups)
        rec["citation_precision"] = m.citation_precision(q, ans, groups)
        if rec["false_refusal"]:
            rec["failures"].append("false refusal")
        elif not rec["key_fact"]:
            rec["failures"].append("wrong key fact")
        if not rec["citation_support"] and not rec["false_refusal"]:
            rec["failures"].append("citations miss evidence")
        if rec["citation_precision"] is not None and rec["citation_precision"] < 1:
            rec["failures"].append("imprecise citation")
    else:
        rec["refusal_correct"] = m.refusal_correct(q, ans)
        if not rec["refusal_correct"]:
            rec["failures"].append("should have refused")
    return rec


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics and counts over a list of per-question records (None = not applicable)."""
    answerable = [r for r in records if r["type"] != "unanswerable"]
    answered = [r for r in records if "answer_ms" in r]
    retrieve_ms = [r["retrieve_ms"] for r in records]
    answer_ms = [r["answer_ms"] for r in answered]
    return {
        "n": len(records), "n_answerable": len(answerable),
        "n_unanswerable": len(records) - len(answerable),
        "n_errors": sum(bool(r["errors"]) for r in records),
        "n_failed": sum(bool(r["failures"] or r["errors"]) for r in records),
        "hit_at_k": m.mean(r.get("hit") for r in answerable),
        "recall_at_k": m.mean(r.get("recall") for r in answerable),
        "mrr": m.mean(r.get("reciprocal_rank") for r in answerable),
        "key_fact_accuracy": m.mean(r.get("key_fact") for r in answered),
        "strict_accuracy": m.mean(r.get("strict") for r in answered),
        "refusal_accuracy": m.mean(r.get("refusal_correct") for r in answered),
        "false_refusal_rate": m.mean(r.get("false_refusal") for r in answered),
        "citation_exactness": m.mean(r.get("citation_exact") for r in answered),
        "citation_support": m.mean(r.get("citation_support") for r in answered),
        "citation_precision": m.mean(r.get("citation_precision") for r in answered),
        "claims_checked": m.mean(r.get("claims_checked") for r in answered),
        "retrieve_p50_ms": m.percentile(retrieve_ms, 50),
        "retrieve_p95_ms": m.percentile(retrieve_ms, 95),
        "answer_p50_ms": m.percentile(answer_ms, 50),
        "answer_p95_ms": m.percentile(answer_ms, 95),
    }


def evaluate(path: str | Path, *, k: int = 5, mode: str = "auto",
             out: str | Path | None = None, baseline: str | Path | dict | None = None,
             retrieve: Retrieve | None = None, answer: AnswerFn | None | bool = None,
             read_source: Callable[[str], str] | None = None, progress: bool = True,
             limit: int | None = None, split: str | None = None,
             corpus: str | Path | None = None,
             index_dir: str | Path | None = None) -> dict[str, Any]:
    """Score a JSONL question set; return the report dict (and write it when `out` is set).

    `answer=False` runs retrieval metrics only. Callables left as None come from `rag`,
    or, with `corpus` and/or `index_dir`, from a retriever built for that corpus and index
    (index default: `<corpus parent>/vectorstore`; built or updated when needed).
    `split="tune"` or `"test"` scores only the questions of that split (`limit` applies
    after the split is taken).
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise QuestionError(f"k must be a positive integer, got {k!r}; try --k 5")
    if mode not in MODES:
        raise QuestionError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if limit is not None and limit < 1:
        raise QuestionError(f"limit must be at least 1, got {limit!r}")
    if split is not None and split not in SPLITS:
        raise QuestionError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    old = load_baseline(baseline) if baseline is not None else None
    questions = load_questions(path)
    if split is not None:
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise QuestionSetError(f"{path}: no question has split {split!r}; add a 'split' "
                                   f"field ({' or '.join(SPLITS)}) to its lines")
    questions = questions[:limit]
    retrieval_only = answer is False
    settings = None
    if corpus is not None or index_dir is not None:
        settings = corpus_settings(corpus, index_dir)
        retrieve, answer_fn, read_source = _resolve_for_corpus(settings, retrieve, answer,
                                                               read_source)
    else:
        retrieve, answer_fn, read_source = _resolve(retrieve, answer, read_source)
    cached_read = lru_cache(maxsize=None)(read_source)

    started = time.perf_counter()
    records = [score_question(q, k=k, mode=mode, retrieve=retrieve, answer=answer_fn,
                              read_source=cached_read)
               for q in tqdm(questions, desc="eval", unit="q", file=sys.stderr,
                             disable=not progress)]
    total_s = time.perf_counter() - started

    present = [t for t in QUESTION_TYPES if any(r["type"] == t for r in records)]
    report: dict[str, Any] = {
        "config": {"questions": str(path), "split": split,
                   "corpus": str(settings.corpus_dir) if settings else None,
                   "index_dir": str(settings.index_dir) if settings else None,
                   "k": k, "mode": mode, "limit": limit,
                   "retrieval_only": retrieval_only, "n_questions": len(records),
                   "baseline": str(baseline) if isinstance(baseline, (str, Path)) else None,
                   "created": datetime.now(UTC).isoformat(timespec="seconds")},
        "overall": aggregate(records),
        "per_type": {t: aggregate([r for r in records if r["type"] == t]) for t in present},
        "timings": {"retrieve_ms": m.latency_summary([r["retrieve_ms"] for r in records]),
                    "answer_ms": m.latency_summary([r["answer_ms"] for r in records
                                                    if "answer_ms" in r]),
                    "total_s": total_s},
        "questions": records,
    }
    if old is not None:
        report["baseline_delta"] = baseline_delta(old, report)
    if out is not None:
        write_report(report, out)
    return report
