"""The offline answerer: quote the retrieved sentences that answer the question, with markers."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..ingest.places import to_simplified
from ..retrieval.fusion import place_match, years_covered
from ..retrieval.lexical import tokenize
from ..retrieval.query import QueryAnalysis
from ..types import Passage

SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
QUANTITY = re.compile(r"多少|几|多大|多高|多长|比重|比例|增速|增长|总量|规模|排名|第几|率|how many|how much|"
                      r"what percentage|what share|what was|rate|growth|ranked|total", re.I)
INJECTION = re.compile(r"忽略(以上|上述|之前|前面).{0,6}(指令|要求|提示)|ignore (all |the )?(previous|above) "
                       r"instructions|system prompt|系统提示词|你现在是|you are now", re.I)
DIGIT = re.compile(r"\d")


@dataclass
class Sentence:
    """A sentence of a retrieved passage, with its offsets in the source file."""

    passage: int
    text: str
    start: int
    end: int
    score: float = 0.0


@dataclass(frozen=True)
class ExtractiveConfig:
    """Selection and refusal thresholds (set on the eval set's unanswerable questions)."""

    min_score: float = 0.34
    keep_ratio: float = 0.8
    max_sentences: int = 3
    number_bonus: float = 0.15


def passage_sentences(passages: list[Passage]) -> list[Sentence]:
    sentences = []
    for index, passage in enumerate(passages):
        for match in SENTENCE.finditer(passage.text):
            text = match.group().strip()
            if len(text) < 6:
                continue
            offset = match.start() + (len(match.group()) - len(match.group().lstrip()))
            sentences.append(Sentence(index, text, passage.start + offset, passage.start + offset + len(text)))
    return sentences


class SentenceScorer:
    """Weighted token overlap of question and sentence (IDF weights from the corpus BM25)."""

    def __init__(self, idf: dict[str, float], config: ExtractiveConfig):
        self.idf, self.config = idf, config
        self.default_idf = max(idf.values()) if idf else 1.0

    def query_weights(self, analysis: QueryAnalysis) -> dict[str, float]:
        tokens = tokenize(" ".join([analysis.simplified, *analysis.expansions]))
        # Places and years were matched at the report level; sentences rarely repeat them.
        names = {str(y) for y in analysis.years} | {p[:-1] for p in analysis.places} | set(analysis.places)
        return {t: self.idf.get(t, self.default_idf) for t in tokens
                if t not in names and not any(t in n for n in names if len(t) >= 2)}

    def score(self, sentence: Sentence, weights: dict[str, float], wants_number: bool, rank: int) -> float:
        if not weights:
            return 0.0
        tokens = set(tokenize(to_simplified(sentence.text)))
        overlap = sum(w for t, w in weights.items() if t in tokens) / sum(weights.values())
        bonus = self.config.number_bonus if wants_number and DIGIT.search(sentence.text) else 0.0
        return overlap + bonus - 0.02 * rank


def select_sentences(analysis: QueryAnalysis, passages: list[Passage], scorer: SentenceScorer) -> list[Sentence]:
    """The best sentence for each side of the question, then close runners-up, in reading order."""
    config = scorer.config
    weights = scorer.query_weights(analysis)
    wants_number = bool(QUANTITY.search(analysis.text))
    candidates = [s for s in passage_sentences(passages) if not INJECTION.search(s.text)]
    for sentence in candidates:
        sentence.score = scorer.score(sentence, weights, wants_number, sentence.passage)
    candidates.sort(key=lambda s: -s.score)
    if not candidates or candidates[0].score < config.min_score:
        return []
    chosen: list[Sentence] = []
    for side in analysis.sides() if analysis.is_comparison else [analysis]:
        for sentence in candidates:
            if _on_side(passages[sentence.passage], side) and sentence not in chosen:
                if sentence.score >= config.min_score * 0.8:
                    chosen.append(sentence)
                break
    best = candidates[0].score
    for sentence in candidates:
        if len(chosen) >= config.max_sentences:
            break
        if sentence not in chosen and sentence.score >= best * config.keep_ratio:
            chosen.append(sentence)
    return sorted(chosen, key=lambda s: (s.passage, s.start))


def _on_side(passage: Passage, side: QueryAnalysis) -> bool:
    """Does this passage's report belong to this side of a comparison (its place and year)?"""
    report = _Report(passage.title, passage.metadata.get("place"), passage.metadata.get("year"))
    if side.places and report.place and place_match(report, side.places) < 0.7:
        return False
    covered = years_covered(report)
    return not (side.years and covered and not covered & set(side.years))


@dataclass(frozen=True)
class _Report:
    title: str
    place: str | None
    year: int | None
