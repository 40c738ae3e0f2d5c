"""One settings object, read from RAG_* (and OPENAI_*) environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMBEDDING_MODEL = "intfloat/multilingual-e5-small"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_number(name: str, default, cast=int):
    """A numeric variable, or `default` when unset; a malformed value is a ConfigError naming it."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        return cast(raw)
    except ValueError:
        from .errors import ConfigError
        raise ConfigError(f"{name}={raw!r} is not a number; unset it or give a number") from None


@dataclass(frozen=True)
class ChunkerSettings:
    """How documents are cut into chunks; stored in the index manifest."""

    size: int = 300
    overlap: int = 60
    embed_format: str = "title+t2s/v1"
    facts_version: int = 43  # how report facts are read (rag/ingest/facts.py); a change re-reads them

    def as_dict(self) -> dict:
        return {"size": self.size, "overlap": self.overlap, "embed_format": self.embed_format,
                "facts_version": self.facts_version}


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults that work offline on a fresh machine."""

    corpus_dir: Path = PROJECT_ROOT / "data" / "reports"
    index_dir: Path = PROJECT_ROOT / "vectorstore"
    embedding_backend: str = "auto"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    chunker: ChunkerSettings = field(default_factory=ChunkerSettings)
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout: float = 60.0
    llm_context: str = "clauses"  # what the LLM reads: the clauses of the selected sentences that name the
    # asked words, the whole "sentences", or whole "passages"
    llm_rewrite: bool = False  # follow-ups rewritten by the LLM instead of the (deterministic) rules
    feedback_file: Path = PROJECT_ROOT / "feedback.jsonl"
    max_question_chars: int = 2000
    max_file_bytes: int = 5 * 1024 * 1024  # per source file; larger files are refused with a message
    admin_token: str | None = None  # RAG_ADMIN_TOKEN: lets a chat upload be shared with everyone
    store: str = "faiss"  # where vectors live: faiss (files beside the records) or milvus
    milvus_uri: str = ""  # RAG_STORE=milvus: a server URI; empty for milvus-lite inside the index directory
    ann_threshold: int = 50_000  # chunks from which search is approximate (FAISS: IVF, Milvus: HNSW), not exact

    @classmethod
    def from_env(cls) -> Settings:
        base_url = _env("OPENAI_BASE_URL")
        api_key = _env("OPENAI_API_KEY")
        return cls(
            corpus_dir=Path(_env("RAG_CORPUS_DIR", str(cls.corpus_dir))),
            index_dir=Path(_env("RAG_INDEX_DIR", str(cls.index_dir))),
            embedding_backend=_env("RAG_EMBEDDING_BACKEND", "auto"),
            embedding_model=_env("RAG_EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL),
            chunker=ChunkerSettings(size=_env_number("RAG_CHUNK_SIZE", ChunkerSettings.size),
                                    overlap=_env_number("RAG_CHUNK_OVERLAP", ChunkerSettings.overlap)),
            llm_base_url=base_url,
            llm_api_key=api_key,
            llm_model=_env("RAG_LLM_MODEL"),
            llm_timeout=_env_number("RAG_LLM_TIMEOUT", 60.0, float),
            llm_context=_env("RAG_LLM_CONTEXT", "clauses"),
            llm_rewrite=_env("RAG_LLM_REWRITE", "0").lower() in ("1", "true", "yes", "on"),
            feedback_file=Path(_env("RAG_FEEDBACK_FILE", str(cls.feedback_file))),
            max_file_bytes=int(_env_number("RAG_MAX_FILE_MB", 5.0, float) * 1024 * 1024),
            admin_token=_env("RAG_ADMIN_TOKEN"),
            store=_env("RAG_STORE", "faiss"),
            milvus_uri=_env("RAG_MILVUS_URI", ""),
            ann_threshold=_env_number("RAG_ANN_THRESHOLD", _env_number("RAG_HNSW_THRESHOLD", 50_000)),  # old name
        )

    @property
    def llm_configured(self) -> bool:
        """An LLM is used when an endpoint or a key and a model name are set."""
        return bool(self.llm_model and (self.llm_base_url or self.llm_api_key))

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
