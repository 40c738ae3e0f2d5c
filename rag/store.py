"""FAISS index + chunk records + manifest under one directory, written atomically.

Layout: `manifest.json` names the generation's `index-<gen>.faiss` and
`chunks-<gen>.jsonl`. A save writes the new generation's files first and then
replaces the manifest with one rename, so a build killed at any point leaves the
previous manifest pointing at complete files.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import IndexCorruptError, IndexMissingError, IndexOutdatedError
from .types import Chunk

MANIFEST = "manifest.json"
FORMAT_VERSION = 2  # 2: chunks carry the report's facts (place path, kind, years)
REBUILD_HINT = "run `rag index --rebuild` to build a fresh index"


@dataclass
class FileEntry:
    """One indexed source file: where it is and what its content hashed to."""

    path: str
    sha256: str
    size: int
    documents: int
    chunks: int


@dataclass
class Manifest:
    """What built the index; compared against the settings before any reuse."""

    embedding_backend: str
    embedding_model: str
    dim: int
    chunker: dict
    files: dict[str, FileEntry] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # unreadable file name -> its sha256
    generation: str = ""
    created: float = 0.0
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Manifest:
        data = json.loads(raw)
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format_version {data.get('format_version')!r} is not {FORMAT_VERSION}")
        data["files"] = {name: FileEntry(**entry) for name, entry in data["files"].items()}
        return cls(**data)

    def recorded_hashes(self) -> dict[str, str]:
        """sha256 of every file the manifest knows, indexed or skipped as unreadable."""
        return {**{name: entry.sha256 for name, entry in self.files.items()}, **self.skipped}

    def mismatch(self, backend: str, model: str, chunker: dict) -> str | None:
        """Why this index cannot be reused with these settings, or None."""
        if (self.embedding_backend, self.embedding_model) != (backend, model):
            return (f"embedding changed: index built with {self.embedding_backend}:{self.embedding_model}, "
                    f"settings ask for {backend}:{model}")
        if self.chunker != chunker:
            return f"chunker changed: index built with {self.chunker}, settings ask for {chunker}"
        return None


class VectorStore:
    """Chunks, their vectors in a FAISS inner-product index, and the manifest."""

    def __init__(self, manifest: Manifest, chunks: list[Chunk], index):
        self.manifest = manifest
        self.chunks = chunks
        self.index = index

    @classmethod
    def create(cls, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray) -> VectorStore:
        import faiss
        index = faiss.IndexFlatIP(manifest.dim)
        if len(chunks):
            index.add(np.ascontiguousarray(vectors, dtype="float32"))
        return cls(manifest, chunks, index)

    def vectors(self) -> np.ndarray:
        if self.index.ntotal == 0:
            return np.zeros((0, self.manifest.dim), dtype="float32")
        return self.index.reconstruct_n(0, self.index.ntotal)

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk position, cosine score) of the k nearest chunks."""
        k = min(k, self.index.ntotal)
        if k <= 0:
            return []
        scores, ids = self.index.search(np.asarray(query_vector, dtype="float32").reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def index_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine score of every chunk, in chunk order (the corpus is small enough to score all)."""
        scores = np.zeros(self.index.ntotal, dtype="float32")
        for position, score in self.search(query_vector, self.index.ntotal):
            scores[position] = score
        return scores

    @property
    def memory_bytes(self) -> int:
        return self.index.ntotal * self.manifest.dim * 4 + sum(len(c.text.encode()) for c in self.chunks)

    # --- persistence -------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write a new generation, switch the manifest to it atomically, drop old generations."""
        import faiss
        directory.mkdir(parents=True, exist_ok=True)
        generation = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
        index_name, chunks_name = f"index-{generation}.faiss", f"chunks-{generation}.jsonl"
        _atomic_write(directory / index_name, faiss.serialize_index(self.index).tobytes())
        lines = "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in self.chunks)
        _atomic_write(directory / chunks_name, lines.encode("utf-8"))
        self.manifest.generation = generation
        self.manifest.created = time.time()
        _atomic_write(directory / MANIFEST, self.manifest.to_json().encode("utf-8"))
        remove_stale_generations(directory, generation)

    @classmethod
    def load(cls, directory: Path) -> VectorStore:
        """Load and cross-check; a missing or broken index raises an error naming the fix."""
        import faiss
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
            manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
            generation = manifest.generation
            index = faiss.deserialize_index(
                np.frombuffer((directory / f"index-{generation}.faiss").read_bytes(), dtype="uint8"))
            with open(directory / f"chunks-{generation}.jsonl", encoding="utf-8") as handle:
                chunks = [Chunk.from_dict(json.loads(line)) for line in handle if line.strip()]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError) as exc:
            raise IndexCorruptError(f"index in {directory} is unreadable ({type(exc).__name__}: {exc}); "
                                    f"{REBUILD_HINT}") from exc
        if index.ntotal != len(chunks) or (len(chunks) and index.d != manifest.dim):
            raise IndexCorruptError(f"index in {directory} is inconsistent ({index.ntotal} vectors, "
                                    f"{len(chunks)} chunks, dim {index.d}); {REBUILD_HINT}")
        return cls(manifest, chunks, index)


def remove_stale_generations(directory: Path, generation: str) -> None:
    """Delete index/chunk files of every generation but `generation` (debris of killed saves)."""
    for stale in directory.glob("*-*.*"):
        if stale.suffix in (".faiss", ".jsonl") and generation not in stale.name:
            stale.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
