"""Make sure a usable index exists before searching: build if missing, update if the corpus changed."""
from __future__ import annotations

import logging

from .config import Settings
from .embeddings import resolve_backend
from .errors import IndexCorruptError, IndexMissingError, IndexOutdatedError
from .indexer import build_index, plan_sources, tqdm_progress
from .store import VectorStore

log = logging.getLogger(__name__)


def corpus_changed(store: VectorStore, settings: Settings) -> bool:
    """True when the files on disk differ from what the manifest recorded (indexed or skipped)."""
    return {s.name: s.sha256 for s in plan_sources(settings, None, store)} != store.manifest.recorded_hashes()


def ensure_index(settings: Settings) -> VectorStore:
    """The current index, checked against the corpus hashes and the embedding settings."""
    try:
        store = VectorStore.load(settings.index_dir)
    except (IndexMissingError, IndexOutdatedError) as exc:
        log.warning("%s: building the index from %s", exc, settings.corpus_dir)
        _update(settings)
        return VectorStore.load(settings.index_dir)
    backend = resolve_backend(settings.embedding_backend, settings.embedding_model)
    why = store.manifest.mismatch(backend, settings.embedding_model, settings.chunker.as_dict())
    if why:
        raise IndexCorruptError(f"{why}; run `rag index` to rebuild the index for these settings "
                                "(or `rag index --rebuild`)")
    if corpus_changed(store, settings):
        log.warning("the corpus changed since the index was built: updating it")
        _update(settings)
        store = VectorStore.load(settings.index_dir)
    return store


def _update(settings: Settings) -> None:
    progress, close = tqdm_progress()
    try:
        report = build_index(settings, progress=progress)
    finally:
        close()
    log.warning(report.summary())
