"""Pure metric functions: retrieval coverage, key facts, refusals, citations, latency.

Evidence is handled as *groups*: one list of (source, start, end) spans per evidence
string, holding every occurrence of that string in its file. An evidence string counts
as found when ANY of its occurrences is covered.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from rag.errors import LoadError
from rag.evaluation.questions import Question
from rag.textnorm import PINYIN_GLOSS
from rag.types import Answer, Citation

Span = tuple[str, int, int]
EvidenceGroups = Sequence[Sequence[Span]]
# A citation within this many characters of an evidence span (in the same file and
# report) still points at the evidence; farther away it cites the wrong passage.
NEAR_CHARS = 200

_COMMAS_AND_SPACE = re.compile(r"[,，\s]+")


class Located(Protocol):
    """Anything with a source and character offsets (Passage, Citation)."""

    source: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Traditional→simplified, then drop pinyin glosses ("萬(wàn)人"), commas (`,` `，`) and all whitespace."""
    return _COMMAS_AND_SPACE.sub("", PINYIN_GLOSS.sub("", _t2s().convert(text)))


# ---------------------------------------------------------------- retrieval

def _occurrences(haystack: str, needle: str) -> list[tuple[int, int]]:
    found, pos = [], haystack.find(needle)
    while needle and pos != -1:
        found.append((pos, pos + len(needle)))
        pos = haystack.find(needle, pos + 1)
    return found


def evidence_groups(question: Question, read_source: Callable[[str], str]) -> list[list[Span]]:
    """One list per evidence string: every (source, start, end) where it occurs.

    A string absent from its file gets an empty list (it can never be covered).
    """
    groups: list[list[Span]] = []
    for snippet, name in zip(question.evidence, question.evidence_files(), strict=True):
        text = read_source(name)
        groups.append([(name, s, e) for s, e in _occurrences(text, snippet)])
    return groups


def evidence_spans(question: Question, read_source: Callable[[str], str]) -> list[Span]:
    """Every occurrence of each evidence string in its file, flattened."""
    return [span for group in evidence_groups(question, read_source) for span in group]


def span_covered(span: Span, passage: Located) -> bool:
    """True when at least half of the span's characters lie inside the passage."""
    source, start, end = span
    if passage.source != source or end <= start:
        return False
    overlap = min(end, passage.end) - max(start, passage.start)
    return 2 * overlap >= end - start


def group_covered(group: Iterable[Span], passages: Iterable[Located]) -> bool:
    """True when any occurrence is covered by any single passage."""
    passages = list(passages)
    return any(span_covered(span, p) for span in group for p in passages)


def hit(groups: EvidenceGroups, passages: Sequence[Located], k: int | None = None) -> float:
    """1.0 if every evidence string is covered within the top-k passages, else 0.0."""
    top = list(passages[:k] if k else passages)
    return float(bool(groups) and all(group_covered(g, top) for g in groups))


def recall(groups: EvidenceGroups, passages: Sequence[Located], k: int | None = None) -> float:
    """Fraction of evidence strings covered within the top-k passages."""
    if not groups:
        return 0.0
    top = list(passages[:k] if k else passages)
    return sum(group_covered(g, top) for g in groups) / len(groups)


def first_covering_rank(groups: EvidenceGroups, passages: Sequence[Located],
                        k: int | None = None) -> int | None:
    """1-based rank of the first passage covering any evidence span, or None."""
    spans = [span for group in groups for span in group]
    for rank, passage in enumerate(passages[:k] if k else passages, start=1):
        if any(span_covered(span, passage) for span in spans):
            return rank
    return None


def reciprocal_rank(groups: EvidenceGroups, passages: Sequence[Located],
                    k: int | None = None) -> float:
    """1/rank of the first passage covering any evidence; 0.0 if none does."""
    rank = first_covering_rank(groups, passages, k)
    return 1.0 / rank if rank else 0.0


# ---------------------------------------------------------------- answers

CJK = re.compile(r"[\u4e00-\u9fff]")
FIGURE = re.compile(r"^(\d+(?:\.\d+)?)\s*(万亿|亿|万)?\s*(%|％)?[^\d]*$")
SCALES = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "trillion": 1e12, "billion": 1e9, "million": 1e6,
          "thousand": 1e3}
ANSWER_FIGURE = re.compile(r"(?<![\d.])(\d[\d,，]*(?:\.\d+)?)\s*(万亿|亿|万|trillion|billion|million|thousand)?"
                           r"\s*(%|％|percent)?", re.I)


def _quantities(text: str) -> set[tuple[float, bool]]:
    """(value, is a percentage) of every figure written in `text`, scale words applied (11万 = 110 thousand)."""
    found = set()
    for number, scale, percent in ANSWER_FIGURE.findall(re.sub(r"\[\d+\]", " ", text)):
        value = float(number.replace(",", "").replace("，", "")) * SCALES.get(scale.lower(), 1.0)
        found.add((value, bool(percent)))
    return found


def _same_quantity(variant: str, answer_text: str) -> bool:
    """An English answer states a Chinese figure ("957台", "11万人次") by its value and drops the
    Chinese unit word ("957 elevators", "110,000 visitors"); the value, scale and percent sign must agree."""
    match = FIGURE.match(_t2s().convert(variant).strip())
    if not match:
        return False
    value = float(match.group(1)) * SCALES.get(match.group(2) or "", 1.0)
    percent = bool(match.group(3))
    return any(p == percent and abs(v - value) <= 1e-9 * max(1.0, value) for v, p in _quantities(answer_text))


