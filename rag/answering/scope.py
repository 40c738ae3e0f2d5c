"""Is a question about a place and year the corpus covers at all? Honest refusals that say what is held."""
from __future__ import annotations

from dataclasses import replace

from ..retrieval.corpus_places import CorpusPlaces
from ..retrieval.query import QueryAnalysis
from .extractive import asks_outcome

MAX_NAMED = 4


def _label(place) -> str:
    return place.label


def _labels(places) -> str:
    """"广州市海珠区、深圳市龙岗区": the first few places, as readers know them."""
    return "、".join(_label(p) for p in places[:MAX_NAMED])


def narrow_namesakes(analysis: QueryAnalysis, corpus: CorpusPlaces) -> QueryAnalysis:
    """Of same-name places, keep those whose reports cover the asked years (when at least one does), with results
    for a question about results (a 2021 report of one 西湖区 plans 2022; the other's reviews it)."""
    asked = analysis.asked_years
    if not asked or not analysis.ambiguous:
        return analysis
    places = list(analysis.places)
    ambiguous = []
    for word, group in analysis.ambiguous:
        covering = [p for p in group if corpus.covers(p, asked) is not False
                    and not (asks_outcome(analysis) and corpus.covers_outcomes(p, asked) is False)]
        if covering and len(covering) < len(group):
            places = [p for p in places if p not in group or p in covering]
        ambiguous.append((word, group))
    spots = [(start, p) for start, p in analysis.place_spots if p in places]
    return replace(analysis, places=places, ambiguous=ambiguous, place_spots=spots)


def out_of_scope(analysis: QueryAnalysis, corpus: CorpusPlaces, english: bool) -> str | None:
    """Why no indexed report can answer this (a place or year no report covers), or None."""
    if analysis.unknown_names and not analysis.places:
        names = "、".join(f"“{name}”" for name in analysis.unknown_names[:MAX_NAMED])
        return (f"No place called {names} is known by that spelling; ask with its Chinese name, as the "
                f"reports write it." if english
                else f"无法识别地名{names}；请用中文地名提问。")
    if analysis.missing and not analysis.places:
        names = _labels(analysis.missing)
        return (f"No indexed report is about {names}." if english
                else f"已收录的报告中没有关于{names}的报告。")
    for place in analysis.places:
        held = corpus.held_years(place)
        held_text = "、".join(str(y) for y in held) or "?"
        reports = corpus.reports_about(place)
        undated = any(r.year is None for r in reports)
        called = {y for r in reports for y in r.session_years}
        if analysis.report_years and not undated and not called & set(analysis.report_years):
            wanted = "、".join(str(y) for y in analysis.report_years)
            return (f"The corpus holds no {wanted} report for {_label(place)} (it has: {held_text})." if english
                    else f"已收录的{_label(place)}报告为{held_text}年，没有{wanted}年的报告。")
        asked = analysis.asked_years
        if asked and corpus.covers(place, asked) is False:
            years = "、".join(str(y) for y in analysis.years) or "、".join(
                f"{span.start}–{span.stop - 1}" for span in analysis.periods)
            return (f"The reports for {_label(place)} are from {held_text} and do not cover {years}." if english
                    else f"已收录的{_label(place)}报告为{held_text}年，不涉及{years}年。")
        if asked and asks_outcome(analysis) and corpus.covers_outcomes(place, asked) is False:
            planned = corpus.planned_in(place, asked)
            if planned:
                plan = planned[0].plan_year
                return (f"The {plan} report for {_label(place)} reviews {plan - 1}; for {plan} it gives targets "
                        f"only, not results." if english
                        else f"已收录的{_label(place)}{plan}年报告回顾的是{plan - 1}年，对{plan}年只有预期目标，"
                             f"没有实际完成数。")
    return None


def missing_note(analysis: QueryAnalysis, english: bool) -> str | None:
    """A compared place that no indexed report is about: said, not silently left out."""
    if not analysis.missing or not analysis.places:
        return None
    names = _labels(analysis.missing)
    return (f"No indexed report is about {names}; only the other places are answered." if english
            else f"已收录的报告中没有关于{names}的报告，以下只回答其他地方。")


def ambiguity_note(analysis: QueryAnalysis, english: bool) -> str | None:
    """Say so when a name fits several places of the corpus (each is then answered on its own), an English
    name was read as the held place it sounds like, or a bare name also names a larger place not held."""
    parts = [f"“{name}” is not a pinyin name; read as {place.label}, the held place it sounds like." if english
             else f"“{name}”不是拼音地名，按读音相近的已收录地方{place.label}作答。" for name, place in analysis.sounded]
    for word, place, larger in analysis.also_named:
        if place in analysis.places:
            others = _labels(larger)
            parts.append(f"“{word}” is read as {place.label}; it also names {others}, of which no report is "
                         f"indexed." if english
                         else f"“{word}”按已收录的{place.label}作答；{others}也叫此名，但没有收录其报告。")
    for word, places in analysis.ambiguous:
        labels = "、".join(p.label for p in places)
        kept = [p for p in places if p in analysis.places]
        if len(kept) == 1:
            parts.append(f"“{word}” may mean {labels}; only {kept[0].label}'s reports cover the asked year, "
                         f"so this answer is about {kept[0].label}." if english
                         else f"“{word}”对应已收录的多个地方（{labels}），只有{kept[0].label}的报告涉及所问年份，"
                              f"以下按{kept[0].label}作答。")
        else:
            parts.append(f"“{word}” may mean {labels}; each is answered separately." if english
                         else f"“{word}”对应已收录的多个地方（{labels}），以下分别作答。")
    return " ".join(parts) or None
