"""Citation check: every [n] points at a given passage, every number is backed by a cited passage.

Markers that point nowhere are dropped, markers are re-pointed to the passage that holds a
sentence's numbers, sentences whose numbers no passage holds are reported, and the markers
are renumbered 1..m in order of first use so the citations list has no gaps.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..retrieval.query import QueryAnalysis, analyse
from ..textnorm import to_simplified
from ..types import Citation, Passage
from .claims import check_number, describe

MARKER = re.compile(r"\s?(?:\[\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*\]|【(\d{1,3})】)")
NUMBER = re.compile(r"(?<![\d.])\d+(?:[,，]\d{3})*(?:\.\d+)?")
SENTENCE_END = "。！？!?；;\n"
TRAILING = "。！？!?；;，,、：: .\n"
WORDS = re.compile(r"[\u4e00-\u9fffA-Za-z]")
MIN_CLAIM_CHARS = 4  # a sentence this long that cites nothing is a claim without a source
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
WORDING_COVER = 0.8  # share of an uncited sentence's own wording that its passages must hold to be cited
MIN_OWN_BIGRAMS = 4  # fewer own words than this say too little to tell where they come from
LIST_NUMBER = re.compile(r"^(\s*)[(（]?\d{1,2}[)）.、](?!\d)", re.M)  # "1. " / "2、" / "(3)" opening a line


@dataclass
class CheckedText:
    """Text with verified markers, the passages in marker order, and what had to be fixed."""

    text: str
    cited: list[Passage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)  # numbers no cited sentence states for the question

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


def check_citations(text: str, passages: list[Passage], question: str = "",
                    unverified: str = "（未核实）", analysis: QueryAnalysis | None = None,
                    metric_names: list[str] | None = None, amount_asked: bool = False) -> CheckedText:
    """Verify and repair the markers of a generated answer against the numbered passages: each number
    must be stated by a sentence about the asked metric and year (claims.py), else it is labelled."""
    analysis = analysis or analyse(question)
    asked = set(numbers_in(question))
    failed: list[str] = []
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
        numbers = [n for n in numbers_in(LIST_NUMBER.sub(r"\1", body)) if n not in asked]
        years = [n for n in numbers if re.search(rf"(?<![\d.]){n}\s*年", body)]  # 2023年: a year, not a figure
        facts = [n for n in numbers if n not in years]
        for year in years:
            if not any(year in to_simplified(p.text) for p in passages):
                warnings.append(f"unsupported: no passage states {year} (in: {body.strip()[:60]})")
                failed.append(year)
                flagged = True
        chosen = list(dict.fromkeys(cited))
        if facts:
            backing = []
            for number in facts:
                own, check = check_number(number, [passages[i] for i in chosen], analysis,
                                          metric_names or [], amount_asked)
                if check.ok:
                    backing.append(chosen[own])
                    continue
                anywhere, elsewhere = check_number(number, passages, analysis, metric_names or [], amount_asked)
                if elsewhere.ok:
                    backing.append(anywhere)
                    if cited:
                        warnings.append(f"re-pointed the citation for {number} to the sentence that states it")
                    continue
                failure = check if check.sentence else elsewhere
                warnings.append(describe(failure) if failure.sentence else
                                f"unsupported: no passage states {number} (in: {body.strip()[:60]})")
                failed.append(number)
                flagged = True
                where = own if check.sentence else anywhere
                if where is not None:
                    backing.append(chosen[where] if check.sentence else where)
            chosen = list(dict.fromkeys(backing)) or chosen
        other = _other_places_figure(body, [passages[i] for i in chosen], analysis)
        if other and (facts or years):
            warnings.append(f"unverified: the sentence names {other[0]} but cites a report of {other[1]}")
            failed += [n for n in facts or years if n not in failed]
            flagged = True
        if not chosen and len(WORDS.findall(body)) >= MIN_CLAIM_CHARS:
            chosen = [] if flagged else wording_source(body, passages, analysis.simplified)
            if chosen:
                warnings.append(f"cited a sentence that cited nothing: its wording is the passage's ({body.strip()[:40]})")
            else:
                warnings.append(f"uncited: a sentence of the answer cites no passage ({body.strip()[:60]})")
                flagged = True
        out.append(_with_markers(body, chosen, order, unverified if flagged else ""))
    return CheckedText("".join(out).strip(), [passages[i] for i in order], list(dict.fromkeys(warnings)),
                       list(dict.fromkeys(failed)))


def _other_places_figure(body: str, cited: list[Passage], analysis: QueryAnalysis) -> tuple[str, str] | None:
    """(named, cited) when the sentence names one of the asked places and cites only reports of another
    asked place: 「天河区：3374家[1]」 backed by 黄埔区's report states 黄埔区's figure, not 天河区's."""
    if len(analysis.places) < 2 or not cited:
        return None
    plain = to_simplified(body)
    named = [p for p in analysis.places if p.name in plain or (len(p.alias) >= 2 and p.alias in plain)]
    if len(named) != 1:
        return None
    keys = {c.facts.place for c in cited if c.facts is not None and c.facts.place}
    asked = {p.key for p in analysis.places}
    if keys and named[0].key not in keys and keys <= asked:
        return named[0].name, "、".join(sorted(k.rsplit("/", 1)[-1] for k in keys))
    return None


def _bigrams(text: str) -> set[str]:
    return {run[i:i + 2] for run in CJK_RUN.findall(to_simplified(text)) for i in range(len(run) - 1)}


def wording_source(body: str, passages: list[Passage], question: str) -> list[int]:
    """The passages (at most two) whose text holds the sentence's own wording (its Chinese word pairs and
    numbers not taken from the question): a list of names, or the years of 「2025年基本达峰、2028年稳定达峰」,
    that the model left uncited. Empty if none does."""
    asked = set(numbers_in(question))
    numbers = {n for n in numbers_in(body) if n not in asked}
    own = (_bigrams(body) - _bigrams(question)) | numbers
    if len(own) < MIN_OWN_BIGRAMS and len(numbers) < 2:
        return []
    held = [own & (_bigrams(p.text) | set(numbers_in(p.text))) for p in passages]
    best = max(range(len(passages)), key=lambda i: len(held[i]), default=None)
    if best is None:
        return []
    chosen = [best]
    if len(held[best]) < WORDING_COVER * len(own) or not numbers <= held[best]:
        second = max((i for i in range(len(passages)) if i != best), key=lambda i: len(held[i] - held[best]),
                     default=None)
        chosen = sorted([best, second]) if second is not None else chosen
    covered = set().union(*(held[i] for i in chosen))
    return chosen if len(covered) >= WORDING_COVER * len(own) and numbers <= covered else []


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
