"""Citation checking on crafted model outputs and hand-made passages (no index, no model)."""
from __future__ import annotations

import re

from rag.answering.citations import check_citations, numbers_in, split_sentences
from rag.types import Citation, Passage, ReportFacts

GDP = "2023年全区实现地区生产总值2720.16亿元、同比增长8.6%,增速全市第一。"
BUDGET = "地方一般公共预算收入完成68.5亿元,增长3.1%。"
PARKS = "新建口袋公园12个,改造老旧小区40个。"


def make(text: str, source: str = "a.txt", start: int = 0, title: str = "海珠区2024年政府工作报告",
         years: tuple[int, ...] = (2023,)) -> Passage:
    facts = ReportFacts(title=title, place="广东省/广州市/海珠区", level="county", year=2024,
                        kind="work_report", years=(2023, 2024))
    return Passage(source=source, title=title, text=text, start=start, end=start + len(text),
                   facts=facts, years=years)


P_GDP = make(GDP, "a.txt", 100)
P_BUDGET = make(BUDGET, "b.txt", 200, "海珠区2020年政府工作报告")
P_PARKS = make(PARKS, "c.txt", 300, "荔湾区2021年政府工作报告")

MARKERS = re.compile(r"\[(\d+)\]")


def markers(text: str) -> list[int]:
    return [int(n) for n in MARKERS.findall(text)]


def assert_consistent(checked) -> None:
    """Markers in the text are exactly 1..m, numbered in order of first use, one citation each."""
    used = list(dict.fromkeys(markers(checked.text)))
    assert used == list(range(1, len(used) + 1))
    citations = checked.citations()
    assert [c.marker for c in citations] == used
    for citation, passage in zip(citations, checked.cited):
        assert isinstance(citation, Citation)
        assert (citation.source, citation.start, citation.end, citation.text) == \
            (passage.source, passage.start, passage.end, passage.text)
        assert citation.facts is passage.facts and citation.title == passage.title


def test_correct_answer_is_left_alone():
    checked = check_citations("海珠区2023年地区生产总值为2720.16亿元[1]。", [P_GDP, P_BUDGET])
    assert checked.text == "海珠区2023年地区生产总值为2720.16亿元[1]。"
    assert checked.warnings == []
    assert checked.cited == [P_GDP]
    assert_consistent(checked)


def test_marker_pointing_nowhere_is_removed_and_warned():
    checked = check_citations("海珠区经济运行稳中向好[9]。", [P_GDP, P_BUDGET])
    assert "[9]" not in checked.text
    assert markers(checked.text) == []
    assert checked.text == "海珠区经济运行稳中向好（未核实）。"  # its only marker pointed nowhere: it cites nothing
    assert checked.cited == []
    assert any("[9]" in w and "no passage" in w for w in checked.warnings)
    assert any(w.startswith("uncited:") for w in checked.warnings)


def test_marker_pointing_nowhere_next_to_a_good_one():
    checked = check_citations("地区生产总值为2720.16亿元[1][9]。", [P_GDP, P_BUDGET])
    assert checked.text == "地区生产总值为2720.16亿元[1]。"
    assert [w for w in checked.warnings if "[9]" in w]
    assert_consistent(checked)


def test_zero_marker_is_removed():
    checked = check_citations("地区生产总值为2720.16亿元[0]。", [P_GDP])
    assert "[0]" not in checked.text
    assert any("[0]" in w for w in checked.warnings)
    # the number is still backed: the passage that states it gets the marker
    assert checked.text == "地区生产总值为2720.16亿元[1]。"
    assert checked.cited == [P_GDP]


def test_number_cited_to_the_wrong_passage_is_repointed():
    checked = check_citations("一般公共预算收入68.5亿元[1]。", [P_GDP, P_BUDGET])
    assert checked.text == "一般公共预算收入68.5亿元[1]。"  # renumbered: the budget passage is now [1]
    assert checked.cited == [P_BUDGET]
    assert any("re-pointed" in w and "68.5" in w for w in checked.warnings)
    assert_consistent(checked)


