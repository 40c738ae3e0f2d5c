"""Follow-up questions ("那2019年呢?") made standalone from the conversation so far."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..places.gazetteer import short_name
from ..retrieval.lexical import tokenize
from ..retrieval.query import analyse

FOLLOW_UP_START = re.compile(r"^(那么?|那个|还有|另外|其中|and\b|what about|how about|and what about)", re.I)
FILLER = {"那", "那么", "呢", "吗", "怎么样", "情况", "如何", "呀", "啊", "同期", "what", "about", "how", "and",
          "那年", "这个", "那个", "去年", "今年"}


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


def normalise_history(history: list | None) -> list[Turn]:
    """Accept [(q, a)], Gradio/OpenAI messages [{"role", "content"}], or [{"question", "answer"}]."""
    turns: list[Turn] = []
    pending: str | None = None
    for item in history or []:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            turns.append(Turn(str(item[0] or ""), str(item[1] or "")))
        elif isinstance(item, dict) and "question" in item:
            turns.append(Turn(str(item["question"]), str(item.get("answer", ""))))
        elif isinstance(item, dict) and item.get("role") == "user":
            pending = _content(item)
        elif isinstance(item, dict) and item.get("role") == "assistant" and pending is not None:
            turns.append(Turn(pending, _content(item)))
            pending = None
    return turns


def _content(message: dict) -> str:
    content = message.get("content", "")
    if isinstance(content, list):  # multimodal message parts
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def is_follow_up(question: str) -> bool:
    """Short or elliptical questions that lean on the previous one."""
    analysis = analyse(question)
    names = {str(y) for y in analysis.years} | {short_name(p) for p in analysis.place_words} | set(analysis.place_words)
    content = [t for t in tokenize(analysis.simplified) if t not in FILLER and t not in names
               and not any(t in n or n in t for n in names)]
    return bool(FOLLOW_UP_START.search(question.strip())) or not content


def rewrite_follow_up(question: str, turns: list[Turn]) -> str:
    """Carry the place, year and topic of earlier turns into an elliptical question."""
    standalone = ""
    for turn in [*turns, Turn(question, "")]:
        standalone = turn.question if not standalone or not is_follow_up(turn.question) \
            else _merge(standalone, turn.question)
    return standalone


def _merge(previous: str, question: str) -> str:
    prev, new = analyse(previous), analyse(question)
    only_constraints = not [t for t in tokenize(new.simplified) if t not in FILLER
                            and not re.fullmatch(r"\d{4}", t) and not any(t in p for p in new.place_words)]
    if only_constraints:
        text = prev.simplified
        for old, fresh in zip(prev.years, new.years):
            text = text.replace(str(old), str(fresh))
        if new.years and not prev.years:
            text = f"{new.years[0]}年" + text
        for old, fresh in zip(prev.place_words, new.place_words):
            text = text.replace(old, fresh).replace(short_name(old), short_name(fresh))
        if new.place_words and not prev.place_words:
            text = new.place_words[0] + text
        return text
    carried = [p for p in prev.place_words if p not in new.place_words and not new.place_words]
    carried += [f"{y}年" for y in prev.years if not new.years]
    core = FOLLOW_UP_START.sub("", question.strip()).strip()
    return "".join(carried) + core
