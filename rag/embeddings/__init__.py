"""Embedding backends behind one interface."""
from .base import Embedder
from .factory import BACKENDS, create_embedder, resolve_backend

__all__ = ["BACKENDS", "Embedder", "create_embedder", "resolve_backend"]