def test_uncited_number_gets_the_passage_that_states_it_without_a_repoint_warning():
    checked = check_citations("新建口袋公园12个。", [P_GDP, P_PARKS])
    assert checked.text == "新建口袋公园12个[1]。"
    assert checked.cited == [P_PARKS]
    assert not any("re-pointed" in w for w in checked.warnings)


def test_number_no_passage_states_is_flagged():
    checked = check_citations("地区生产总值为2720.16亿元[1]。另有数据为999亿元[1]。", [P_GDP, P_BUDGET])
    unsupported = [w for w in checked.warnings if "999" in w]
    assert unsupported and "unsupported" in unsupported[0]
    assert not any("2720.16" in w for w in checked.warnings)
    assert_consistent(checked)


def test_markers_renumbered_in_order_of_first_use():
    text = "新建口袋公园12个[3]。预算收入68.5亿元[2]。地区生产总值2720.16亿元[1]。公园数量为12个[3]。"
    checked = check_citations(text, [P_GDP, P_BUDGET, P_PARKS])
    assert checked.text == "新建口袋公园12个[1]。预算收入68.5亿元[2]。地区生产总值2720.16亿元[3]。公园数量为12个[1]。"
    assert checked.cited == [P_PARKS, P_BUDGET, P_GDP]
    assert [c.source for c in checked.citations()] == ["c.txt", "b.txt", "a.txt"]
    assert checked.warnings == []
    assert_consistent(checked)


def test_unused_passages_leave_no_gap():
    checked = check_citations("新建口袋公园12个[3]。", [P_GDP, P_BUDGET, P_PARKS])
    assert checked.text == "新建口袋公园12个[1]。"
    assert [c.marker for c in checked.citations()] == [1]
    assert checked.citations()[0].source == "c.txt"


def test_thousands_separator_in_the_answer_matches_plain_digits():
    checked = check_citations("地区生产总值为2,720.16亿元[1]。", [P_GDP])
    assert checked.warnings == []
    assert checked.cited == [P_GDP]
    assert numbers_in("2,720.16亿元") == ["2720.16"]
    assert numbers_in("2，720.16亿元") == ["2720.16"]


def test_thousands_separator_in_the_passage_matches_plain_digits():
    passage = make("全年实现地区生产总值2,720.16亿元。")
    checked = check_citations("地区生产总值为2720.16亿元[1]。", [passage])
    assert checked.warnings == []
    assert checked.cited == [passage]


def test_partial_number_is_not_support():
    """272 is not stated by a passage that says 2720.16, nor 20.16."""
    checked = check_citations("地区生产总值为272亿元[1]。增长20.16%[1]。", [P_GDP])
    assert any("272" in w and "unsupported" in w for w in checked.warnings)
    assert any("20.16" in w and "unsupported" in w for w in checked.warnings)


def test_numbers_from_the_question_need_no_support():
    passage = make("全区实现地区生产总值2720.16亿元。")  # says nothing of 2023
    answer = "2023年海珠区地区生产总值为2720.16亿元[1]。"
    asked = check_citations(answer, [passage], "海珠区2023年地区生产总值是多少?")
    assert asked.warnings == []
    assert asked.text == answer
    unasked = check_citations(answer, [passage], "")
    assert any("2023" in w and "unsupported" in w for w in unasked.warnings)


def test_comma_list_marker_form():
    checked = check_citations("地区生产总值2720.16亿元，预算收入68.5亿元[1,2]。", [P_GDP, P_BUDGET])
    assert checked.text == "地区生产总值2720.16亿元，预算收入68.5亿元[1][2]。"
    assert checked.cited == [P_GDP, P_BUDGET]
    assert checked.warnings == []


def test_chinese_comma_list_and_spaces_in_marker():
    checked = check_citations("地区生产总值2720.16亿元，预算收入68.5亿元[ 2， 1 ]。", [P_GDP, P_BUDGET])
    assert set(markers(checked.text)) == {1, 2}
    assert checked.warnings == []
    assert_consistent(checked)


