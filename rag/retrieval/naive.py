"""The LangChain-tutorial baseline: 500-character chunks of whole files, e5 vectors, FAISS top-k.

Kept only to measure what the hybrid retriever gains, in the same run, on the same questions.
"""
from __future__ import annotations

import logging

import numpy as np

from ..config import Settings
from ..corpus import scan, stored_path
from ..embeddings import create_embedder, resolve_backend
from ..errors import IndexMissingError, IndexOutdatedError, LoadError
from ..ingest.loaders import load_source
from ..store import FileEntry, Manifest, VectorStore
from ..store.legacy import read_legacy
from ..types import Chunk, Passage, ReportFacts
from .query import check_question

log = logging.getLogger(__name__)
NAIVE_CHUNKER = {"size": 500, "overlap": 50, "embed_format": "naive/raw"}


class NaiveRetriever:
    """Dense-only top-k over plain 500/50 character chunks; no titles, no metadata, no BM25."""

    def __init__(self, store: VectorStore, settings: Settings):
        self.store, self.settings = store, settings
        self.embedder = create_embedder(store.manifest.embedding_backend, store.manifest.embedding_model)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> NaiveRetriever:
        settings = settings or Settings.from_env()
        directory = settings.index_dir / "baselines" / "naive"
        backend = resolve_backend(settings.embedding_backend, settings.embedding_model)
        try:
            store = VectorStore.load(directory)
            if store.manifest.mismatch(backend, settings.embedding_model, NAIVE_CHUNKER) is None and \
                    {n: e.sha256 for n, e in store.manifest.files.items()} == \
                    {f.name: f.sha256 for f in scan([settings.corpus_dir])}:
                return cls(store, settings)
        except (IndexMissingError, IndexOutdatedError):
            pass
        log.warning("building the naive baseline index in %s", directory)
        return cls(build_naive(settings, backend, directory), settings)

    def retrieve(self, question: str, *, k: int = 5) -> list[Passage]:
        question = check_question(question, k, self.settings.max_question_chars)
        ids, scores = self.store.search(self.embedder.embed_query(question), k)
        return [Passage.from_chunk(chunk, float(score)) for chunk, score in zip(self.store.chunks.get_many(ids), scores)]


def build_naive(settings: Settings, backend: str, directory) -> VectorStore:
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    chunks, files = [], {}
    for source in scan([settings.corpus_dir]):
        try:
            text = load_source(source.path).text
        except LoadError as exc:
            log.warning("skipped %s", exc)
            continue
        cursor = 0
        for piece in splitter.split_text(text):
            start = text.find(piece, cursor)
            cursor = start + 1
            chunks.append(Chunk(source.name, start, start + len(piece), piece, ReportFacts(title=source.name)))
        files[source.name] = FileEntry(stored_path(source.path, settings.corpus_dir), source.sha256,
                                       source.size, 1, sum(c.source == source.name for c in chunks))
    embedder = create_embedder(backend, settings.embedding_model)
    legacy = read_legacy(directory)  # an older format's vectors of the same texts are reused
    known = {c.text: v for c, v in zip(legacy.chunks, legacy.vectors())} if legacy and \
        (legacy.manifest.embedding_backend, legacy.manifest.embedding_model) == (backend, settings.embedding_model) else {}
    todo = [i for i, c in enumerate(chunks) if c.text not in known]
    vectors = np.zeros((len(chunks), embedder.dim), dtype="float32")
    for i, chunk in enumerate(chunks):
        if chunk.text in known:
            vectors[i] = known[chunk.text]
    if todo:
        vectors[todo] = embedder.embed_passages([chunks[i].text for i in todo])
    manifest = Manifest(backend, settings.embedding_model, embedder.dim, NAIVE_CHUNKER, files)
    store = VectorStore.create(manifest, chunks, vectors)
    store.save(directory)
    return store
