"""Citation check: every [n] points at a given passage, every number is backed by a cited passage.

Markers that point nowhere are dropped, markers are re-pointed to the passage that holds a
sentence's numbers, sentences whose numbers no passage holds are reported, and the markers
are renumbered 1..m in order of first use so the citations list has no gaps.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..textnorm import to_simplified
from ..types import Citation, Passage

MARKER = re.compile(r"\s?(?:\[\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*\]|【(\d{1,3})】)")
NUMBER = re.compile(r"(?<![\d.])\d+(?:[,，]\d{3})*(?:\.\d+)?")
SENTENCE_END = "。！？!?；;\n"
TRAILING = "。！？!?；;，,、：: .\n"
LIST_NUMBER = re.compile(r"^(\s*)[(（]?\d{1,2}[)）.、](?!\d)", re.M)  # "1. " / "2、" / "(3)" opening a line


@dataclass
class CheckedText:
    """Text with verified markers, the passages in marker order, and what had to be fixed."""

    text: str
    cited: list[Passage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def citations(self) -> list[Citation]:
        return [Citation.from_passage(i, p) for i, p in enumerate(self.cited, start=1)]


def split_sentences(text: str) -> list[str]:
    """Sentences, each keeping its end punctuation and the markers that follow it."""
    sentences, start, i = [], 0, 0
    while i < len(text):
        ch = text[i]
        is_end = ch in SENTENCE_END or (ch == "." and (i + 1 == len(text) or text[i + 1] in " \n[")
                                        and not _is_list_number(text, i))
        if is_end:
            i += 1
            while True:  # markers right after the punctuation belong to this sentence
                match = MARKER.match(text, i)
                if not match:
                    break
                i = match.end()
            sentences.append(text[start:i])
            start = i
        else:
            i += 1
    if start < len(text):
        sentences.append(text[start:])
    return sentences


def _is_list_number(text: str, dot: int) -> bool:
    """Is the "." at `dot` the end of a list number ("1. ") at the start of a line?"""
    head = text[text.rfind("\n", 0, dot) + 1:dot].strip()
    return head.isdigit() and len(head) <= 2


def numbers_in(text: str) -> list[str]:
    return [n.replace(",", "").replace("，", "") for n in NUMBER.findall(MARKER.sub("", text))]


def _normalised(text: str) -> str:
    return to_simplified(text).replace(",", "").replace("，", "")


def _holds(passage_text: str, number: str) -> bool:
    # 8 is not stated by 8.6%, nor 2720 by 2720.16: a rounded number needs its own source
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\.?\d)", passage_text) is not None


def check_citations(text: str, passages: list[Passage], question: str = "",
                    unverified: str = "（未核实）") -> CheckedText:
    """Verify and repair the markers of a generated answer against the numbered passages."""
    normalised = [_normalised(p.text) for p in passages]
    asked = set(numbers_in(question))
    order: list[int] = []  # passage indices (0-based) in order of first citation
    warnings: list[str] = []
    out: list[str] = []
    for sentence in split_sentences(text):
        cited = []
        for match in MARKER.finditer(sentence):
            for raw in re.split(r"[,，、\s]+", (match.group(1) or match.group(2)).strip()):
                n = int(raw)
                if 1 <= n <= len(passages):
                    cited.append(n - 1)
                else:
                    warnings.append(f"removed marker [{n}]: it pointed to no passage")
        body = MARKER.sub("", sentence)
        flagged = False
        facts = [n for n in numbers_in(LIST_NUMBER.sub(r"\1", body)) if n not in asked]
        chosen = list(dict.fromkeys(cited))
        if facts:
            backing = [i for i in chosen if any(_holds(normalised[i], n) for n in facts)]
            for number in facts:
                if any(_holds(normalised[i], number) for i in backing):
                    continue
                holders = [i for i in range(len(passages)) if _holds(normalised[i], number)]
                if holders:
                    backing.append(holders[0])
                    if cited:
                        warnings.append(f"re-pointed the citation for {number} to the passage that states it")
                else:
                    warnings.append(f"unsupported: no passage states {number} (in: {body.strip()[:60]})")
                    flagged = True
            chosen = list(dict.fromkeys(backing)) or chosen
        out.append(_with_markers(body, chosen, order, unverified if flagged else ""))
    return CheckedText("".join(out).strip(), [passages[i] for i in order], list(dict.fromkeys(warnings)))


def _with_markers(body: str, chosen: list[int], order: list[int], label: str = "") -> str:
    """Put the sentence's markers (and a label for unverified numbers) before its end punctuation."""
    if not body.strip():
        return body
    if not chosen:
        stripped = body.rstrip(TRAILING)
        return stripped + label + body[len(stripped):]
    for index in chosen:
        if index not in order:
            order.append(index)
    markers = "".join(f"[{order.index(i) + 1}]" for i in chosen) + label
    stripped = body.rstrip(TRAILING)
    return stripped + markers + body[len(stripped):]
