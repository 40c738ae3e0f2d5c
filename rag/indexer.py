"""Build or update the index: re-embed only new or changed files, drop deleted ones."""
from __future__ import annotations

import fcntl
import hashlib
import logging
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import chunk_document, embedding_text
from .config import Settings
from .corpus import SourceFile, resolve_stored, scan, stored_path
from .embeddings import create_embedder, resolve_backend
from .errors import IndexMissingError, IndexOutdatedError, LoadError
from .ingest.documents import split_documents
from .ingest.loaders import load_source
from .progress import CHECKPOINT_BLOCK, Checkpoint, clear_progress, write_progress
from .retrieval.lexical import bm25_from_counts, tokenize
from .store import FileEntry, Manifest, Store, load_store, remove_stale_generations, store_class
from .store.legacy import read_legacy
from .types import Chunk

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (chunks embedded so far, chunks to embed)


@dataclass
class IndexReport:
    """What one `rag index` run did."""

    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    rebuilt_because: str | None = None
    written: bool = False
    cancelled: bool = False  # stopped by `cancel`; the previous index is unchanged, the checkpoint kept
    unread_facts: dict[str, str] = field(default_factory=dict)  # "file: title" -> why place/year are unknown

    @property
    def chunks_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        lines = []
        if self.rebuilt_because:
            lines.append(f"full rebuild: {self.rebuilt_because}")
        for label, names in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if names:
                lines.append(f"{label}: {', '.join(names)}")
        for report, why in self.unread_facts.items():
            lines.append(f"indexed with facts unknown: {report}: {why}")
        for name, why in self.skipped.items():
            lines.append(f"skipped {why}" if why.startswith(name) else f"skipped {name}: {why}")
        if self.cancelled:
            lines.append("cancelled: the previous index is unchanged; run `rag index` again to embed the rest "
                         f"({self.embedded} chunks embedded so far are kept)")
        elif not self.written:
            lines.append("index is up to date; nothing embedded")
        lines.append(f"{self.documents} documents, {self.chunks} chunks, embedded {self.embedded} "
                     f"in {self.seconds:.1f} s ({self.chunks_per_second:.1f} chunks/s)")
        return "\n".join(lines)


