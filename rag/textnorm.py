"""Script conversion shared by ingest, retrieval and answering."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _t2s():
    import opencc
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (same length for the characters that matter here)."""
    return _t2s().convert(text) if text else text
