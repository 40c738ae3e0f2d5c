"""Typed records that cross module boundaries: ReportFacts, Document, Chunk, Scope, Passage, Citation, Answer."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

KINDS = ("work_report", "five_year_plan", "plan_execution", "statistics", "news", "other")


@dataclass(frozen=True)
class ReportFacts:
    """What a report is, read once from its own text at ingest and stored in the index.

    `place` is the issuing government's full path ("广东省/深圳市/龙岗区"), `level` its rank
    (province, city, county, town), `years` the years the report is about, `plan_start` the file
    offset where a work report turns from reviewing last year to planning this one, and
    `notes` say why a fact could not be read.
    """

    title: str
    place: str | None = None
    level: str | None = None
    year: int | None = None
    kind: str = "other"
    years: tuple[int, ...] = ()
    plan_start: int | None = None
    doc_start: int = 0
    doc_end: int = 0
    notes: tuple[str, ...] = ()
    place_candidates: tuple[str, ...] = ()  # namesakes the text could not tell apart (place is then None)
    plan_year: int | None = None  # the year a work or plan-execution report plans for; it reviews the year before

    @property
    def plans_for(self) -> int | None:
        """The year the report plans for: its `plan_year`, else (facts read before it was kept) its year."""
        return self.plan_year or self.year

    @property
    def session_years(self) -> set[int]:
        """The years a question may call this report by: the year in its title or when it was given, and the year it
        plans for ("泉州人民政府2011年工作报告", given on 2012年1月5日, is also the 2012 report)."""
        return {y for y in (self.year, self.plan_year) if y}

    @property
    def place_name(self) -> str | None:
        """The place's own name, without its parents: "龙岗区"."""
        return self.place.rsplit("/", 1)[-1] if self.place else None

    @property
    def who(self) -> str:
        """How an answer names whose figure a sentence is: "深圳市龙岗区2024年政府工作报告"."""
        return self.title

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportFacts:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        for key in ("years", "notes", "place_candidates"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)


@dataclass(frozen=True)
class Document:
    """One report inside a source file: its span and its facts.

    `segments` are the (start, end) character ranges of the file that hold indexable
    text (web boilerplate such as breadcrumbs and share lines is left out).
    """

    source: str
    facts: ReportFacts
    start: int
    end: int
    page: int | None = None
    segments: tuple[tuple[int, int], ...] = ()

    @property
    def title(self) -> str:
        return self.facts.title


@dataclass(frozen=True)
class Chunk:
    """A piece of a document; `file_text[start:end] == text` exactly.

    `years` are the years this part of the report is about (a work report's review part is
    about last year, its planning part about this year); empty when unknown.
    """

    source: str
    start: int
    end: int
    text: str
    facts: ReportFacts
    page: int | None = None
    years: tuple[int, ...] = ()

    @property
    def title(self) -> str:
        return self.facts.title

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        data = dict(data)
        data["facts"] = ReportFacts.from_dict(data["facts"])
        data["years"] = tuple(data.get("years") or ())
        return cls(**data)


@dataclass(frozen=True)
class Scope:
    """Which indexed reports a question may be answered from; None on a field means "any".

    `sources` are source file names (a chat session's shared corpus plus its own uploads),
    `places` full place paths ("广东省/深圳市/龙岗区"), `years` report years.
    """

    sources: frozenset[str] | None = None
    places: frozenset[str] | None = None
    years: frozenset[int] | None = None

    @property
    def is_all(self) -> bool:
        return self.sources is None and self.places is None and self.years is None

    def admits(self, source: str, facts: ReportFacts) -> bool:
        """Whether a chunk of `source` with these report facts is in scope."""
        return ((self.sources is None or source in self.sources)
                and (self.places is None or facts.place in self.places)
                and (self.years is None or facts.year in self.years))


@dataclass
class Passage:
    """A retrieved chunk with its score; offsets point into the original file text."""

    source: str
    title: str
    text: str
    start: int
    end: int
    page: int | None = None
    score: float = 0.0
    facts: ReportFacts | None = None
    years: tuple[int, ...] = ()
    signals: dict[str, float] = field(default_factory=dict)  # retrieval scores, for inspection only

    @classmethod
    def from_chunk(cls, chunk: Chunk, score: float = 0.0) -> Passage:
        return cls(source=chunk.source, title=chunk.title, text=chunk.text,
                   start=chunk.start, end=chunk.end, page=chunk.page, score=score,
                   facts=chunk.facts, years=chunk.years)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.source, self.start, self.end)


@dataclass
class Citation:
    """A numbered marker (`[n]`) and the exact excerpt it points at."""

    marker: int
    source: str
    title: str
    text: str
    start: int
    end: int
    page: int | None = None
    facts: ReportFacts | None = None

    @classmethod
    def from_passage(cls, marker: int, passage: Passage) -> Citation:
        return cls(marker=marker, source=passage.source, title=passage.title,
                   text=passage.text, start=passage.start, end=passage.end,
                   page=passage.page, facts=passage.facts)


@dataclass
class Answer:
    """What `rag.answer` returns: text with `[n]` markers and the citations they name."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    mode: str = "extractive"
    warnings: list[str] = field(default_factory=list)
    model: str | None = None
    rewritten_question: str | None = None
    unverified: list[str] = field(default_factory=list)  # numbers of the text that failed the claim check
    passages: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("passages", None)
        return data
