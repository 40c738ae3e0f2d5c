"""Finding the passages that answer a question."""
from .retriever import RetrievalConfig, Retriever

__all__ = ["RetrievalConfig", "Retriever"]