def test_fullwidth_bracket_marker_form():
    checked = check_citations("预算收入68.5亿元【2】。", [P_GDP, P_BUDGET])
    assert checked.text == "预算收入68.5亿元[1]。"
    assert "【" not in checked.text
    assert checked.cited == [P_BUDGET]
    assert checked.warnings == []


def test_marker_before_the_full_stop_and_after_it():
    before = check_citations("预算收入68.5亿元[2]。", [P_GDP, P_BUDGET])
    after = check_citations("预算收入68.5亿元。[2]", [P_GDP, P_BUDGET])
    assert before.text == after.text == "预算收入68.5亿元[1]。"


def test_english_decimals_are_not_sentence_ends():
    text = "Haizhu's GDP was 2720.16 billion yuan [1]. Budget revenue was 68.5 billion yuan [2]."
    sentences = split_sentences(text)
    assert len(sentences) == 2
    assert "2720.16 billion yuan [1]." in sentences[0]
    assert "68.5 billion yuan [2]." in sentences[1]
    checked = check_citations(text, [P_GDP, P_BUDGET], "What was Haizhu District's GDP in 2023?")
    assert checked.warnings == []
    assert "2720.16" in checked.text and "68.5" in checked.text
    assert markers(checked.text) == [1, 2]
    assert checked.cited == [P_GDP, P_BUDGET]


def test_english_decimal_wrong_marker_is_repointed():
    text = "GDP reached 2720.16 billion yuan [2]."
    checked = check_citations(text, [P_GDP, P_BUDGET])
    assert checked.cited == [P_GDP]
    assert "2720.16" in checked.text and markers(checked.text) == [1]
    assert any("re-pointed" in w for w in checked.warnings)
    assert not any("unsupported" in w for w in checked.warnings)


def test_traditional_script_passage_supports_the_number():
    passage = make("到2025年,力爭地區生產總值突破1500億元。", title="增城區十四五規劃")
    checked = check_citations("增城区计划2025年地区生产总值突破1500亿元[1]。", [passage])
    assert checked.warnings == []
    assert checked.cited == [passage]


def test_no_passages_drops_every_marker():
    checked = check_citations("地区生产总值为2720.16亿元[1]。", [])
    assert markers(checked.text) == []
    assert checked.citations() == []
    assert any("[1]" in w for w in checked.warnings)
    assert any("2720.16" in w for w in checked.warnings)


def test_duplicate_warnings_are_collapsed():
    checked = check_citations("甲[9]。乙[9]。", [P_GDP])
    assert checked.warnings.count("removed marker [9]: it pointed to no passage") == 1


def test_rounded_number_is_not_supported_by_the_precise_one():
    """A model that rounds 8.6% to 8% or 2720.16 to 2720 must be flagged (rule 3 of the system prompt)."""
    rounded = check_citations("同比增长8%[1]。地区生产总值约2720亿元[1]。", [P_GDP])
    assert any("unsupported" in w and "states 8 " in w for w in rounded.warnings)
    assert any("unsupported" in w and "2720 " in w for w in rounded.warnings)
    exact = check_citations("同比增长8.6%[1]。", [P_GDP])
    assert exact.warnings == []


def test_number_at_the_end_of_an_english_sentence_is_supported():
    passage = make("The district's output reached 2720.16. Growth was 8.6%.")
    checked = check_citations("Output reached 2720.16 [1].", [passage])
    assert checked.warnings == []


def test_numbered_list_items_are_not_facts_or_sentences():
    text = "1. 地区生产总值2720.16亿元[1]\n2. 预算收入68.5亿元[2]"
    passages = [P_GDP, make(BUDGET + "排名第1。", "b.txt", 200)]
    checked = check_citations(text, passages)
    assert checked.text == text
    assert checked.warnings == []
    assert [p.source for p in checked.cited] == ["a.txt", "b.txt"]
    ideographic = check_citations("1、地区生产总值2720.16亿元[1]\n2、预算收入68.5亿元[2]", passages)
    assert ideographic.warnings == []
    assert markers(ideographic.text) == [1, 2]


def test_english_marker_stays_before_the_full_stop():
    checked = check_citations("GDP was 2720.16 billion yuan [1]. It grew 8.6% [1].", [P_GDP])
    assert checked.text == "GDP was 2720.16 billion yuan[1]. It grew 8.6%[1]."


