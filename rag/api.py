"""The public functions behind `rag.retrieve`, `rag.answer`, `rag.evaluate`, `rag.read_source`."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from .config import Settings
from .errors import RagError
from .types import Answer, Passage, Scope

log = logging.getLogger(__name__)
_lock = threading.Lock()
_default = {}


def default_retriever():
    """The process-wide retriever over $RAG_INDEX_DIR, loaded on first use and again whenever
    `rag index` has switched the index to a newer generation."""
    from .retrieval import Retriever
    settings = Settings.from_env()
    key = (str(settings.index_dir), str(settings.corpus_dir))
    stamp = _manifest_stamp(settings.index_dir)
    with _lock:
        if key not in _default or _default[key][0] != stamp:
            try:
                retriever = Retriever.from_settings(settings)
            except RagError as exc:
                if key not in _default:
                    raise
                # the new generation cannot be read (its store does not answer, say): keep answering
                log.warning("%s; still answering from the index loaded before", exc)
                _default[key] = (stamp, _default[key][1])
                return _default[key][1]
            _default.clear()
            _default[key] = (stamp, retriever)
            _read_cached.cache_clear()
        return _default[key][1]


def _manifest_stamp(index_dir: Path) -> tuple[int, int] | None:
    from .store import MANIFEST
    try:
        stat = (index_dir / MANIFEST).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def reload_index() -> None:
    """Forget the loaded index so the next call sees a freshly built one."""
    with _lock:
        _default.clear()
    _read_cached.cache_clear()


def retrieve(question: str, *, k: int = 5, scope: Scope | None = None) -> list[Passage]:
    """The k passages of the reports most relevant to `question`.

    Args: question in Chinese (simplified or traditional) or English; k from 1 to 100;
    scope limits the reports searched (source files, places, years).
    Returns: passages with `source`, `title`, `text`, exact `start`/`end` offsets, `page`, `score`.
    Raises: QuestionError (ValueError) for an empty question or a bad k.
    """
    return default_retriever().retrieve(question, k=k, scope=scope)


def answer(question: str, *, k: int = 5, history: list | None = None, stream: bool = False,
           mode: str = "auto", scope: Scope | None = None) -> Answer | Iterator[str | Answer]:
    """Answer from the reports with numbered citations.

    Args: question; k passages to read; history of earlier (question, answer) turns for follow-ups;
    stream=True yields text pieces and then the final Answer; mode "auto" | "llm" | "extractive";
    scope limits the reports answered from (and what a refusal says the corpus holds).
    Returns: an Answer (text with [n] markers, citations, refused, mode, warnings).
    """
    from .answering import Answerer
    from .retrieval.query import check_question
    question = check_question(question, k)  # fail fast, before loading the index
    answerer = Answerer(default_retriever(), Settings.from_env())
    if stream:
        return answerer.stream(question, k=k, history=history, mode=mode, scope=scope)
    return answerer.answer(question, k=k, history=history, mode=mode, scope=scope)


def evaluate(path: str | Path, **options) -> dict:
    """Run a JSONL question set and return the report dict (see `rag eval -h` for the options)."""
    from .evaluation import evaluate as run
    return run(path, **options)


def read_source(name: str) -> str:
    """The original text of an indexed source file, as citation offsets see it."""
    from .corpus import indexed_path
    files = default_retriever().store.manifest.files
    path = indexed_path(files, name, Settings.from_env().corpus_dir)
    return _read_cached(str(path), files[name].sha256)


@lru_cache(maxsize=64)
def _read_cached(path: str, sha256: str) -> str:
    from .ingest.loaders import load_source
    return load_source(Path(path)).text
