"""Typed records that cross module boundaries: Document, Chunk, Passage, Citation, Answer."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One report inside a source file: its span and what we know about it.

    `segments` are the (start, end) character ranges of the file that hold indexable
    text (web boilerplate such as breadcrumbs and share lines is left out).
    """

    source: str
    title: str
    start: int
    end: int
    place: str | None = None
    year: int | None = None
    page: int | None = None
    segments: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A piece of a document; `file_text[start:end] == text` exactly."""

    source: str
    start: int
    end: int
    text: str
    title: str
    place: str | None = None
    year: int | None = None
    page: int | None = None
    doc_start: int = 0
    doc_end: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**data)


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
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_chunk(cls, chunk: Chunk, score: float = 0.0) -> Passage:
        return cls(source=chunk.source, title=chunk.title, text=chunk.text,
                   start=chunk.start, end=chunk.end, page=chunk.page, score=score,
                   metadata={"place": chunk.place, "year": chunk.year,
                             "doc_start": chunk.doc_start, "doc_end": chunk.doc_end})

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
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_passage(cls, marker: int, passage: Passage) -> Citation:
        return cls(marker=marker, source=passage.source, title=passage.title,
                   text=passage.text, start=passage.start, end=passage.end,
                   page=passage.page, metadata=dict(passage.metadata))


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
    passages: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("passages", None)
        return data
