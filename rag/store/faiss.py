"""FAISS backend: exact inner product (IndexFlatIP) while small, IVF (IndexIVFFlat) beyond a size threshold.

HNSW indexes (what this backend built above the threshold before IVF) still load and search.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..config import Settings
from ..errors import IndexCorruptError
from ..types import Chunk
from .base import Store
from .manifest import REBUILD_HINT, Manifest
from .records import ChunkRecords

INDEX_FILE = "index.faiss"
# Chunks from which IVF replaces exact search: an exact scan reads every vector (150 MB per 100k
# chunks), about 15 ms at 50k on a shared 2-core machine and too slow for two scans a question beyond.
ANN_THRESHOLD = Settings.ann_threshold
HNSW = {"m": 32, "ef_construction": 80, "ef_search": 256}
# IVF: about 4·sqrt(n) lists, 5% of them (at least MIN_NPROBE) scanned. Measured with bench/scale.py at
# a million chunks: HNSW (M=32, efSearch 256) found 0.64 of the exact top 5 on copies perturbed by
# Gaussian noise; IVF with 1,000 lists found all of them there, but 0.93 (32 lists) to 0.975 (96) on
# copies perturbed along real chunks' differences, where 4,000 lists with 192 scanned reach 0.973 in
# half the time. k-means is trained on TRAIN_PER_LIST vectors a list, for KMEANS_ITERATIONS.
LISTS_PER_ROOT = 4
PROBE_SHARE = 0.05
MIN_NPROBE = 32
TRAIN_PER_LIST = 20
KMEANS_ITERATIONS = 10
BRUTE_FORCE = 20_000  # a filter admitting at most this many chunks is scored exactly, vector by vector


def ivf_params(size: int) -> dict:
    """nlist and nprobe for `size` chunks (nprobe ≤ nlist)."""
    nlist = max(1, round(LISTS_PER_ROOT * math.sqrt(size)))
    return {"nlist": nlist, "nprobe": min(nlist, max(MIN_NPROBE, round(PROBE_SHARE * nlist)))}


def choose_ann(size: int, threshold: int = ANN_THRESHOLD, large: str = "ivf") -> dict:
    """The search structure for `size` chunks, recorded in the manifest so a load uses the same:
    exact below `threshold`, else `large` ("ivf", or "hnsw" for backends without IVF here)."""
    if size < threshold:
        return {"kind": "flat", "threshold": threshold}
    return {"kind": large, "threshold": threshold, **(ivf_params(size) if large == "ivf" else HNSW)}


def single_threaded() -> None:
    """One query at a time needs no OpenMP team: on a busy machine its spin-waits cost more than they save."""
    import faiss
    if faiss.omp_get_max_threads() != 1:
        faiss.omp_set_num_threads(1)


def training_sample(vectors: np.ndarray, nlist: int, seed: int = 0) -> np.ndarray:
    """The vectors IVF's k-means is trained on: TRAIN_PER_LIST a list, drawn at random."""
    count = min(len(vectors), TRAIN_PER_LIST * nlist)
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), count, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype="float32")


def build_faiss(vectors: np.ndarray, dim: int, ann: dict, train: np.ndarray | None = None):
    """An index of kind `ann["kind"]` holding `vectors`; IVF is trained on `train` (default: a sample of
    `vectors`), so a caller adding vectors in blocks later passes a sample of them."""
    import faiss
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is parallel; searches set 1 again
    kind = ann.get("kind")
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, ann["m"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ann["ef_construction"]
    elif kind == "ivf":
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, ann["nlist"], faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = KMEANS_ITERATIONS
        index.cp.min_points_per_centroid = min(TRAIN_PER_LIST, 39)  # FAISS warns below 39 a list otherwise
        index.train(train if train is not None else training_sample(vectors, ann["nlist"]))
        index.make_direct_map()  # vectors by chunk position, for exact rescoring of the candidates
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype="float32"))
    return index


