"""Load the last complete index and say when it is out of date; never re-embed the corpus inline.

`rag index` updates the index (and writes its progress to `.build/progress.json`); questions asked
meanwhile are answered from the last complete index, with a warning saying how far the update is.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .config import Settings
from .corpus import scan
from .embeddings import resolve_backend
from .errors import IndexCorruptError, IndexMissingError
from .indexer import build_index, plan_sources, tqdm_progress
from .progress import read_progress
from .store import Store, load_store

log = logging.getLogger(__name__)
INLINE_BUILD_BYTES = 256 * 1024  # a missing index over a corpus this small is built on first use


@dataclass
class IndexStatus:
    """How the loaded index compares with the corpus on disk, and whether a build is running."""

    changed: list[str] = field(default_factory=list)  # files added, changed or deleted since the build
    building: str | None = None  # what the running build's progress file says

    @property
    def warnings(self) -> list[str]:
        found = []
        if self.changed:
            names = ", ".join(self.changed[:5]) + (f" and {len(self.changed) - 5} more" if len(self.changed) > 5 else "")
            found.append(f"the index is out of date ({len(self.changed)} files changed since it was built: {names}); "
                         "answering from the last complete index" +
                         ("" if self.building else "; run `rag index` to update it"))
        if self.building:
            found.append(f"{self.building}; answering from the last complete index meanwhile")
        return found


def refresh(status: IndexStatus, settings: Settings) -> IndexStatus:
    """The same changed files, with the running build's progress read again (one small file)."""
    progress = read_progress(settings.index_dir)
    return IndexStatus(status.changed, progress.describe() if progress is not None and progress.running else None)


def index_status(store: Store, settings: Settings) -> IndexStatus:
    """Files on disk that differ from what the manifest recorded, and the progress of a running build."""
    on_disk = {s.name: s.sha256 for s in plan_sources(settings, None, store)}
    recorded = store.manifest.recorded_hashes()
    changed = sorted(n for n in set(on_disk) | set(recorded) if on_disk.get(n) != recorded.get(n))
    progress = read_progress(settings.index_dir)
    building = progress.describe() if progress is not None and progress.running else None
    return IndexStatus(changed, building)


def corpus_changed(store: Store, settings: Settings) -> bool:
    """True when the files on disk differ from what the manifest recorded (indexed or skipped)."""
    return bool(index_status(store, settings).changed)


def ensure_index(settings: Settings, update: bool = False) -> tuple[Store, IndexStatus]:
    """The last complete index and how it stands (out of date, being updated: `status.warnings`).

    With `update` (batch tools such as `rag eval`), a missing or out-of-date index is brought up to
    date first. Otherwise nothing is embedded here, except a missing index over a tiny corpus.
    """
    try:
        store = load_store(settings.index_dir)
    except IndexMissingError:
        if not update and _corpus_bytes(settings) > INLINE_BUILD_BYTES:
            raise IndexMissingError(f"no index in {settings.index_dir}: run `rag index` to build it from "
                                    f"{settings.corpus_dir}") from None
        log.warning("no index in %s: building it from %s", settings.index_dir, settings.corpus_dir)
        _update(settings)
        store = load_store(settings.index_dir)
    backend = resolve_backend(settings.embedding_backend, settings.embedding_model)
    why = store.manifest.mismatch(backend, settings.embedding_model, settings.chunker.as_dict())
    if why:
        raise IndexCorruptError(f"{why}; run `rag index` to rebuild the index for these settings "
                                "(or `rag index --rebuild`)")
    status = index_status(store, settings)
    if update and status.changed and not status.building:
        _update(settings)
        store = load_store(settings.index_dir)
        status = index_status(store, settings)
    for warning in status.warnings:
        log.warning(warning)
    return store, status


def _corpus_bytes(settings: Settings) -> int:
    try:
        return sum(s.size for s in scan([settings.corpus_dir]))
    except OSError:
        return 0


def _update(settings: Settings) -> None:
    progress, close = tqdm_progress()
    try:
        report = build_index(settings, progress=progress)
    finally:
        close()
    log.warning(report.summary())
