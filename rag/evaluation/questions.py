"""Load and validate an evaluation question set (JSONL, one question per line).

Every line is checked and all problems are reported together, each as
``path:LINE: field 'x': what is wrong``, so a broken set can be fixed in one pass.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import QuestionSetError

QUESTION_TYPES: tuple[str, ...] = (
    "fact", "compare", "list", "traditional", "crosslingual", "disambiguation", "unanswerable",
)
SPLITS: tuple[str, ...] = ("tune", "test")
KNOWN_FIELDS = frozenset(
    {"id", "question", "answers", "answers_all", "evidence", "source", "evidence_sources", "type",
     "split"}
)


@dataclass
class Question:
    """One evaluation question; `answers_all` groups are already lists of variants.

    `split` is "tune" (may be looked at to set thresholds), "test" (only ever reported)
    or None when the line has no `split` field.
    """

    id: str
    question: str
    type: str
    answers: list[str] = field(default_factory=list)
    answers_all: list[list[str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    source: str | None = None
    evidence_sources: list[str] | None = None
    split: str | None = None
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    def evidence_files(self) -> list[str]:
        """The source file of each evidence string, in order."""
        if self.evidence_sources is not None:
            return list(self.evidence_sources)
        return [self.source or ""] * len(self.evidence)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "type": self.type,
                "answers": self.answers, "answers_all": self.answers_all,
                "evidence": self.evidence, "source": self.source,
                "evidence_sources": self.evidence_sources, "split": self.split, **self.extra}


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class _LineChecker:
    """Collects problems for one parsed line."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems

    def bad(self, name: str, message: str) -> None:
        self.problems.append(f"{self.where}: field '{name}': {message}")

    def text(self, obj: dict[str, Any], name: str, *, required: bool = True) -> str | None:
        if name not in obj or obj[name] is None:
            if required:
                self.bad(name, "missing; add a non-empty string")
            return None
        value = obj[name]
        if not isinstance(value, str):
            self.bad(name, f"must be a string, got {type(value).__name__}")
            return None
        if not value.strip():
            self.bad(name, "is empty; write a non-empty string")
            return None
        return value

    def strings(self, obj: dict[str, Any], name: str, *, required: bool) -> list[str] | None:
        if name not in obj or obj[name] is None:
            if required:
                self.bad(name, "missing; add a list of strings")
            return None
        value = obj[name]
        if not _is_str_list(value):
            self.bad(name, "must be a list of strings")
            return None
        for i, item in enumerate(value):
            if not item.strip():
                self.bad(name, f"item {i} is an empty string; remove it")
                return None
        return list(value)

    def groups(self, obj: dict[str, Any]) -> list[list[str]] | None:
        if obj.get("answers_all") is None:
            return None
        value = obj["answers_all"]
        if not isinstance(value, list):
            self.bad("answers_all", "must be a list of groups (each a string or a list of strings)")
            return None
        groups: list[list[str]] = []
        for i, group in enumerate(value):
            variants = [group] if isinstance(group, str) else group
            if not _is_str_list(variants) or not variants or not all(v.strip() for v in variants):
                self.bad("answers_all", f"group {i} must be a non-empty string or a non-empty "
                                        "list of non-empty strings")
                return None
            groups.append(list(variants))
        return groups

    def split(self, obj: dict[str, Any]) -> str | None:
        value = obj.get("split")
        if value is None:
            return None
        if value not in SPLITS:
            self.bad("split", f"must be \"tune\" or \"test\", got {value!r}; fix it or drop "
                              "the field")
            return None
        return value


