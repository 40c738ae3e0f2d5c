"""HTML pieces of the chat UI (sources panel, status line) and the feedback log; no Gradio here."""
from __future__ import annotations

import fcntl
import html
import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .types import Answer, Citation

CONTEXT_CHARS = 300
_MARKER = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_feedback_lock = threading.Lock()


def _esc(text: str) -> str:
    """Escape text for an HTML text node; no digits are introduced (no numeric entities)."""
    return html.escape(text, quote=False)


def answer_numbers(text: str) -> set[str]:
    """The digit runs an answer quotes (citation markers such as [1] left out)."""
    return set(_NUMBER.findall(_MARKER.sub(" ", text or "")))


def highlight(text: str, numbers: set[str]) -> str:
    """Escaped `text` with every whole occurrence of one of `numbers` wrapped in <mark class="num">."""
    escaped = _esc(text)
    if not numbers:
        return escaped
    alternatives = "|".join(re.escape(n) for n in sorted(numbers, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\d.])(?:{alternatives})(?!\d|\.\d)")
    return pattern.sub(lambda m: f'<mark class="num">{m.group(0)}</mark>', escaped)


def link_markers(text: str) -> str:
    """Chat display text: each [n] becomes a link that opens source n in the sources panel."""
    return _MARKER.sub(lambda m: f"[[{m.group(1)}]](#source-{m.group(1)})", text)


def context_html(citation: Citation, numbers: set[str], read_source: Callable[[str], str]) -> str:
    """±CONTEXT_CHARS characters of the original file around the excerpt, the excerpt marked."""
    try:
        text = read_source(citation.source)
    except Exception as exc:  # a missing or unreadable file must not break the panel
        return f'<div class="rag-context rag-error">Wider context unavailable: {_esc(str(exc))}</div>'
    if text[citation.start:citation.end] != citation.text:
        return ('<div class="rag-context rag-error">Wider context unavailable: the file changed since '
                'it was indexed; run <code>rag index</code>.</div>')
    lo, hi = max(0, citation.start - CONTEXT_CHARS), min(len(text), citation.end + CONTEXT_CHARS)
    before = ("…" if lo > 0 else "") + _esc(text[lo:citation.start])
    after = _esc(text[citation.end:hi]) + ("…" if hi < len(text) else "")
    return (f'<div class="rag-context"><div class="rag-context-label">Wider context: characters {lo}–{hi} '
            f'of {_esc(citation.source)}</div><p>{before}<mark class="excerpt">'
            f'{highlight(citation.text, numbers)}</mark>{after}</p></div>')


def sources_html(answer: Answer | None, read_source: Callable[[str], str]) -> str:
    """The sources panel: one <details id="source-n"> per citation; opening it shows the wider context."""
    if answer is None:
        return '<div class="rag-sources-empty">Sources of the answer appear here.</div>'
    if answer.refused or not answer.citations:
        why = "The question was refused, so nothing is cited." if answer.refused else "The answer cites no source."
        return f'<div class="rag-sources-empty">{why}</div>'
    numbers = answer_numbers(answer.text)
    cards = []
    for c in answer.citations:
        page = f" · page {c.page}" if c.page is not None else ""
        cards.append(
            f'<details class="rag-source" id="source-{c.marker}" data-marker="{c.marker}">'
            f'<summary><span class="rag-marker">[{c.marker}]</span> <b class="rag-title">{_esc(c.title)}</b>'
            f'<span class="rag-meta">{_esc(c.source)}{page} · characters {c.start}–{c.end}</span>'
            f'<span class="rag-excerpt">{highlight(c.text, numbers)}</span>'
            f'<span class="rag-hint">Click for wider context</span></summary>'
            f'{context_html(c, numbers, read_source)}</details>')
    return f'<div class="rag-sources">{"".join(cards)}</div>'


def status_html(*, mode_label: str, files: int | None, documents: int | None, chunks: int | None,
                last: dict | None = None, error: str | None = None, answers: int = 0) -> str:
    """One status line: answer mode, index size, then the last answer's refusal and warnings.

    `last` holds the last answer's `refused` and `warnings`; `data-answers` counts the session's
    finished turns (a hook for tests and scripts).
    """
    index = (f"{files} files, {documents} reports, {chunks} chunks" if chunks is not None
             else "index not loaded")
    parts = [f'<div class="rag-status-line"><span class="rag-mode">Mode: {_esc(mode_label)}</span>'
             f' · <span class="rag-index">Index: {index}</span></div>']
    if error:
        parts.append(f'<div class="rag-error">⚠ {_esc(error)}</div>')
    elif last and last.get("refused"):
        parts.append('<div class="rag-refused">⛔ Refused: the reports do not answer this question.</div>')
    for warning in (last or {}).get("warnings", []) if not error else []:
        parts.append(f'<div class="rag-warning">⚠ {_esc(warning)}</div>')
    return f'<div class="rag-status" data-answers="{answers}">{"".join(parts)}</div>'


def mode_label(chosen: str, llm_model: str | None, llm_configured: bool, last: dict | None = None) -> str:
    """'LLM: <model>' or 'extractive: <why>' for the last answer (if asked in this mode) or the chosen mode."""
    last = last if last and last.get("chosen") == chosen else None
    if last is not None and last.get("mode") == "llm":
        return f"LLM: {last.get('model') or llm_model}"
    if chosen == "extractive":
        return "extractive (chosen in settings)"
    if not llm_configured and chosen == "auto":
        return "extractive: no LLM configured"
    if last is not None:
        return "extractive: the LLM failed (see warnings)"
    return f"LLM: {llm_model}" if llm_configured else "LLM asked for, but none configured"


def feedback_record(question: str, answer_text: str, citations: list[dict], rating: str, mode: str) -> dict:
    return {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "question": question,
            "answer": answer_text, "citations": citations, "rating": rating, "mode": mode}


def append_feedback(path: Path, record: dict) -> None:
    """Append one JSON line; a thread lock plus an flock keep concurrent sessions and processes apart."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _feedback_lock, open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(line)
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
