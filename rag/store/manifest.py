"""The manifest: what built an index, which generation is current, and how its vectors are searched."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

MANIFEST = "manifest.json"
# 3: a generation is a directory (FAISS flat or HNSW index, chunk records in SQLite, BM25 arrays)
FORMAT_VERSION = 3
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
    skipped: dict[str, str] = field(default_factory=dict)  # unreadable or too big file name -> its sha256
    generation: str = ""
    created: float = 0.0
    format_version: int = FORMAT_VERSION
    store: str = "faiss"
    ann: dict = field(default_factory=dict)  # {"kind": "flat"|"hnsw", "threshold": n, ...}: chosen at save
    store_options: dict = field(default_factory=dict)  # where the backend keeps vectors (Milvus URI, collection)

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
        skipped = {name: mark.split(":", 1)[0] for name, mark in self.skipped.items()}  # "sha:max=…": too big
        return {**{name: entry.sha256 for name, entry in self.files.items()}, **skipped}

    def mismatch(self, backend: str, model: str, chunker: dict) -> str | None:
        """Why this index cannot be reused with these settings, or None."""
        if (self.embedding_backend, self.embedding_model) != (backend, model):
            return (f"embedding changed: index built with {self.embedding_backend}:{self.embedding_model}, "
                    f"settings ask for {backend}:{model}")
        if self.chunker != chunker:
            return f"chunker changed: index built with {self.chunker}, settings ask for {chunker}"
        return None