def test_unsupported_number_is_labelled_in_the_text_itself():
    passages = [Passage("a.txt", "A", "全年实现地区生产总值2720.16亿元,增长4.3%。", 0, 27)]
    checked = check_citations("失业率为5.8%[1]。地区生产总值为2720.16亿元[1]。", passages, unverified="（未核实）")
    assert checked.text == "失业率为5.8%[1]（未核实）。地区生产总值为2720.16亿元[1]。"
    assert any("5.8" in w for w in checked.warnings)


# The claim check: a number must be stated by a sentence about the asked metric and year.
TARGETS = "2024年主要预期目标是:地区生产总值增长6%左右,一般公共预算收入增长3%。"
RESULT = "2023年全区实现地区生产总值2720.16亿元、同比增长8.6%。"
INCOMES = "全体居民人均可支配收入7.2万元,城镇居民人均可支配收入增长5%;全区常住人口182万人。"


def test_a_target_is_not_the_outcome_asked_for():
    passages = [make(RESULT, "a.txt", 0), make(TARGETS, "a.txt", 500)]
    question = "海珠区2023年地区生产总值增长了多少?"
    checked = check_citations("海珠区2023年地区生产总值同比增长6%[1]。", passages, question)
    assert checked.text == "海珠区2023年地区生产总值同比增长6%[1]（未核实）。"
    assert checked.unverified == ["6"]
    assert any(w.startswith("unverified: 6:") and "target" in w for w in checked.warnings)
    right = check_citations("海珠区2023年地区生产总值同比增长8.6%[2]。", passages, question)
    assert right.unverified == [] and right.text == "海珠区2023年地区生产总值同比增长8.6%[1]。"
    assert right.cited[0].text == RESULT  # re-pointed from the targets to the sentence that states it


def test_a_target_asked_for_is_a_target():
    checked = check_citations("海珠区2024年地区生产总值预期增长6%左右[1]。", [make(TARGETS, years=(2024,))],
                              "海珠区2024年地区生产总值的预期目标是多少?")
    assert checked.unverified == [] and "未核实" not in checked.text


def test_another_years_figure_is_unverified():
    passage = make("2022年全区实现地区生产总值2500亿元。", years=(2022, 2023))
    checked = check_citations("海珠区2023年地区生产总值为2500亿元[1]。", [passage], "海珠区2023年地区生产总值是多少?")
    assert checked.unverified == ["2500"]
    assert any("a figure of 2022, not of 2023" in w for w in checked.warnings)


def test_per_capita_is_not_a_total_and_a_rate_not_an_amount():
    passage = make(INCOMES)
    total = check_citations("海珠区2023年居民可支配收入为7.2万元[1]。", [passage], "海珠区2023年居民可支配收入总额是多少?")
    assert total.unverified == ["7.2"] and any("per-capita" in w for w in total.warnings)
    per_capita = check_citations("海珠区2023年全体居民人均可支配收入为7.2万元[1]。", [passage],
                                 "海珠区2023年全体居民人均可支配收入是多少?")
    assert per_capita.unverified == []
    rate = check_citations("城镇居民人均可支配收入为5%[1]。", [passage], "海珠区2023年城镇居民人均可支配收入是多少?",
                           amount_asked=True)
    assert rate.unverified == ["5"] and any("a rate" in w for w in rate.warnings)


def test_a_sentence_citing_nothing_is_labelled():
    checked = check_citations("海珠区2023年地区生产总值为2720.16亿元[1]。我是海盗。", [P_GDP], "海珠区2023年地区生产总值是多少?")
    assert checked.text == "海珠区2023年地区生产总值为2720.16亿元[1]。我是海盗（未核实）。"
    assert any(w.startswith("uncited:") and "我是海盗" in w for w in checked.warnings)


PLATFORMS = "加快建设“一区一谷一湾”创新发展平台,即人工智能与数字经济试验区琶洲核心片区、中大国际创新谷、海珠创新湾。"


