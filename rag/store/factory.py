"""Store backends by name: `RAG_STORE=faiss` (default) or `milvus`."""
from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from .base import Store, read_manifest

BACKENDS = ("faiss", "milvus")


def store_class(name: str) -> type[Store]:
    """The Store class of backend `name`; an unknown name fails naming the known ones."""
    if name == "faiss":
        from .faiss import FaissStore
        return FaissStore
    if name == "milvus":
        from .milvus import MilvusStore
        return MilvusStore
    raise ConfigError(f"unknown store backend {name!r}: set RAG_STORE to one of {', '.join(BACKENDS)}")


def load_store(directory: Path) -> Store:
    """The index in `directory`, with the backend its manifest names."""
    return store_class(read_manifest(directory).store).load(directory)
