"""Report text placed in a prompt as data: nothing in it can pass for a separator, a marker or a new line.

Each request fences its passages with a random tag the report cannot know, every passage is one line,
and lookalikes of the prompt's own markup ([2], 【2】, <资料-…>) are turned into full-width characters.
"""
from __future__ import annotations

import re
import secrets

from ..textnorm import to_simplified

MARKER_LIKE = re.compile(r"\[(\s*\d{1,3}\s*)\]|【(\s*\d{1,3}\s*)】")
FENCE_LIKE = re.compile(r"<\s*/?\s*资料")
LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def fence_tag() -> str:
    """A fresh per-request tag for the <资料-…> fence."""
    return secrets.token_hex(4)


def as_data(text: str) -> str:
    """`text` on one line, with marker and fence lookalikes made inert (［2］, ＜资料)."""
    text = LINE_BREAKS.sub(" ", text)
    text = MARKER_LIKE.sub(lambda m: f"［{(m.group(1) or m.group(2)).strip()}］", text)
    return FENCE_LIKE.sub(lambda m: m.group().replace("<", "＜"), text)


LONG_TITLE = 24  # characters: a longer title is named by its facts in a prompt (fewer tokens, same meaning)


def prompt_text(text: str) -> str:
    """Report text as a model reads it: simplified script (fewer tokens, one script to answer in), as data."""
    return as_data(to_simplified(text))


def prompt_title(title: str, facts) -> str:
    """A report's title for a prompt: as written, or "广州市增城区2021年五年规划" from its facts when long."""
    from ..ingest.documents import derived_title
    short = derived_title(facts) if facts is not None and len(title) > LONG_TITLE else None
    return prompt_text(short or title)


PROMPT_LIKE = re.compile(r"(?:\[\s*\d{1,3}\s*\]|【\s*\d{1,3}\s*】)\s*《|<\s*/?\s*资料|"
                         r"^\s*(?:问题|用户|助手|系统|question|user|assistant|system)\s*[:：]", re.I | re.M)


def imitates_prompt(text: str) -> bool:
    """Report text dressed as this assistant's own prompt: a numbered source line ([2]《…》), a data
    fence, or a question/role line. It is never quoted as evidence."""
    return bool(PROMPT_LIKE.search(text))