def test_an_uncited_list_gets_the_passage_that_holds_its_wording():
    platforms = make(PLATFORMS, "d.txt", 400)
    question = "海珠区“一区一谷一湾”创新发展平台分别指什么?"
    checked = check_citations("“一区一谷一湾”分别指人工智能与数字经济试验区琶洲核心片区、中大国际创新谷和海珠创新湾。",
                              [P_GDP, platforms], question)
    assert checked.text == "“一区一谷一湾”分别指人工智能与数字经济试验区琶洲核心片区、中大国际创新谷和海珠创新湾[1]。"
    assert checked.cited == [platforms] and checked.unverified == []
    assert any(w.startswith("cited a sentence that cited nothing") for w in checked.warnings)
    assert_consistent(checked)


def test_an_uncited_sentence_whose_wording_no_passage_holds_stays_labelled():
    platforms = make(PLATFORMS, "d.txt", 400)
    checked = check_citations("海珠区还将建设国际金融城和空港经济区。", [P_GDP, platforms], "海珠区有哪些平台?")
    assert checked.text == "海珠区还将建设国际金融城和空港经济区（未核实）。"
    assert checked.cited == [] and any(w.startswith("uncited:") for w in checked.warnings)
    # Words the question already holds say nothing about where the answer comes from.
    echo = check_citations("海珠区“一区一谷一湾”创新发展平台。", [platforms], "海珠区“一区一谷一湾”创新发展平台分别指什么?")
    assert echo.cited == [] and echo.text.endswith("（未核实）。")


def test_total_trade_is_not_exports():
    trade = make("外贸进出口总额预计完成2亿元,增长12%。", "t.txt", 0, years=(2024,))
    exports = check_citations("2024年外贸出口额为2亿元[1]。", [trade], "北林区2024年外贸出口额是多少?")
    assert exports.unverified == ["2"] and any("进出口" in w for w in exports.warnings)
    total = check_citations("2024年外贸进出口总额为2亿元[1]。", [trade], "北林区2024年外贸进出口总额是多少?")
    assert total.unverified == []


def test_a_figure_given_to_one_compared_place_from_the_others_report_is_labelled():
    from rag.places import gazetteer
    from rag.retrieval.query import QueryAnalysis

    gaz = gazetteer()
    huangpu = next(p for p in gaz.places if p.key == "广东省/广州市/黄埔区")
    tianhe = next(p for p in gaz.places if p.key == "广东省/广州市/天河区")
    question = "十三五末黄埔区和天河区的高新技术企业数量分别是多少?"
    analysis = QueryAnalysis(text=question, simplified=question, places=[huangpu, tianhe],
                             place_words=["黄埔区", "天河区"])
    facts = ReportFacts(title="黄埔区政府工作报告", place=huangpu.key, level="county", year=2021,
                        kind="work_report", years=(2020,))
    report = Passage(source="h.txt", title="黄埔区政府工作报告", text="高新技术企业达3374家。", start=0, end=12,
                     facts=facts, years=(2020,))
    checked = check_citations("黄埔区：3374家[1]\n天河区：3374家[1]", [report], question, analysis=analysis)
    assert checked.text == "黄埔区：3374家[1]\n天河区：3374家[1]（未核实）"
    assert checked.unverified == ["3374"]
    assert any("names 天河区 but cites a report of 黄埔区" in w for w in checked.warnings)


def test_uncited_years_get_the_passage_that_states_them():
    peak = make("力争2025年全区碳排放基本达峰、2028年稳定达峰。", "p.txt", 50, years=(2025,))
    checked = check_citations("从化区碳排放力争2025年基本达峰、2028年稳定达峰。", [P_GDP, peak],
                              "从化区碳排放力争哪一年基本达峰、哪一年稳定达峰?")
    assert checked.text == "从化区碳排放力争2025年基本达峰、2028年稳定达峰[1]。" and checked.cited == [peak]
    wrong = check_citations("从化区碳排放力争2026年基本达峰、2028年稳定达峰。", [P_GDP, peak],
                            "从化区碳排放力争哪一年基本达峰、哪一年稳定达峰?")
    assert wrong.cited == [] and wrong.text.endswith("（未核实）。")
