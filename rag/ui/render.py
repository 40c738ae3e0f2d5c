"""HTML of the chat: messages, sources panel, status line. No Gradio here.

Report text is data: every piece of it is HTML-escaped, and the chat is shown without markdown, so
only the markup written here (citation links, feedback buttons, marks) renders.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable

from ..types import Citation
from .i18n import EN, t, warning_text

CONTEXT_CHARS = 300
_MARKER = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NO_LLM_WARNING = "no LLM configured"  # the mode line says so already


def esc(text: str) -> str:
    """Escape text for an HTML text node; no digits are introduced (no numeric entities)."""
    return html.escape(text or "", quote=False)


def attr(text: str) -> str:
    return html.escape(text or "", quote=True)


def answer_numbers(text: str) -> set[str]:
    """The digit runs an answer quotes (citation markers such as [1] left out)."""
    return set(_NUMBER.findall(_MARKER.sub(" ", text or "")))


def highlight(text: str, numbers: set[str]) -> str:
    """Escaped `text` with every whole occurrence of one of `numbers` wrapped in <mark class="num">."""
    escaped = esc(text)
    if not numbers:
        return escaped
    alternatives = "|".join(re.escape(n) for n in sorted(numbers, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\d.])(?:{alternatives})(?!\d|\.\d)")
    return pattern.sub(lambda m: f'<mark class="num">{m.group(0)}</mark>', escaped)


def message_html(text: str, markers: set[int] | None = None) -> str:
    """A chat message as HTML: the text escaped, each cited [n] a link to source n (hover previews it)."""
    escaped = esc(text)

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        if markers is not None and n not in markers:
            return match.group(0)
        return f'<a class="rag-cite" href="#source-{n}">[{n}]</a>'
    return _MARKER.sub(link, escaped)


def feedback_buttons(rating: str | None, lang: str) -> str:
    up = " rag-fb-on" if rating == "helpful" else ""
    down = " rag-fb-on" if rating == "wrong" else ""
    return (f'\n<span class="rag-fb"><button class="rag-fb-up{up}" title="{t("helpful", lang)}">👍</button>'
            f'<button class="rag-fb-down{down}" title="{t("wrong", lang)}">👎</button></span>')


def citation_from_dict(data: dict) -> Citation:
    return Citation(marker=data["marker"], source=data["source"], title=data["title"], text=data["text"],
                    start=data["start"], end=data["end"], page=data.get("page"))


def context_html(citation: Citation, numbers: set[str], read_source: Callable[[str], str], lang: str) -> str:
    """±CONTEXT_CHARS characters of the original file around the excerpt, the excerpt marked."""
    try:
        text = read_source(citation.source)
    except Exception as exc:  # a missing or unreadable file must not break the panel
        return f'<div class="rag-context rag-error">{esc(t("context_missing", lang, error=str(exc)))}</div>'
    if text[citation.start:citation.end] != citation.text:
        return f'<div class="rag-context rag-error">{esc(t("context_changed", lang))}</div>'
    lo, hi = max(0, citation.start - CONTEXT_CHARS), min(len(text), citation.end + CONTEXT_CHARS)
    before = ("…" if lo > 0 else "") + esc(text[lo:citation.start])
    after = esc(text[citation.end:hi]) + ("…" if hi < len(text) else "")
    label = esc(t("context", lang, source="\x00", lo=lo, hi=hi)).replace(
        "\x00", f'<span class="rag-data">{esc(citation.source)}</span>')
    return (f'<div class="rag-context"><div class="rag-context-label">{label}</div><p class="rag-data">{before}'
            f'<mark class="excerpt">{highlight(citation.text, numbers)}</mark>{after}</p></div>')


def sources_html(turn: dict | None, read_source: Callable[[str], str], lang: str, *, searching: bool = False) -> str:
    """The sources panel of one answered turn: one <details id="source-n"> per citation."""
    if searching:
        return f'<div class="rag-sources-empty">{t("sources_searching", lang)}</div>'
    if turn is None or not turn.get("ok"):
        return f'<div class="rag-sources-empty">{t("sources_empty", lang)}</div>'
    citations = [citation_from_dict(c) for c in turn.get("citations") or []]
    if turn.get("refused") or not citations:
        key = "sources_refused" if turn.get("refused") else "sources_none"
        return f'<div class="rag-sources-empty">{t(key, lang)}</div>'
    numbers = answer_numbers(turn.get("answer", ""))
    cards = []
    for c in citations:
        page = f" · {t('page', lang, page=c.page)}" if c.page is not None else ""
        cards.append(
            f'<details class="rag-source" id="source-{c.marker}" data-marker="{c.marker}">'
            f'<summary><span class="rag-marker">[{c.marker}]</span> <b class="rag-title rag-data">{esc(c.title)}</b>'
            f'<span class="rag-meta"><span class="rag-data">{esc(c.source)}</span>{esc(page)} · '
            f'{t("chars", lang, start=c.start, end=c.end)}</span>'
            f'<span class="rag-excerpt rag-data">{highlight(c.text, numbers)}</span>'
            f'<span class="rag-hint">{t("hint", lang)}</span></summary>'
            f'{context_html(c, numbers, read_source, lang)}</details>')
    return f'<div class="rag-sources">{"".join(cards)}</div>'


def refusal_reason(answer_text: str, refusals: tuple[str, ...], notes: tuple[str, ...], lang: str) -> str:
    """Why an answer was refused: what the answer says beyond the fixed refusal sentence, or the general reason."""
    rest = answer_text or ""
    for fixed in refusals + notes:
        rest = rest.replace(fixed, "")
    rest = rest.strip()
    return rest or t("refused_generic", lang)


def mode_label(chosen: str, llm_model: str | None, llm_configured: bool, last: dict | None, lang: str) -> str:
    """What answered (or will answer): the LLM and its model, or extractive and why."""
    last = last if last and last.get("chosen") == chosen and last.get("ok") else None
    if last is not None and last.get("mode") == "llm":
        return t("mode_llm", lang, model=last.get("model") or llm_model)
    if chosen == "extractive":
        return t("mode_extractive_chosen", lang)
    if not llm_configured:
        return t("mode_llm_missing" if chosen == "llm" else "mode_no_llm", lang)
    if last is not None:
        return t("mode_llm_failed", lang)
    return t("mode_llm", lang, model=llm_model)


def status_html(*, mode: str, index: tuple[int, int, int] | None, scope_reports: int | None, total_reports: int,
                last: dict | None, error: str | None, answers: int, lang: str) -> str:
    """One status line: mode, index size and scope, then the last answer's refusal reason and warnings.

    `data-answers` counts the conversation's finished turns (a hook for tests and scripts).
    """
    if index is None:
        size = t("index_missing", lang)
    else:
        size = t("index_line", lang, files=index[0], reports=index[1], chunks=index[2])
    scope = (t("scope_line", lang, n=scope_reports) if scope_reports is not None
             else t("scope_all", lang, n=total_reports))
    parts = [f'<div class="rag-status-line"><span class="rag-mode">{esc(t("mode_line", lang, mode=mode))}</span>'
             f' · <span class="rag-index">{esc(size)}</span> · <span class="rag-scope">{esc(scope)}</span>'
             f' <a class="rag-jump" href="#rag-sources">{t("jump_sources", lang)}</a></div>']
    if error:
        parts.append(f'<div class="rag-error">⚠ {esc(error)}</div>')
    elif last and last.get("refused"):
        parts.append(f'<div class="rag-refused">{esc(t("refused", lang, reason=last.get("reason") or ""))}</div>')
    for warning in (last or {}).get("warnings", []) if not error else []:
        if not warning.startswith(_NO_LLM_WARNING):
            parts.append(f'<div class="rag-warning">⚠ {esc(warning_text(warning, lang))}</div>')
    return f'<div class="rag-status" data-answers="{answers}" lang="{"en" if lang == EN else "zh-CN"}">' \
           f'{"".join(parts)}</div>'
