"""Where chunks, their vectors and their BM25 index live: one interface, one file per backend."""
from .base import Store, read_manifest
from .factory import load_store, store_class
from .faiss import FaissStore
from .files import remove_stale_generations
from .manifest import FORMAT_VERSION, MANIFEST, REBUILD_HINT, FileEntry, Manifest
from .records import ChunkRecords

VectorStore = FaissStore  # the default backend, under the name the rest of rag has always used

__all__ = ["FORMAT_VERSION", "MANIFEST", "REBUILD_HINT", "ChunkRecords", "FaissStore", "FileEntry", "Manifest",
           "Store", "VectorStore", "load_store", "read_manifest", "remove_stale_generations", "store_class"]
