"""Report vocabulary: English terms and Chinese abbreviations → the wording the reports use.

The vocabulary is data (glossary.toml). Used to expand queries for BM25 (which cannot match 'GDP'
to 地区生产总值) and to give the multilingual embedder Chinese anchor words for English questions.
"""
from __future__ import annotations

import re
import tomllib
from importlib import resources

_DATA = tomllib.loads(resources.files(__package__).joinpath("glossary.toml").read_text(encoding="utf-8"))
ENGLISH_TERMS: dict[str, str] = _DATA["english"]  # matched case-insensitively on word edges, longest first
CHINESE_SYNONYMS: dict[str, str] = _DATA["chinese"]
_ENGLISH = sorted(ENGLISH_TERMS, key=len, reverse=True)
_ENGLISH_RE = re.compile(r"(?<![a-z])(" + "|".join(re.escape(t) for t in _ENGLISH) + r")(?![a-z])")


LATIN_ABBREVIATIONS: dict[str, str] = {short: full.split()[0] for short, full in CHINESE_SYNONYMS.items()
                                       if short.isascii()}  # "gdp" → 地区生产总值, as the reports write it


def english_terms(question: str) -> list[str]:
    """The English glossary terms `question` holds, in order (lower case)."""
    return [m.group(1) for m in _ENGLISH_RE.finditer(question.lower())]


def english_concepts(question: str) -> list[list[str]]:
    """For each English term in `question`, the report wordings that can stand for it (any one suffices)."""
    return [ENGLISH_TERMS[term].split() for term in english_terms(question)]


def chinese_concepts(question: str) -> list[list[str]]:
    """For each abbreviation or colloquial name in `question`, itself and its report wordings (any one suffices:
    荣誉称号 is also written 荣获 or 获评)."""
    lower = question.lower()
    return [[short, *CHINESE_SYNONYMS[short].split()] for short in CHINESE_SYNONYMS if short in lower]


def expansion_terms(question: str) -> list[str]:
    """Chinese report wording for the English terms and abbreviations in `question`."""
    lower = question.lower()
    terms: list[str] = []
    for term in english_terms(question):
        for word in ENGLISH_TERMS[term].split():
            if word not in terms:
                terms.append(word)
    for short, full in CHINESE_SYNONYMS.items():
        if short in lower:
            for word in full.split():
                if word not in terms and word not in question:
                    terms.append(word)
    return terms
