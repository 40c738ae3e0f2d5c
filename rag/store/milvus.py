"""Milvus backend (`RAG_STORE=milvus`): vectors in a Milvus collection, records and BM25 beside the manifest.

`RAG_MILVUS_URI` unset: an embedded milvus-lite database inside each generation directory, so a new
generation is written while the previous one keeps answering and the switch is the manifest's rename.
Set (`http://host:19530`): one collection per generation on that server, older ones dropped once the
manifest has switched. Each collection records the embedding model it was built with.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import ConfigError, IndexCorruptError, StoreUnavailableError
from .base import Store
from .faiss import HNSW, choose_ann
from .manifest import REBUILD_HINT, Manifest
from .records import ChunkRecords

EMBEDDED = "milvus.db"
BRUTE_FORCE = 2_000  # a filter admitting at most this many chunks is scored from fetched vectors
BATCH = 2_000


def collection_name(generation: str) -> str:
    return "rag_" + generation.replace("-", "_")


def connect(uri: str):
    """A MilvusClient for `uri`; a store that does not answer is a StoreUnavailableError naming the fix."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise ConfigError("RAG_STORE=milvus needs pymilvus and milvus-lite: pip install 'rag[milvus]' "
                          "(or set RAG_STORE=faiss)") from exc
    try:
        return MilvusClient(uri, timeout=10)
    except Exception as exc:  # pymilvus raises its own hierarchy and grpc errors
        raise StoreUnavailableError(
            f"the Milvus store at {uri} does not answer ({type(exc).__name__}: {exc}); start it, point "
            "RAG_MILVUS_URI at one that answers (unset it for the embedded milvus-lite), or set RAG_STORE=faiss; "
            "the last complete index is unchanged") from exc


def release_embedded(path: Path) -> None:
    """Stop this process's milvus-lite server of the database at `path`."""
    from milvus_lite.server_manager import server_manager_instance
    server_manager_instance.release_server(str(path))


