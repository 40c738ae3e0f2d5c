"""Follow-up questions ("那2019年呢?") made standalone from the conversation so far."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..places.gazetteer import short_name
from ..retrieval.lexical import tokenize
from ..retrieval.query import ASKING_LEAD, analyse
from ..textnorm import to_simplified

FOLLOW_UP_START = re.compile(r"^(那么?|那个|还有|另外|其中|and\b|what about|how about|and what about)", re.I)
PRONOUN = re.compile(r"^(?:那么?)?(?:这|那)(?:两|几|三)?(?:个|些)?(?:区|县|市|镇|街道|地方|城市|地区)|^(?:该|本)(?:区|县|市|镇|旗)|"
                     r"^(?:它们?|其|两地|两区|上述(?:地区|各区)?)(?=\d|[的在呢])")
FILLER = {"那", "那么", "呢", "吗", "怎么样", "情况", "如何", "呀", "啊", "同期", "what", "about", "how", "and",
          "那年", "这个", "那个", "去年", "今年"}


BARE_TAIL = re.compile(r"(?<![多少几么])(?:呢|怎么样|如何)\s*[?？]?$")
SHORT_QUESTION = 12  # characters: "增长了多少?", "排名第几?"
ONE_EACH = re.compile(r"分别|各自")
CONNECTOR = r"(?:和|与|及|、|以及|,|，|\s*and\s*|\s*,\s*)"
QUESTION_TAIL = re.compile(ASKING_LEAD + r"(?:多少|几何|几|什么)?[^\u4e00-\u9fff\w]*$")
METRIC_FREE = {"增长", "增速", "同比", "多少", "几", "了", "是", "为", "比", "上年", "增加", "下降", "排名", "第几", "占",
               "比重", "比例", "分别", "各", "年", "的", "有", "呢", "吗", "多", "少", "较", "去年", "增幅", "降幅"}



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


def is_follow_up(question: str, has_history: bool = False) -> bool:
    """Elliptical questions that lean on the previous one: "那2019年呢?", or, in a conversation, a short
    question that names no place and no year ("增长了多少?")."""
    analysis = analyse(question)
    names = {str(y) for y in analysis.years} | {short_name(p) for p in analysis.place_words} | set(analysis.place_words)
    content = [t for t in tokenize(analysis.simplified) if t not in FILLER and t not in names
               and not any(t in n or n in t for n in names)]
    if FOLLOW_UP_START.search(question.strip()) or PRONOUN.search(analysis.simplified) or not content:
        return True
    return has_history and not analysis.english and not analysis.years and not analysis.place_words \
        and len(analysis.simplified) <= SHORT_QUESTION


def rewrite_follow_up(question: str, turns: list[Turn]) -> str:
    """Carry the place, year and topic of earlier turns into an elliptical question.

    The conversation is replayed question by question (answers, refusals included, never change what was
    asked), so "那2022年呢?" after a two-year comparison asks for 2022 alone."""
    standalone = ""
    for turn in [*turns, Turn(question, "")]:
        standalone = turn.question if not standalone or not is_follow_up(turn.question, True) \
            else _merge(standalone, turn.question)
    return standalone


def _merge(previous: str, question: str) -> str:
    question = PRONOUN.sub("", to_simplified(question).strip()) or question  # "这两个区2020年呢?": the places asked before
    prev, new = analyse(previous), analyse(question)
    only_constraints = not [t for t in tokenize(new.simplified) if t not in FILLER
                            and not re.fullmatch(r"\d{4}", t) and not any(t in p.lower() for p in new.place_words)]
    if only_constraints:
        text = prev.simplified if not prev.english else prev.text
        if new.years:
            text = _with_years(text, prev, new.years)
        if new.place_words:
            text = _with_places(text, prev, new.place_words)
        if len(new.years) <= 1 and len(new.place_words) <= 1 and (new.years or new.place_words):
            text = ONE_EACH.sub("", text)
        return text
    core = FOLLOW_UP_START.sub("", question.strip()).strip()
    if new.english:
        return core
    places = "" if new.place_words else _joined(prev.place_words)
    years = "" if new.years else _joined([f"{y}年" for y in prev.years])
    subject = "" if _names_a_metric(core) else _subject(prev)
    core = BARE_TAIL.sub("是多少?", core)  # "人口呢?" asks "人口是多少?"
    return f"{places}{years}{subject}{core}"


def _span_replace(text: str, words: list[str], fresh: str) -> str | None:
    """`text` with the stretch from its first to its last of `words` (and the connectors between) replaced."""
    spots = [(m.start(), m.end()) for w in words for m in re.finditer(re.escape(w), text)]
    if not spots:
        return None
    start, end = min(a for a, _ in spots), max(b for _, b in spots)
    return text[:start] + fresh + text[end:]


def _joined(items: list[str]) -> str:
    return "和".join(items)


def _with_years(text: str, prev, years: list[int]) -> str:
    if not prev.years:
        return (f"In {', '.join(map(str, years))}, " + text) if prev.english else \
            _after_places(text, prev, _joined([f"{y}年" for y in years]))
    if prev.english:
        return _span_replace(text, [str(y) for y in prev.years], " and ".join(map(str, years))) or text
    written = [f"{y}年" for y in prev.years if f"{y}年" in text] or [str(y) for y in prev.years]
    fresh = _joined([f"{y}年" for y in years]) if written[0].endswith("年") else _joined(map(str, years))
    return _span_replace(text, written, fresh) or text


def _with_places(text: str, prev, places: list[str]) -> str:
    if not prev.place_words:
        return (" and ".join(places) + ": " + text) if prev.english else _joined(places) + text
    joiner = " and " if prev.english else "和"
    return _span_replace(text, prev.place_words, joiner.join(places)) or text


def _after_places(text: str, prev, insert: str) -> str:
    """`insert` right after the last place written in `text` (or at its start)."""
    ends = [m.end() for w in prev.place_words for m in re.finditer(re.escape(w), text)]
    at = max(ends) if ends else 0
    return text[:at] + insert + text[at:]


def _names_a_metric(core: str) -> bool:
    """Does the follow-up name what it asks about ("人口呢" does; "增长了多少" does not)?"""
    return any(t not in METRIC_FREE and not t.isdigit() for t in tokenize(to_simplified(core)))


def _subject(prev) -> str:
    """What the previous question asked about: "地区生产总值" of "海珠区2019年和2023年的地区生产总值分别是多少?"."""
    text = prev.simplified
    for word in sorted(set(prev.place_words), key=len, reverse=True):
        text = text.replace(word, "")
    text = re.sub(rf"(?:(?:19|20)\d{{2}}年?{CONNECTOR}?)+", "", text)
    text = QUESTION_TAIL.sub("", text)
    return re.sub(rf"^(?:{CONNECTOR}|的)+", "", text).strip()
