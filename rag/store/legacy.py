"""Read an index of format 2 (one FAISS file and one JSONL of chunks) only to reuse its vectors."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..types import Chunk
from .manifest import MANIFEST, FileEntry, Manifest


@dataclass
class LegacyIndex:
    """Chunks and vectors of a format-2 index: a donor of vectors for the rebuild, never searched."""

    manifest: Manifest
    chunks: list[Chunk]
    _vectors: np.ndarray

    def vectors(self) -> np.ndarray:
        return self._vectors


def read_legacy(directory: Path) -> LegacyIndex | None:
    """The format-2 index in `directory`, or None when there is none or it is unreadable."""
    import faiss
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        if data.get("format_version") != 2:
            return None
        generation = data["generation"]
        index = faiss.read_index(str(directory / f"index-{generation}.faiss"))
        with open(directory / f"chunks-{generation}.jsonl", encoding="utf-8") as handle:
            chunks = [Chunk.from_dict(json.loads(line)) for line in handle if line.strip()]
        vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), "float32")
        files = {name: FileEntry(**entry) for name, entry in data["files"].items()}
        manifest = Manifest(data["embedding_backend"], data["embedding_model"], data["dim"], data["chunker"], files)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):
        return None
    if len(chunks) != len(vectors):
        return None
    return LegacyIndex(manifest, chunks, vectors)
