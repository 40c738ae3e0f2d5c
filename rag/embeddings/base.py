"""The embedder interface: one abstract method, conveniences built on it."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

import numpy as np

Kind = Literal["query", "passage"]


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    backend: str = "base"
    cache_size: int = 8192  # recent query and sentence vectors kept (questions repeat; sentences recur across them)

    def __init__(self, model: str):
        self.model = model
        self._lock = threading.Lock()  # the engines are not re-entrant
        self._recent: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    @abstractmethod
    def embed_batch(self, texts: list[str], kind: Kind) -> np.ndarray:
        """Embed `texts` (as queries or passages); returns shape (len(texts), dim)."""

    @property
    def dim(self) -> int:
        return int(self.embed_batch(["dim"], "query").shape[1])

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_recent([text], "query")[0]

    def forget(self) -> None:
        """Drop the recently embedded vectors (a benchmark times each question as if first asked)."""
        with self._lock:
            self._recent.clear()

    def embed_recent(self, texts: list[str], kind: Kind) -> np.ndarray:
        """Like embed_batch, thread-safe, reusing the vectors of recently embedded texts."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self._recent]
            if missing:
                for text, vector in zip(missing, self.embed_batch(missing, kind)):
                    self._recent[(kind, text)] = vector
            rows = []
            for text in texts:
                self._recent.move_to_end((kind, text))
                rows.append(self._recent[(kind, text)])
            while len(self._recent) > self.cache_size:
                self._recent.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, self.dim), dtype="float32")

    def embed_passages(self, texts: list[str], batch_size: int = 32,
                       on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed passages in batches of similar length (less padding), calling `on_batch(n)` for progress."""
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dim), dtype="float32")
        for i in range(0, len(order), batch_size):
            batch = order[i:i + batch_size]
            vectors[batch] = self.embed_batch([texts[j] for j in batch], "passage")
            if on_batch:
                on_batch(len(batch))
        return vectors
