"""The store interface: chunk vectors searched by inner product, with records and a lexical index.

A generation of an index is one directory, `gen-<id>/`, written whole before `manifest.json` is
switched to it by one rename; a build killed at any point leaves the previous manifest pointing at
complete files. Backends differ only in where the vectors live (`faiss.py` beside the records,
`milvus.py` in a Milvus collection).
"""
from __future__ import annotations

import json
import sqlite3
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import IndexCorruptError, IndexMissingError, IndexOutdatedError
from ..types import Chunk
from .files import atomic_write, generation_dir, new_generation, publish_dir, remove_stale_generations
from .manifest import FORMAT_VERSION, MANIFEST, REBUILD_HINT, Manifest
from .records import ChunkRecords

if TYPE_CHECKING:  # retrieval imports the store: BM25 is imported where it is used
    from ..retrieval.lexical import BM25


class Store(ABC):
    """Chunks (`records`), their vectors (in the backend) and BM25 over their tokens (`lexical`)."""

    name = "base"
    exact_limit = 0  # search_among scores at most this many admitted chunks exactly itself

    def __init__(self, manifest: Manifest, records: ChunkRecords, lexical: BM25 | None):
        self.manifest = manifest
        self.records = records
        self._lexical = lexical

    # --- what a backend provides ------------------------------------------------------------

    @abstractmethod
    def search(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk positions, inner-product scores) of the k nearest chunks, best first; only chunks
        where `mask` is True when a mask is given."""

    @abstractmethod
    def vectors(self, ids: np.ndarray | None = None) -> np.ndarray:
        """The stored vectors of these chunk positions (all when None), float32."""

    @abstractmethod
    def _write_vectors(self, directory: Path, generation: str) -> None:
        """Persist the vectors for generation `generation`, whose files are being written in `directory`."""

    def _drop_other_generations(self, generation: str) -> None:
        """After the manifest switched to `generation`: free what older generations hold outside the
        index directory (nothing, for backends that keep vectors in it)."""
        return None

    @classmethod
    def check_reachable(cls, **options) -> None:
        """Fail now, naming the fix, if the backend's server does not answer (before hours of embedding)."""
        return None

    @classmethod
    @abstractmethod
    def _read_vectors(cls, manifest: Manifest, directory: Path, records: ChunkRecords,
                      lexical: BM25) -> Store:
        """The store of a saved generation."""

    # --- derived --------------------------------------------------------------------------

    @property
    def chunks(self) -> ChunkRecords:
        return self.records

    def __len__(self) -> int:
        return len(self.records)

    @property
    def lexical(self) -> BM25:
        if self._lexical is None:
            from ..chunking import embedding_text
            from ..retrieval.lexical import BM25, tokenize
            self._lexical = BM25([tokenize(embedding_text(c)) for c in self.records])
        return self._lexical

    def scores_of(self, query_vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the vectors of chunks `ids`."""
        if not len(ids):
            return np.zeros(0, dtype="float32")
        return (self.vectors(ids) @ np.asarray(query_vector, dtype="float32")).astype("float32")

    def search_among(self, query_vector: np.ndarray, k: int, ids: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """`search` admitting only chunk positions `ids` (ascending); exact among them when they are at
        most `exact_limit`, without a pass over the whole corpus."""
        ids = np.asarray(ids, dtype="int64")
        if len(ids) <= self.exact_limit:
            scores = self.scores_of(query_vector, ids)
            order = np.lexsort((ids, -scores))[:k]
            return ids[order], scores[order]
        mask = np.zeros(len(self), dtype=bool)
        mask[ids] = True
        return self.search(query_vector, k, mask)

    def index_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine score of every chunk, in chunk order (exact; for tests and benchmarks)."""
        return self.scores_of(query_vector, np.arange(len(self)))

    # --- persistence ----------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write a new generation, switch the manifest to it atomically, drop old generations."""
        directory.mkdir(parents=True, exist_ok=True)
        generation = new_generation()
        tmp = directory / f".gen-{generation}.tmp"
        tmp.mkdir()
        self.records.save(tmp)
        self.lexical.save(tmp)
        self.manifest.store = self.name
        self._write_vectors(tmp, generation)
        publish_dir(tmp, generation_dir(directory, generation))
        self.manifest.generation = generation
        self.manifest.created = time.time()
        atomic_write(directory / MANIFEST, self.manifest.to_json().encode("utf-8"))
        remove_stale_generations(directory, generation)
        self._drop_other_generations(generation)

    @classmethod
    def load(cls, directory: Path) -> Store:
        """Load and cross-check; a missing or broken index raises an error naming the fix."""
        manifest = read_manifest(directory)
        from ..retrieval.lexical import BM25
        gen = generation_dir(directory, manifest.generation)
        try:
            records = ChunkRecords.load(gen)
            lexical = BM25.load(gen)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, sqlite3.Error) as exc:
            raise IndexCorruptError(f"index in {directory} is unreadable ({type(exc).__name__}: {exc}); "
                                    f"{REBUILD_HINT}") from exc
        if lexical.size != len(records):
            raise IndexCorruptError(f"index in {directory} is inconsistent ({len(records)} chunks, BM25 over "
                                    f"{lexical.size}); {REBUILD_HINT}")
        return cls._read_vectors(manifest, gen, records, lexical)

    @classmethod
    def create(cls, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray,
               lexical: BM25 | None = None) -> Store:
        """A store of these chunks and vectors, in memory until `save`."""
        raise NotImplementedError


def read_manifest(directory: Path) -> Manifest:
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise IndexMissingError(f"no index in {directory}: run `rag index` to build one")
    try:
        version = json.loads(manifest_path.read_text(encoding="utf-8")).get("format_version")
    except (OSError, ValueError, AttributeError):
        version = FORMAT_VERSION  # unreadable: reported as corrupt below
    if isinstance(version, int) and version < FORMAT_VERSION:
        raise IndexOutdatedError(f"index in {directory} has format {version}, this rag writes {FORMAT_VERSION}; "
                                 "run `rag index` to rebuild it")
    try:
        return Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(f"index in {directory} is unreadable ({type(exc).__name__}: {exc}); "
                                f"{REBUILD_HINT}") from exc
