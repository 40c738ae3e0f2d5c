"""The document library: every indexed report a browser may use, who added it, and the scope of its questions."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..corpus import resolve_stored
from ..types import Scope
from .i18n import t
from .registry import UploadEntry
from .render import attr, esc


@dataclass(frozen=True)
class LibraryRow:
    """One report of the index as the library lists it."""

    source: str
    title: str
    place: str | None
    year: int | None
    kind: str
    chunks: int
    added: str  # YYYY-MM-DD
    by: str  # "sample" | "mine" | "mine_shared" | "shared"
    level: str | None = None

    @property
    def place_name(self) -> str | None:
        return self.place.rsplit("/", 1)[-1] if self.place else None


def _added(entry: UploadEntry | None, path: Path) -> str:
    if entry is not None and entry.added:
        return entry.added[:10]
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC).strftime("%Y-%m-%d")
    except OSError:
        return ""


def library_rows(store, entries: dict[str, UploadEntry], owner: str | None, corpus_dir: Path) -> list[LibraryRow]:
    """The reports of `store` visible to `owner` (shared samples, shared uploads and its own uploads)."""
    counts: dict[tuple, int] = {}
    facts_of: dict[tuple, object] = {}
    for chunk in store.chunks:
        key = (chunk.source, chunk.facts.doc_start, chunk.facts.title)
        counts[key] = counts.get(key, 0) + 1
        facts_of.setdefault(key, chunk.facts)
    rows = []
    for key in sorted(counts):
        source = key[0]
        entry = entries.get(source)
        if entry is not None and not entry.visible_to(owner):
            continue
        if entry is None:
            by = "sample"
        elif owner in entry.owners:
            by = "mine_shared" if entry.shared else "mine"
        else:
            by = "shared"
        file_entry = store.manifest.files.get(source)
        path = resolve_stored(file_entry.path, corpus_dir) if file_entry else corpus_dir / source
        facts = facts_of[key]
        rows.append(LibraryRow(source, facts.title, facts.place, facts.year, facts.kind, counts[key],
                               _added(entry, path), by, facts.level))
    return rows


def visible_sources(rows: list[LibraryRow]) -> frozenset[str]:
    return frozenset(r.source for r in rows)


def session_scope(rows: list[LibraryRow], places: list[str] | None, years: list | None,
                  reports: list[str] | None) -> Scope:
    """What this browser's next question may read: its visible reports, narrowed by the library filters."""
    sources = visible_sources(rows)
    if reports:
        sources = sources & frozenset(reports)
    return Scope(sources=sources, places=frozenset(places) if places else None,
                 years=frozenset(int(y) for y in years) if years else None)


def rows_in_scope(rows: list[LibraryRow], scope: Scope) -> list[LibraryRow]:
    return [r for r in rows if (scope.sources is None or r.source in scope.sources)
            and (scope.places is None or r.place in scope.places)
            and (scope.years is None or r.year in scope.years)]


def filter_choices(rows: list[LibraryRow]) -> tuple[list, list, list]:
    """(label, value) choices of the place, year and report filters."""
    places = sorted({(r.place_name, r.place) for r in rows if r.place}, key=lambda p: p[1])
    years = sorted({r.year for r in rows if r.year}, reverse=True)
    reports = sorted({(f"{r.title}（{r.source}）", r.source) for r in rows}, key=lambda p: p[1])
    return ([(f"{name}（{path.replace('/', '·')}）", path) for name, path in places],
            [(str(y), y) for y in years], reports)


def deletable(rows: list[LibraryRow]) -> list[tuple[str, str]]:
    """(label, file) of the files a browser may ask to delete (its own first; shared ones need the admin token)."""
    seen, mine, others = set(), [], []
    for r in rows:
        if r.source in seen:
            continue
        seen.add(r.source)
        (mine if r.by == "mine" else others).append((f"{r.source} · {r.title}", r.source))
    return mine + others


def library_html(rows: list[LibraryRow], lang: str) -> str:
    """The library as a table; report facts are data (escaped, marked rag-data)."""
    if not rows:
        return f'<div class="rag-library-empty">{t("library_empty", lang)}</div>'
    head = "".join(f"<th>{t(k, lang)}</th>" for k in ("th_title", "th_place", "th_year", "th_kind", "th_file",
                                                      "th_chunks", "th_added", "th_by"))
    body = []
    for r in rows:
        kind = t(f"kind_{r.kind}", lang) if f"kind_{r.kind}" in _KINDS else esc(r.kind)
        place = esc(r.place.replace("/", "·")) if r.place else t("unknown", lang)
        body.append(
            f'<tr class="rag-lib-row rag-by-{r.by}" data-source="{attr(r.source)}">'
            f'<td class="rag-data">{esc(r.title)}</td><td class="rag-data">{place}</td>'
            f'<td>{r.year or t("unknown", lang)}</td><td>{kind}</td>'
            f'<td class="rag-data rag-file">{esc(r.source)}</td><td>{r.chunks}</td><td>{esc(r.added)}</td>'
            f'<td>{t("by_" + r.by, lang)}</td></tr>')
    count = t("library_count", lang, n=len(rows))
    return (f'<div class="rag-library"><div class="rag-library-count">{count}</div>'
            f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


_KINDS = {"kind_work_report", "kind_five_year_plan", "kind_plan_execution", "kind_statistics", "kind_news",
          "kind_other"}