def probes(ann: dict, admitted: int, total: int) -> int:
    """Lists to scan for a search admitting `admitted` of `total` chunks: as many more than nprobe as
    the filter is narrow, so about as many admitted vectors are scored as by an unfiltered search
    (a filtered scan skips the others without scoring them)."""
    return min(ann["nlist"], math.ceil(ann["nprobe"] * total / max(1, admitted)))


class FaissStore(Store):
    """Vectors in a FAISS index saved beside the chunk records."""

    name = "faiss"
    exact_limit = BRUTE_FORCE

    def __init__(self, manifest: Manifest, records: ChunkRecords, lexical, index):
        super().__init__(manifest, records, lexical)
        self.index = index
        self._flat = None

    @classmethod
    def create(cls, manifest: Manifest, chunks: list[Chunk] | ChunkRecords, vectors: np.ndarray,
               lexical=None, ann_threshold: int = ANN_THRESHOLD, **_options) -> FaissStore:
        records = chunks if isinstance(chunks, ChunkRecords) else ChunkRecords.from_chunks(list(chunks))
        manifest.ann = choose_ann(len(records), ann_threshold)
        return cls(manifest, records, lexical, build_faiss(vectors, manifest.dim, manifest.ann))

    def _matrix(self) -> np.ndarray:
        """The stored vectors as a read-only view of FAISS's own storage (no copy)."""
        if self._flat is None:
            import faiss
            flat = faiss.downcast_index(self.index.storage) if hasattr(self.index, "storage") else self.index
            n, d = self.index.ntotal, self.index.d
            self._flat = (faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d) if n
                          else np.zeros((0, d), dtype="float32"))
        return self._flat

    def vectors(self, ids: np.ndarray | None = None) -> np.ndarray:
        if self.manifest.ann.get("kind") == "ivf":  # vectors live in the inverted lists, found by direct map
            if ids is None:
                return self.index.reconstruct_n(0, self.index.ntotal)
            ids = np.asarray(ids, dtype="int64")
            return self.index.reconstruct_batch(ids) if len(ids) else np.zeros((0, self.index.d), "float32")
        matrix = self._matrix()
        return np.array(matrix) if ids is None else matrix[np.asarray(ids, dtype="int64")]

    def search(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        import faiss
        single_threaded()
        query = np.asarray(query_vector, dtype="float32").reshape(1, -1)
        total = self.index.ntotal if mask is None else int(mask.sum())
        k = min(k, total)
        if k <= 0:
            return np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32")
        ann = self.manifest.ann
        bitmap = None
        if mask is not None:
            allowed = np.flatnonzero(mask)
            if len(allowed) <= BRUTE_FORCE:
                scores = self.vectors(allowed) @ query[0]
                order = np.lexsort((allowed, -scores))[:k]
                return allowed[order].astype("int64"), scores[order].astype("float32")
            bitmap = np.packbits(mask.astype(bool), bitorder="little")
            selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
        else:
            selector = None
        if ann.get("kind") == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(ann["ef_search"], k))
        elif ann.get("kind") == "ivf":
            params = faiss.SearchParametersIVF(nprobe=probes(ann, total, self.index.ntotal))
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        scores, ids = self.index.search(query, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype("int64"), scores[0][keep].astype("float32")

    @property
    def memory_bytes(self) -> int:
        return self.index.ntotal * self.manifest.dim * 4

    def _write_vectors(self, directory: Path, generation: str) -> None:
        import faiss
        faiss.write_index(self.index, str(directory / INDEX_FILE))

    @classmethod
    def _read_vectors(cls, manifest: Manifest, directory: Path, records: ChunkRecords, lexical) -> FaissStore:
        import faiss
        try:
            index = faiss.read_index(str(directory / INDEX_FILE))
        except (OSError, RuntimeError) as exc:
            raise IndexCorruptError(f"index in {directory.parent} is unreadable ({type(exc).__name__}: {exc}); "
                                    f"{REBUILD_HINT}") from exc
        if index.ntotal != len(records) or (len(records) and index.d != manifest.dim):
            raise IndexCorruptError(f"index in {directory.parent} is inconsistent ({index.ntotal} vectors, "
                                    f"{len(records)} chunks, dim {index.d}); {REBUILD_HINT}")
        return cls(manifest, records, lexical, index)