def _parse_line(obj: dict[str, Any], where: str, line: int,
                problems: list[str]) -> Question | None:
    """Validate one decoded object; return a Question or None when it has problems."""
    start = len(problems)
    chk = _LineChecker(where, problems)
    qid = chk.text(obj, "id")
    text = chk.text(obj, "question")
    qtype = chk.text(obj, "type")
    if qtype is not None and qtype not in QUESTION_TYPES:
        chk.bad("type", f"unknown type {qtype!r}; use one of {', '.join(QUESTION_TYPES)}")
    unanswerable = qtype == "unanswerable"
    answers_all = chk.groups(obj)
    answers = chk.strings(obj, "answers", required=not unanswerable and answers_all is None)
    evidence = chk.strings(obj, "evidence", required=not unanswerable)
    source = chk.text(obj, "source", required=False)
    evidence_sources = chk.strings(obj, "evidence_sources", required=False)
    split = chk.split(obj)

    if unanswerable:
        if evidence:
            chk.bad("evidence", "an unanswerable question must have no evidence; empty it "
                                "or change 'type'")
        if answers or answers_all:
            chk.bad("answers", "an unanswerable question must have no answers; empty "
                               "'answers'/'answers_all' or change 'type'")
    elif qtype is not None:
        if evidence is not None and not evidence:
            chk.bad("evidence", "an answerable question needs at least one evidence string")
        if answers is not None and not answers and not answers_all:
            chk.bad("answers", "an answerable question needs at least one answer variant "
                               "(or 'answers_all')")
        if evidence and source is None and evidence_sources is None:
            chk.bad("source", "missing; name the file the evidence comes from "
                              "(or give 'evidence_sources')")
    if evidence and evidence_sources is not None and len(evidence_sources) != len(evidence):
        chk.bad("evidence_sources", f"has {len(evidence_sources)} item(s) but 'evidence' has "
                                    f"{len(evidence)}; give one file per evidence string")
    if len(problems) > start:
        return None
    return Question(
        id=qid or "", question=text or "", type=qtype or "", answers=answers or [],
        answers_all=answers_all or [], evidence=evidence or [], source=source,
        evidence_sources=evidence_sources, split=split, line=line,
        extra={k: v for k, v in obj.items() if k not in KNOWN_FIELDS},
    )


def _check_corpus(questions: list[Question], where: str,
                  read_source: Callable[[str], str], problems: list[str]) -> None:
    """Each evidence string must be an exact substring of its file."""
    cache: dict[str, str | None] = {}
    for q in questions:
        for i, (snippet, name) in enumerate(zip(q.evidence, q.evidence_files(), strict=True)):
            if name not in cache:
                try:
                    cache[name] = read_source(name)
                except (OSError, UnicodeDecodeError, LookupError) as exc:
                    cache[name] = None
                    problems.append(f"{where}:{q.line}: field 'source': cannot read {name!r} "
                                    f"({exc}); fix the file name")
                    continue
            file_text = cache[name]
            if file_text is not None and snippet not in file_text:
                short = snippet if len(snippet) <= 40 else snippet[:40] + "…"
                problems.append(f"{where}:{q.line}: field 'evidence': item {i} ({short!r}) is "
                                f"not an exact substring of {name}; copy it verbatim from the file")


def load_questions(path: str | Path, corpus_dir: str | Path | None = None, *,
                   read_source: Callable[[str], str] | None = None) -> list[Question]:
    """Read a JSONL question set and validate every line.

    With `corpus_dir` (or a `read_source(name) -> text` callable) each evidence string is
    also checked to be an exact substring of its source file. Raises `QuestionSetError`
    listing every problem found.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionSetError(f"{path}: question set not found; check the path") from None
    except UnicodeDecodeError as exc:
        raise QuestionSetError(f"{path}: not UTF-8 ({exc}); save the file as UTF-8") from None
    where = str(path)
    problems: list[str] = []
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}:{number}: bad JSON: {exc.msg} at column {exc.colno}; "
                            "write one JSON object per line")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{where}:{number}: bad JSON: expected an object, got "
                            f"{type(obj).__name__}")
            continue
        qid = obj.get("id")
        if isinstance(qid, str) and qid.strip():
            if qid in first_line:
                problems.append(f"{where}:{number}: field 'id': duplicate {qid!r} (first used on "
                                f"line {first_line[qid]}); give each question a unique id")
            else:
                first_line[qid] = number
        question = _parse_line(obj, f"{where}:{number}", number, problems)
        if question is not None:
            questions.append(question)
    if corpus_dir is not None and read_source is None:
        base = Path(corpus_dir)

        def read_source(name: str) -> str:
            return (base / name).read_text(encoding="utf-8")

    if read_source is not None:
        _check_corpus(questions, where, read_source, problems)
    if problems:
        raise QuestionSetError(f"{len(problems)} problem(s) in question set {path}; "
                               "fix them and rerun:\n" + "\n".join(problems))
    if not questions:
        raise QuestionSetError(f"{path}: no questions found; add one JSON object per line")
    return questions
