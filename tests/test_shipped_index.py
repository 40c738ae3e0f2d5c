"""The index committed in vectorstore/ matches the committed corpus: hashes, offsets, settings."""
from __future__ import annotations

from rag.config import PROJECT_ROOT, Settings
from rag.corpus import file_sha256
from rag.embeddings import resolve_backend
from rag.ingest.loaders import load_source
from rag.store import VectorStore

INDEX = PROJECT_ROOT / "vectorstore"
CORPUS = PROJECT_ROOT / "data" / "reports"


def test_manifest_matches_corpus_and_default_settings():
    store = VectorStore.load(INDEX)
    manifest = store.manifest
    assert {name: entry.sha256 for name, entry in manifest.files.items()} == \
        {p.name: file_sha256(p) for p in CORPUS.iterdir()}
    defaults = Settings()
    assert manifest.mismatch(resolve_backend(defaults.embedding_backend, defaults.embedding_model),
                             defaults.embedding_model, defaults.chunker.as_dict()) is None
    assert sum(e.documents for e in manifest.files.values()) == 14
    assert store.index.ntotal == len(store.chunks) == sum(e.chunks for e in manifest.files.values())


def test_every_stored_chunk_is_exact():
    store = VectorStore.load(INDEX)
    texts = {name: load_source(CORPUS / name).text for name in store.manifest.files}
    for chunk in store.chunks:
        assert texts[chunk.source][chunk.start:chunk.end] == chunk.text, (chunk.source, chunk.start)
