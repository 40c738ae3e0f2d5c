"""Is a question about a place or year the corpus covers at all? Cheap, honest refusals."""
from __future__ import annotations

from ..retrieval.fusion import place_match, years_covered
from ..retrieval.query import QueryAnalysis
from ..types import Chunk


def out_of_scope(analysis: QueryAnalysis, chunks: list[Chunk], english: bool) -> str | None:
    """Why no report can answer this (a place or year no indexed document covers), or None."""
    documents = {(c.source, c.doc_start): c for c in chunks}.values()
    for place in analysis.places:
        matching = [d for d in documents if place_match(d, [place]) >= 0.7]
        if not matching and not any(d.place is None for d in documents):
            return (f"The indexed reports do not cover {place}." if english
                    else f"已收录的报告中没有关于{place}的内容。")
        if analysis.report_years and matching and not any(d.year in analysis.report_years for d in matching):
            held = "、".join(sorted({str(d.year) for d in matching if d.year}))
            wanted = "、".join(str(y) for y in analysis.report_years)
            return (f"The corpus holds no {wanted} report for {place} (it has: {held})." if english
                    else f"已收录的{place}报告为{held}年，没有{wanted}年的报告。")
        if analysis.years and matching:
            asked = set(analysis.years)
            open_ended = [d for d in matching if not years_covered(d)]
            if not open_ended and not any(years_covered(d, wide=True) & asked for d in matching):
                years = "、".join(str(y) for y in analysis.years)
                held = "、".join(sorted({str(d.year) for d in matching if d.year}))
                return (f"The reports for {place} cover {held}, not {years}." if english
                        else f"已收录的{place}报告为{held}年，不涉及{years}年。")
    return None
