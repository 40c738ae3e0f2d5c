"""rag: question answering over Chinese government work reports, every claim cited.

    >>> import rag
    >>> rag.retrieve("海珠区2023年地区生产总值是多少?", k=3)[0].title
    '海珠区2024年政府工作报告'
"""
from .api import answer, evaluate, read_source, reload_index, retrieve
from .config import Settings
from .errors import RagError
from .types import Answer, Chunk, Citation, Document, Passage, Scope


def __getattr__(name: str):
    if name == "Retriever":
        from .retrieval import Retriever
        return Retriever
    if name == "RetrievalConfig":
        from .retrieval import RetrievalConfig
        return RetrievalConfig
    raise AttributeError(name)


__all__ = ["Answer", "Chunk", "Citation", "Document", "Passage", "RagError", "RetrievalConfig", "Retriever",
           "Scope", "Settings", "answer", "evaluate", "read_source", "reload_index", "retrieve"]