class MilvusStore(Store):
    """Vectors in Milvus (FLAT while small, HNSW beyond the threshold), searched by inner product."""

    name = "milvus"
    exact_limit = BRUTE_FORCE

    def __init__(self, manifest: Manifest, records: ChunkRecords, lexical, client=None,
                 pending: np.ndarray | None = None):
        super().__init__(manifest, records, lexical)
        self.client = client
        self._pending = pending  # vectors of a store not saved yet

    @classmethod
    def create(cls, manifest: Manifest, chunks, vectors: np.ndarray, lexical=None,
               ann_threshold: int | None = None, milvus_uri: str = "") -> MilvusStore:
        records = chunks if isinstance(chunks, ChunkRecords) else ChunkRecords.from_chunks(list(chunks))
        manifest.ann = choose_ann(len(records), *([ann_threshold] if ann_threshold is not None else []),
                                  large="hnsw")
        manifest.store_options = {"uri": milvus_uri}
        return cls(manifest, records, lexical, pending=np.ascontiguousarray(vectors, dtype="float32"))

    @classmethod
    def check_reachable(cls, milvus_uri: str = "", **_options) -> None:
        if milvus_uri:
            connect(milvus_uri).close()

    @property
    def collection(self) -> str:
        return self.manifest.store_options["collection"]

    def vectors(self, ids: np.ndarray | None = None) -> np.ndarray:
        ids = np.arange(len(self)) if ids is None else np.asarray(ids, dtype="int64")
        if self._pending is not None:
            return self._pending[ids]
        found: dict[int, list[float]] = {}
        for lo in range(0, len(ids), BATCH):
            part = sorted(set(ids[lo:lo + BATCH].tolist()) - set(found))
            if part:
                for row in self.client.get(self.collection, ids=part, output_fields=["vector"]):
                    found[int(row["id"])] = row["vector"]
        if not len(ids):
            return np.zeros((0, self.manifest.dim), dtype="float32")
        return np.array([found[int(i)] for i in ids], dtype="float32")

    def search(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        query = np.asarray(query_vector, dtype="float32")
        total = len(self) if mask is None else int(mask.sum())
        k = min(k, total)
        if k <= 0:
            return np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32")
        expression = ""
        if mask is not None:
            allowed = np.flatnonzero(mask)
            if len(allowed) <= BRUTE_FORCE:
                scores = self.vectors(allowed) @ query
                order = np.lexsort((allowed, -scores))[:k]
                return allowed[order].astype("int64"), scores[order].astype("float32")
            expression = f"id in [{','.join(map(str, allowed.tolist()))}]"
        params = {"metric_type": "IP", "params": {"ef": max(self.manifest.ann.get("ef_search", 0), k)}
                  if self.manifest.ann.get("kind") == "hnsw" else {}}
        hits = self.client.search(self.collection, data=[query.tolist()], limit=k, filter=expression,
                                  search_params=params, output_fields=[])[0]
        ids = np.array([int(h["id"]) for h in hits], dtype="int64")
        scores = np.array([float(h["distance"]) for h in hits], dtype="float32")
        order = np.lexsort((ids, -scores))
        return ids[order], scores[order]

    def _write_vectors(self, directory: Path, generation: str) -> None:
        from pymilvus import DataType
        uri = self.manifest.store_options.get("uri", "")
        client = connect(uri or str(directory / EMBEDDED))
        name = collection_name(generation)
        try:
            if client.has_collection(name):
                client.drop_collection(name)
            schema = client.create_schema(auto_id=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.manifest.dim)
            schema.add_field("report", DataType.INT64)
            index = client.prepare_index_params()
            if self.manifest.ann.get("kind") == "hnsw":
                index.add_index("vector", index_type="HNSW", metric_type="IP",
                                params={"M": HNSW["m"], "efConstruction": HNSW["ef_construction"]})
            else:
                index.add_index("vector", index_type="FLAT", metric_type="IP")
            model = {"embedding_backend": self.manifest.embedding_backend,
                     "embedding_model": self.manifest.embedding_model, "dim": self.manifest.dim}
            client.create_collection(name, schema=schema, index_params=index, properties={"rag_model": json.dumps(model)})
            report_of = np.asarray(self.records.report_of)
            for lo in range(0, len(self), BATCH):
                hi = min(len(self), lo + BATCH)
                client.insert(name, [{"id": i, "vector": self._pending[i].tolist(), "report": int(report_of[i])}
                                     for i in range(lo, hi)])
            client.flush(name)
        finally:
            client.close()
            if not uri:
                release_embedded(directory / EMBEDDED)  # its lock must go before the directory is renamed
        self.manifest.store_options = {"uri": uri, "collection": name}

    def _drop_other_generations(self, generation: str) -> None:
        uri = self.manifest.store_options.get("uri", "")
        if not uri:
            return  # embedded: each generation's database went with its directory
        client = connect(uri)
        try:
            for name in client.list_collections():
                if name.startswith("rag_") and name != collection_name(generation):
                    client.drop_collection(name)
        finally:
            client.close()

    @classmethod
    def _read_vectors(cls, manifest: Manifest, directory: Path, records: ChunkRecords, lexical) -> MilvusStore:
        uri = manifest.store_options.get("uri") or str(directory / EMBEDDED)
        name = manifest.store_options.get("collection", "")
        client = connect(uri)
        if not client.has_collection(name):
            raise IndexCorruptError(f"the Milvus collection {name!r} at {uri} is missing; {REBUILD_HINT}")
        built = json.loads((client.describe_collection(name).get("properties") or {}).get("rag_model") or "{}")
        wanted = {"embedding_backend": manifest.embedding_backend, "embedding_model": manifest.embedding_model,
                  "dim": manifest.dim}
        if built != wanted:
            raise IndexCorruptError(
                f"the Milvus collection {name!r} at {uri} was built with {built.get('embedding_backend')}:"
                f"{built.get('embedding_model')} ({built.get('dim')} dims), this index uses "
                f"{manifest.embedding_backend}:{manifest.embedding_model} ({manifest.dim} dims); run "
                "`rag index --rebuild` to rebuild the collection for this model")
        client.load_collection(name)
        count = client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"]
        if count != len(records):
            raise IndexCorruptError(f"the Milvus collection {name!r} at {uri} holds {count} vectors, the index "
                                    f"{len(records)} chunks; {REBUILD_HINT}")
        return cls(manifest, records, lexical, client=client)

