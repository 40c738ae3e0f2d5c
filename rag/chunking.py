"""Chinese-aware chunking with exact character offsets into the original file text."""
from __future__ import annotations

from functools import lru_cache

from .config import ChunkerSettings
from .ingest.documents import trim_span
from .ingest.periods import PARTED_KINDS, running_year
from .textnorm import to_simplified
from .types import Chunk, Document, ReportFacts

# Paragraphs, lines, then Chinese sentence ends, then clause marks, then anything.
SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "!", "?", ";", "，", ",", " ", ""]
MIN_CHUNK_CHARS = 8


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    return RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=overlap, separators=SEPARATORS,
        keep_separator="end", strip_whitespace=False, length_function=len)


def chunk_document(text: str, document: Document, settings: ChunkerSettings) -> list[Chunk]:
    """Cut each indexable segment of `document`; every chunk satisfies text[start:end] == chunk.text."""
    splitter = _splitter(settings.size, settings.overlap)
    chunks: list[Chunk] = []
    for seg_start, seg_end in document.segments:
        segment = text[seg_start:seg_end]
        cursor = 0
        for piece in splitter.split_text(segment):
            local = segment.find(piece, cursor)
            if local < 0:  # the splitter never rewrites text; this guards the invariant
                raise AssertionError(f"chunk not found in {document.source} at {seg_start + cursor}")
            cursor = local + 1
            start, end = trim_span(segment, local, local + len(piece))
            if end - start < MIN_CHUNK_CHARS and chunks:
                continue
            chunks.append(Chunk(source=document.source, start=seg_start + start, end=seg_start + end,
                                text=segment[start:end], facts=document.facts, page=document.page,
                                years=section_years(document.facts, seg_start + start) or _opening_year(
                                    text, document, seg_start + start)))
    return chunks


def _opening_year(text: str, document: Document, offset: int) -> tuple[int, ...]:
    """For a report of no year: the year its paragraph has last opened a sentence with before `offset`."""
    if document.facts.years:
        return ()
    year = running_year(text, max(document.facts.doc_start, text.rfind("\n", 0, offset) + 1), offset)
    return (year,) if year else ()


def section_years(facts: ReportFacts, offset: int) -> tuple[int, ...]:
    """Years the text at `offset` is about: a work report's review part is about N-1 (and, when it
    looks back, the years before), its planning part about N; other reports keep their own years."""
    plan = facts.plans_for
    if facts.kind not in PARTED_KINDS or facts.plan_start is None or plan is None:
        return facts.years
    if offset >= facts.plan_start:
        return tuple(y for y in facts.years if y >= plan)
    return tuple(y for y in facts.years if y < plan)


def embedding_text(chunk: Chunk) -> str:
    """What the embedder sees: the report title for context, all in simplified script."""
    return to_simplified(f"{chunk.title}\n{chunk.text}")
