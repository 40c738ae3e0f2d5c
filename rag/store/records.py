"""Chunk records: texts and offsets in SQLite, per-chunk report and years in memory-mapped arrays.

Only the reports (one `ReportFacts` each, far fewer than chunks) are held in memory; a chunk's text
is read from SQLite when a passage is returned, so memory does not grow with the corpus text.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..types import Chunk, ReportFacts, Scope

DB = "chunks.sqlite"
ARRAYS = ("report_of.npy", "year_ptr.npy", "year_values.npy")


class ChunkRecords(Sequence):
    """All chunks of one index generation, by position; `records[i]` is a `Chunk`."""

    def __init__(self, reports: list[tuple[str, ReportFacts]], report_of: np.ndarray, year_ptr: np.ndarray,
                 year_values: np.ndarray, chunks: list[Chunk] | None = None, db: sqlite3.Connection | None = None,
                 rows: Callable[[], Iterable[tuple[int, int, int | None, str]]] | None = None):
        self.reports = reports  # (source, facts) of every report, in first-seen order
        self.report_of = report_of
        self.year_ptr, self.year_values = year_ptr, year_values
        self._chunks = chunks
        self._db = db  # opened at load: it stays readable after a newer generation replaces this one
        self._rows = rows  # (start, end, page, text) of every chunk, for records made without Chunk objects
        self._lock = threading.Lock()
        self.report_source = [source for source, _ in reports]
        self.report_year = np.array([f.year if f.year is not None else -1 for _, f in reports], dtype="int32")
        self.report_plan_year = np.array([f.plan_year or -1 for _, f in reports], dtype="int32")
        self._places = [f.place for _, f in reports]
        self._by_place: dict[str, list[int]] | None = None
        self._unplaced: np.ndarray | None = None
        self._by_report: tuple[np.ndarray, np.ndarray] | None = None
        self._year_masks: dict[int, np.ndarray] = {}
        self._has_years: np.ndarray | None = None

    @classmethod
    def from_chunks(cls, chunks: list[Chunk]) -> ChunkRecords:
        position: dict[tuple[str, ReportFacts], int] = {}
        report_of = np.zeros(len(chunks), dtype="int32")
        for i, chunk in enumerate(chunks):
            report_of[i] = position.setdefault((chunk.source, chunk.facts), len(position))
        year_ptr = np.zeros(len(chunks) + 1, dtype="int64")
        np.cumsum([len(c.years) for c in chunks], out=year_ptr[1:])
        year_values = np.array([y for c in chunks for y in c.years], dtype="int32")
        return cls(list(position), report_of, year_ptr, year_values, chunks=list(chunks))

    # --- reading ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.report_of)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.get_many(range(len(self))[i])
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.get_many([i])[0]

    def __iter__(self) -> Iterator[Chunk]:
        if self._chunks is not None:
            yield from self._chunks
            return
        for start in range(0, len(self), 5000):
            yield from self.get_many(range(start, min(start + 5000, len(self))))

    def get_many(self, ids) -> list[Chunk]:
        """The chunks at these positions, in that order (one SQLite query)."""
        ids = [int(i) for i in ids]
        if self._chunks is not None:
            return [self._chunks[i] for i in ids]
        with self._lock:
            rows = {}
            for lo in range(0, len(ids), 900):
                part = ids[lo:lo + 900]
                query = f"SELECT id, start, end_, page, text FROM chunks WHERE id IN ({','.join('?' * len(part))})"
                rows.update((row[0], row[1:]) for row in self._db.execute(query, part))
        chunks = []
        for i in ids:
            start, end, page, text = rows[i]
            source, facts = self.reports[int(self.report_of[i])]
            chunks.append(Chunk(source=source, start=start, end=end, text=text, facts=facts, page=page,
                                years=self.years_of(i)))
        return chunks

    def years_of(self, i: int) -> tuple[int, ...]:
        return tuple(int(y) for y in self.year_values[self.year_ptr[i]:self.year_ptr[i + 1]])

    def source_of(self, i: int) -> str:
        return self.report_source[int(self.report_of[i])]

    # --- vectorised views ----------------------------------------------------------------

    def scope_reports(self, scope: Scope) -> np.ndarray:
        """Boolean mask over reports: those `scope` admits."""
        return np.fromiter((scope.admits(source, facts) for source, facts in self.reports), dtype=bool,
                           count=len(self.reports))

    def scope_mask(self, scope: Scope, reports: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask over chunks: those of the reports `scope` admits (`reports`, when computed)."""
        admitted = self.scope_reports(scope) if reports is None else reports
        return admitted[self.report_of] if len(self) else np.zeros(0, dtype=bool)

    def _place_index(self) -> tuple[dict[str, list[int]], dict[str, list[int]], list[str], list[int]]:
        """Reports by place, by namesake candidate, and every placed report sorted by its place path."""
        if self._by_place is None:
            by_place: dict[str, list[int]] = {}
            by_candidate: dict[str, list[int]] = {}
            for i, (_, facts) in enumerate(self.reports):
                if facts.place:
                    by_place.setdefault(facts.place, []).append(i)
                for key in facts.place_candidates:
                    by_candidate.setdefault(key, []).append(i)
            placed = sorted((facts.place, i) for i, (_, facts) in enumerate(self.reports) if facts.place)
            self._by_place = (by_place, by_candidate, [p for p, _ in placed], [i for _, i in placed])
        return self._by_place

    def called(self, years: list[int]) -> np.ndarray:
        """Per report: may a question call it the report of one of `years` (`ReportFacts.session_years`)?"""
        return np.isin(self.report_year, years) | np.isin(self.report_plan_year, years)

    def reports_of_places(self, keys: list[str]) -> np.ndarray:
        """Ids of the reports issued by one of these places, or that may be (namesakes untold)."""
        by_place, by_candidate, _, _ = self._place_index()
        found = {r for key in keys for r in (*by_place.get(key, ()), *by_candidate.get(key, ()))}
        return np.array(sorted(found), dtype="int64")

    def place_matches(self, keys: list[str]) -> np.ndarray:
        """`fusion.place_match` of every report against the asked places `keys`, from the place index
        (the asked places' own reports 1, of places around them 0.5, inside them 0.2, unknown 0.5)."""
        by_place, by_candidate, sorted_places, sorted_reports = self._place_index()
        match = np.zeros(len(self.reports), dtype="float64")
        if self._unplaced is None:
            self._unplaced = np.array([i for i, place in enumerate(self._places) if not place], dtype="int64")
        match[self._unplaced] = 0.5
        for key in keys:
            lo = bisect_left(sorted_places, key + "/")
            hi = bisect_left(sorted_places, key + "0")  # "0" follows "/": every path under key
            inside = sorted_reports[lo:hi]
            match[inside] = np.maximum(match[inside], 0.2)
            parts = key.split("/")
            for depth in range(1, len(parts)):
                around = by_place.get("/".join(parts[:depth]), [])
                match[around] = np.maximum(match[around], 0.5)
        for key in keys:
            match[by_place.get(key, [])] = 1.0
            match[by_candidate.get(key, [])] = 1.0
        return match

    def _grouping(self) -> tuple[np.ndarray, np.ndarray]:
        """Chunk positions grouped by report, and where each report's group starts (built on first use)."""
        if self._by_report is None:
            order = np.argsort(self.report_of, kind="stable")
            ptr = np.zeros(len(self.reports) + 1, dtype="int64")
            np.cumsum(np.bincount(self.report_of, minlength=len(self.reports)), out=ptr[1:])
            with self._lock:
                self._by_report = (order, ptr)
        return self._by_report

    def chunks_of(self, report_flags: np.ndarray) -> np.ndarray:
        """Positions, ascending, of the chunks of the reports flagged True (cost grows with their number)."""
        order, ptr = self._grouping()
        reports = np.flatnonzero(report_flags)
        lengths = ptr[reports + 1] - ptr[reports]
        total = int(lengths.sum())
        if not total:
            return np.zeros(0, dtype="int64")
        if total > len(self) // 8:  # many: one pass over the chunks beats sorting them
            return np.flatnonzero(np.asarray(report_flags)[self.report_of]).astype("int64")
        starts = np.repeat(ptr[reports] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        return np.sort(order[starts + np.arange(total)]).astype("int64")

    @property
    def has_chunks(self) -> np.ndarray:
        """Boolean per report: it holds a chunk (the last reports of a truncated synthetic store may not)."""
        return np.diff(self._grouping()[1]) > 0

    def report_flags(self, report_ids: np.ndarray) -> np.ndarray:
        """Boolean per report: True for these report ids."""
        flags = np.zeros(len(self.reports), dtype=bool)
        flags[report_ids] = True
        return flags

    def year_mask(self, year: int) -> np.ndarray:
        """Chunks whose section years include `year` (built on first use, then cached)."""
        mask = self._year_masks.get(year)
        if mask is None:
            owners = np.repeat(np.arange(len(self)), np.diff(self.year_ptr))
            mask = np.zeros(len(self), dtype=bool)
            mask[owners[np.asarray(self.year_values) == year]] = True
            with self._lock:
                self._year_masks[year] = mask
        return mask

    @property
    def has_years(self) -> np.ndarray:
        """Chunks whose section years are known."""
        if self._has_years is None:
            self._has_years = np.diff(self.year_ptr) > 0
        return self._has_years

    def covered(self, ids: np.ndarray, years: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """For chunks `ids`: whether each has section years, and whether one of them is in `years`."""
        lo, hi = self.year_ptr[ids], self.year_ptr[ids + 1]
        lengths = hi - lo
        has = lengths > 0
        hit = np.zeros(len(ids), dtype=bool)
        total = int(lengths.sum())
        if total:
            # positions of every candidate's years in year_values, gathered without a Python loop
            starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
            values = self.year_values[starts + np.arange(total)]
            marks = np.concatenate([[0], np.cumsum(np.isin(values, years))])
            ends = np.cumsum(lengths)
            hit = (marks[ends] - marks[ends - lengths]) > 0
        return has, hit

    # --- persistence ---------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write chunks.sqlite and the arrays into `directory` (a fresh generation directory)."""
        db = sqlite3.connect(directory / DB)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY, source TEXT, facts TEXT)")
            db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, start INTEGER, end_ INTEGER, page INTEGER, "
                       "text TEXT)")
            db.executemany("INSERT INTO reports VALUES (?, ?, ?)",
                           ((i, source, json.dumps(asdict(facts), ensure_ascii=False))
                            for i, (source, facts) in enumerate(self.reports)))
            rows = self._rows() if self._rows is not None else ((c.start, c.end, c.page, c.text) for c in self)
            db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?)", ((i, *row) for i, row in enumerate(rows)))
            db.commit()
        finally:
            db.close()
        for name, array in zip(ARRAYS, (self.report_of, self.year_ptr, self.year_values)):
            np.save(directory / name, np.ascontiguousarray(array))

    @classmethod
    def load(cls, directory: Path) -> ChunkRecords:
        db = sqlite3.connect(f"file:{directory / DB}?mode=ro", uri=True, check_same_thread=False)
        try:
            reports = [(source, ReportFacts.from_dict(json.loads(facts)))
                       for source, facts in db.execute("SELECT source, facts FROM reports ORDER BY id")]
            last = db.execute("SELECT max(id) FROM chunks").fetchone()[0]
        except BaseException:
            db.close()
            raise
        arrays = [np.load(directory / name, mmap_mode="r") for name in ARRAYS]
        if (last if last is not None else -1) + 1 != len(arrays[0]):
            db.close()
            raise ValueError(f"{DB} holds {0 if last is None else last + 1} chunks, its arrays {len(arrays[0])}")
        return cls(reports, *arrays, db=db)