def key_fact_correct(question: Question, answer_text: str) -> bool:
    """Contains any `answers` variant and every `answers_all` group (normalized); an English question's
    answer may state a figure by its value instead (see `_same_quantity`)."""
    text = normalize(answer_text)
    english = not CJK.search(question.question)

    def found(variant: str) -> bool:
        return normalize(variant) in text or (english and _same_quantity(variant, answer_text))

    if question.answers and not any(found(v) for v in question.answers):
        return False
    if not question.answers and not question.answers_all:
        return False
    groups = [[g] if isinstance(g, str) else g for g in question.answers_all]
    return all(any(found(v) for v in group) for group in groups)


def refusal_correct(question: Question, answer: Answer) -> bool | None:
    """For an unanswerable question: did the answer refuse? None when answerable."""
    return bool(answer.refused) if not question.answerable else None


def false_refusal(question: Question, answer: Answer) -> bool | None:
    """For an answerable question: did the answer wrongly refuse? None when unanswerable."""
    return bool(answer.refused) if question.answerable else None


def citation_exact(answer: Answer, read_source: Callable[[str], str]) -> float | None:
    """Fraction of citations whose text equals file_text[start:end]; None without citations."""
    if not answer.citations:
        return None
    exact = 0
    for c in answer.citations:
        try:
            exact += read_source(c.source)[c.start:c.end] == c.text
        except (OSError, LookupError, ValueError, LoadError):
            pass
    return exact / len(answer.citations)


def _text_covers(snippet: str, excerpt: str) -> bool:
    """Text-only fallback: does `excerpt` hold at least half of `snippet`?"""
    half = (len(snippet) + 1) // 2
    if snippet in excerpt or (len(excerpt) >= half and excerpt in snippet):
        return True
    return any(excerpt.startswith(snippet[-n:]) or excerpt.endswith(snippet[:n])
               for n in range(half, len(snippet)))


def citation_support(question: Question, answer: Answer,
                     groups: EvidenceGroups | None = None) -> float | None:
    """1.0 if every evidence string is at least half covered by the cited passages.

    Uses character offsets when `groups` (from `evidence_groups`) is given, else matches
    evidence against the citation texts. 0.0 without citations; None if unanswerable.
    """
    if not question.answerable:
        return None
    if not answer.citations or not question.evidence:
        return 0.0
    if groups is not None:
        ok = all(group_covered(g, answer.citations) for g in groups)
    else:
        ok = all(any(c.source == name and _text_covers(snippet, c.text)
                     for c in answer.citations)
                 for snippet, name in zip(question.evidence, question.evidence_files(), strict=True))
    return float(ok)


def citation_precise(citation: Citation, spans: Iterable[Span], near: int = NEAR_CHARS) -> bool:
    """Does the citation point at (or right next to) one of the evidence spans?

    True when some evidence span (source, start, end) satisfies all of:

    - same file: ``span.source == citation.source``;
    - same report: when ``citation.facts`` is set, the span lies within the cited report,
      ``facts.doc_start <= start`` and ``end <= facts.doc_end`` (a file can hold several
      reports). Skipped when ``facts`` is None or its span is empty (not recorded);
    - near: the two character ranges overlap, or the gap between them is at most `near`
      characters (adjacent ranges have a gap of 0).
    """
    facts = citation.facts
    known_report = facts is not None and facts.doc_end > facts.doc_start
    for source, start, end in spans:
        if source != citation.source:
            continue
        if known_report and not (facts.doc_start <= start and end <= facts.doc_end):
            continue
        if max(start - citation.end, citation.start - end) <= near:
            return True
    return False


def citation_precision(question: Question, answer: Answer, groups: EvidenceGroups,
                       near: int = NEAR_CHARS) -> float | None:
    """Share of the answer's citations that are precise (see `citation_precise`).

    A citation is checked against every occurrence of every evidence string of the
    question (`groups` from `evidence_groups`). None when the question is unanswerable or
    the answer has no citations.
    """
    if not question.answerable or not answer.citations:
        return None
    spans = [span for group in groups for span in group]
    return sum(citation_precise(c, spans, near) for c in answer.citations) / len(answer.citations)


def stated_answer(text: str) -> str:
    """The direct-answer lines of an answer when it has any, else the whole text."""
    from rag.answering.answerer import DIRECT_INTRO
    direct = [line for line in text.splitlines() if line.startswith(tuple(DIRECT_INTRO.values()))]
    return "\n".join(direct) if direct else text


def strict_correct(question: Question, answer: Answer, groups: EvidenceGroups,
                   near: int = NEAR_CHARS) -> bool:
    """The answer is right *and* shows where it came from.

    Answerable: key fact correct, not refused, at least one citation, and every citation
    precise. Unanswerable: the answer refused. An answer that opens with direct-answer lines
    ("答：…", "Answer: …") must state the key fact there: the figure a reader quotes, not one
    found somewhere in the excerpts below it.
    """
    if not question.answerable:
        return bool(answer.refused)
    return (not answer.refused and bool(answer.citations)
            and key_fact_correct(question, stated_answer(answer.text))
            and citation_precision(question, answer, groups, near) == 1.0)


# ---------------------------------------------------------------- aggregation

def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


def latency_summary(values_ms: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p95/mean/max in milliseconds and the number of timed calls."""
    return {"n": len(values_ms), "p50": percentile(values_ms, 50),
            "p95": percentile(values_ms, 95), "mean": mean(values_ms),
            "max": max(values_ms) if values_ms else None}