@contextmanager
def index_lock(directory: Path):
    """One writer at a time per index directory (CLI and UI uploads may race)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def unread_facts(chunks: list[Chunk]) -> dict[str, str]:
    """Reports whose place or year could not be read, with the reason (they are indexed all the same)."""
    found: dict[str, str] = {}
    for chunk in chunks:
        if chunk.facts.notes:
            found.setdefault(f"{chunk.source}: {chunk.facts.title}", "; ".join(chunk.facts.notes))
    return found


def load_existing(settings: Settings, backend: str) -> tuple[Store | None, str | None, Store | None]:
    """The reusable current index, or None and why it cannot be reused; a corrupt index raises.

    The third item is an index whose vectors can still be reused by chunk text (same embedding
    model, other chunking or facts), so a rebuild embeds only what it must.
    """
    try:
        store = load_store(settings.index_dir)
    except IndexMissingError:
        return None, None, None
    except IndexOutdatedError as exc:
        legacy = read_legacy(settings.index_dir)
        same_model = legacy is not None and (legacy.manifest.embedding_backend,
                                             legacy.manifest.embedding_model) == (backend, settings.embedding_model)
        return None, str(exc).split(";")[0], legacy if same_model else None
    why = store.manifest.mismatch(backend, settings.embedding_model, settings.chunker.as_dict())
    wanted = {"uri": settings.milvus_uri} if settings.store == "milvus" else {}
    placed = {k: v for k, v in store.manifest.store_options.items() if k == "uri"}
    if why is None and (store.manifest.store, placed) != (settings.store, wanted):
        why = f"store changed: index kept in {store.manifest.store} {placed or ''}, settings ask for " \
              f"{settings.store} {wanted or ''}"
    if why is None:
        return store, None, None
    same_model = (store.manifest.embedding_backend, store.manifest.embedding_model) == (backend,
                                                                                       settings.embedding_model)
    return None, why, store if same_model else None


def plan_sources(settings: Settings, paths: list[Path] | None, previous: Store | None) -> list[SourceFile]:
    """Files the index should hold: the given paths (default: corpus dir) plus earlier files still on disk."""
    wanted = {f.name: f for f in scan(paths or [settings.corpus_dir])}
    if previous is not None:
        for name, entry in previous.manifest.files.items():
            path = resolve_stored(entry.path, settings.corpus_dir)
            if name not in wanted and path.exists():
                wanted[name] = SourceFile(name, path.resolve(), entry.sha256, entry.size)
    return [wanted[n] for n in sorted(wanted)]


def build_index(settings: Settings, paths: list[Path] | None = None, *, rebuild: bool = False,
                progress: Progress | None = None, cancel: threading.Event | None = None) -> IndexReport:
    """Bring the index in `settings.index_dir` in line with the source files.

    Embeds in blocks, appending each block's vectors to a checkpoint: a build that is killed or
    cancelled (`cancel` is checked between blocks) leaves the previous index answering and the next
    build embeds only what is left. Progress is written to `.build/progress.json` for readers.
    """
    started = time.perf_counter()
    report = IndexReport()
    backend = resolve_backend(settings.embedding_backend, settings.embedding_model)
    store_class(settings.store).check_reachable(milvus_uri=settings.milvus_uri)
    with index_lock(settings.index_dir):
        for leftover in settings.index_dir.glob(".*.tmp"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        previous, why, donor = (None, "--rebuild asked for", None) if rebuild else load_existing(settings, backend)
        if why:
            report.rebuilt_because = why
            log.warning("full rebuild: %s", why)
        sources = plan_sources(settings, paths, previous)
        old_files = previous.manifest.files if previous else {}
        old_skipped = previous.manifest.skipped if previous else {}
        keep = {s.name for s in sources if s.name in old_files and old_files[s.name].sha256 == s.sha256}
        still_bad = {s.name: old_skipped[s.name] for s in sources
                     if old_skipped.get(s.name) in (s.sha256, too_big_mark(s.sha256, settings.max_file_bytes))}
        report.removed = sorted(set(old_files) - {s.name for s in sources})
        retry = {s.name for s in sources if ":max=" in old_skipped.get(s.name, "") and s.name not in still_bad}
        if previous is not None and not retry and \
                {s.name: s.sha256 for s in sources} == previous.manifest.recorded_hashes():
            # Nothing to write, but a save killed earlier may have left another generation's files.
            remove_stale_generations(settings.index_dir, previous.manifest.generation)
            clear_progress(settings.index_dir)
            report.documents = sum(e.documents for e in old_files.values())
            report.chunks = len(previous.chunks)
            report.unread_facts = unread_facts(previous.chunks)
            report.seconds = time.perf_counter() - started
            return report

        chunks: list[Chunk] = []
        vectors: list[np.ndarray] = []
        counts: list[dict[str, int]] = []
        files: dict[str, FileEntry] = {}
        reusable: dict[str, np.ndarray] = {}
        if previous is not None:
            old_vectors = previous.vectors()
            old_counts = previous.lexical.document_tokens()
            for position, chunk in enumerate(previous.chunks):
                if chunk.source in keep:
                    chunks.append(chunk)
                    vectors.append(old_vectors[position])
                    counts.append(old_counts[position])
                else:
                    reusable[_text_key(embedding_text(chunk))] = old_vectors[position]
            files = {name: old_files[name] for name in keep}

        if donor is not None and donor.manifest.chunker.get("embed_format") == settings.chunker.embed_format:
            for chunk, vector in zip(donor.chunks, donor.vectors()):
                reusable[_text_key(embedding_text(chunk))] = vector
        checkpoint = Checkpoint(settings.index_dir, backend, settings.embedding_model)
        reusable.update(checkpoint.load())
        fresh: list[Chunk] = []
        skipped = dict(still_bad)
        for source in sources:
            if source.name in keep or source.name in still_bad:
                continue
            (report.changed if source.name in old_files else report.added).append(source.name)
            if source.size > settings.max_file_bytes:
                why = too_big(source, settings.max_file_bytes)
                report.skipped[source.name] = why
                skipped[source.name] = too_big_mark(source.sha256, settings.max_file_bytes)
                log.warning("skipped %s", why)
                continue
            try:
                text = load_source(source.path)
            except LoadError as exc:
                report.skipped[source.name] = str(exc)
                skipped[source.name] = source.sha256
                log.warning("skipped %s", exc)
                continue
            documents = split_documents(text)
            file_chunks = [c for d in documents for c in chunk_document(text.text, d, settings.chunker)]
            if not file_chunks:
                report.skipped[source.name] = "no indexable text"
                skipped[source.name] = source.sha256
                log.warning("skipped %s: no indexable text", source.name)
                continue
            fresh.extend(file_chunks)
            files[source.name] = FileEntry(stored_path(source.path, settings.corpus_dir), source.sha256,
                                           source.size, len(documents), len(file_chunks))

        fresh_texts = [embedding_text(c) for c in fresh]
        todo = sorted({_text_key(t): i for i, t in enumerate(fresh_texts) if _text_key(t) not in reusable}.values(),
                      key=lambda i: len(fresh_texts[i]))  # similar lengths batch together (less padding)
        embedder = create_embedder(backend, settings.embedding_model) if todo or previous is None else None
        dim = embedder.dim if embedder else previous.manifest.dim
        if todo:
            embedded = _embed(embedder, [fresh_texts[i] for i in todo], checkpoint, settings.index_dir,
                              progress, cancel)
            reusable.update(embedded)
            report.embedded = len(embedded)
            if len(embedded) < len(todo):
                report.cancelled = True
                report.seconds = time.perf_counter() - started
                return report
        fresh_vectors = np.zeros((len(fresh), dim), dtype="float32")
        for i, text in enumerate(fresh_texts):
            fresh_vectors[i] = reusable[_text_key(text)]
        counts.extend(Counter(tokenize(t)) for t in fresh_texts)
        lengths = [sum(c.values()) for c in counts]

        all_chunks = chunks + fresh
        all_vectors = np.vstack(vectors + [fresh_vectors]) if all_chunks else np.zeros((0, dim), "float32")
        order = sorted(range(len(all_chunks)), key=lambda i: (all_chunks[i].source, all_chunks[i].start))
        manifest = Manifest(embedding_backend=backend, embedding_model=settings.embedding_model, dim=dim,
                            chunker=settings.chunker.as_dict(), files=dict(sorted(files.items())),
                            skipped=dict(sorted(skipped.items())))
        lexical = bm25_from_counts([counts[i] for i in order], [lengths[i] for i in order])
        store = store_class(settings.store).create(manifest, [all_chunks[i] for i in order], all_vectors[order],
                                                   lexical, ann_threshold=settings.ann_threshold,
                                                   milvus_uri=settings.milvus_uri)
        write_progress(settings.index_dir, "saving", len(todo), len(todo))
        store.save(settings.index_dir)
        checkpoint.clear()
        clear_progress(settings.index_dir)
        report.written = True
        report.unread_facts = unread_facts(store.chunks)
        report.documents = sum(e.documents for e in files.values())
        report.chunks = len(store.chunks)
        report.seconds = time.perf_counter() - started
        return report


def too_big(source: SourceFile, limit: int) -> str:
    return (f"{source.name}: {source.size / 1048576:.1f} MB is over the {limit / 1048576:g} MB limit for one "
            "file; split it, or raise the limit with RAG_MAX_FILE_MB")


def too_big_mark(sha256: str, limit: int) -> str:
    """How the manifest records a file skipped for its size: retried once the limit changes."""
    return f"{sha256}:max={limit}"


def _embed(embedder, texts: list[str], checkpoint: Checkpoint, directory: Path, progress: Progress | None,
           cancel: threading.Event | None) -> dict[str, np.ndarray]:
    """Embed `texts` block by block, checkpointing each block; stops early when `cancel` is set."""
    done: dict[str, np.ndarray] = {}
    write_progress(directory, "embedding", 0, len(texts))
    for lo in range(0, len(texts), CHECKPOINT_BLOCK):
        if cancel is not None and cancel.is_set():
            log.warning("indexing cancelled after %d of %d chunks; the previous index is unchanged", lo, len(texts))
            write_progress(directory, "cancelled", lo, len(texts))
            break
        block = texts[lo:lo + CHECKPOINT_BLOCK]
        block_vectors = embedder.embed_passages(block)
        keys = [_text_key(t) for t in block]
        checkpoint.append(keys, block_vectors)
        done.update(zip(keys, block_vectors))
        write_progress(directory, "embedding", lo + len(block), len(texts))
        if progress:
            progress(lo + len(block), len(texts))
    return done


def tqdm_progress(stream=sys.stderr) -> tuple[Progress, Callable[[], None]]:
    """A tqdm bar (chunks embedded / total, ETA) and its closer."""
    from tqdm import tqdm
    bar: list = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit="chunk", desc="embedding", file=stream, dynamic_ncols=True))
        bar[0].update(done - bar[0].n)

    def close() -> None:
        if bar:
            bar[0].close()

    return update, close
