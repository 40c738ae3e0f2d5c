"""English questions about reports from outside Guangdong: a term's report wordings are alternatives,
an amount is never answered with a rate, and each compared place keeps its own year."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import rag
from rag.retrieval.query import analyse

pytestmark = pytest.mark.slow

OUTSIDE = Path(__file__).resolve().parent.parent / "eval" / "outside"


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """The outside corpus and its committed index, copied so that nothing writes into the repository."""
    tmp = tmp_path_factory.mktemp("outside_en")
    shutil.copytree(OUTSIDE / "reports", tmp / "reports")
    shutil.copytree(OUTSIDE / "vectorstore", tmp / "vectorstore")
    patch = pytest.MonkeyPatch()
    for name, value in {"RAG_CORPUS_DIR": str(tmp / "reports"), "RAG_INDEX_DIR": str(tmp / "vectorstore"),
                        "OPENAI_BASE_URL": "", "RAG_LLM_MODEL": ""}.items():
        patch.setenv(name, value)
    rag.reload_index()
    yield
    patch.undo()
    rag.reload_index()


def test_fiscal_revenue_is_any_of_its_report_wordings(outside):
    # The report says 财政总收入, not 一般公共预算收入: either wording answers "fiscal revenue".
    answer = rag.answer("How much was the fiscal revenue of Changsha County in 2014?", mode="extractive")
    assert not answer.refused
    assert answer.text.startswith("Answer: 长沙市长沙县, 2014: 207.2亿元 [1]")
    assert "财政总收入207.2亿元" in answer.citations[0].text


def test_the_metric_named_in_full_picks_its_own_figure(outside):
    # 财政总收入463.4亿元,一般公共预算收入233.5亿元: the figure after the asked metric, not the first one.
    answer = rag.answer("What was the general public budget revenue of Xihu District of Hangzhou in 2022?",
                        mode="extractive")
    assert answer.text.startswith("Answer: 杭州市西湖区, 2022: 233.5亿元")
    per_capita = rag.answer("What was the per capita GDP of Putuo District of Zhoushan in 2009?", mode="extractive")
    assert per_capita.text.startswith("Answer: 舟山市普陀区, 2009: 5.2万元")  # the file name says which 普陀区


def test_an_amount_is_not_answered_with_a_growth_rate(outside):
    # The 2020 Kaifeng report gives only 2019's GDP growth (预计增长7.5%), no amount.
    amount = rag.answer("How much was Kaifeng's GDP in 2019?", mode="extractive")
    assert amount.refused
    growth = rag.answer("What was the GDP growth rate of Kaifeng in 2019?", mode="extractive")
    assert not growth.refused and growth.text.startswith("Answer: 开封市, 2019: 增长7.5%")


def test_attendance_is_the_count_of_those_present(outside):
    answer = rag.answer("How many representatives actually attended the Yangxian congress session in 2023?",
                        mode="extractive")
    assert answer.text.startswith("Answer: 汉中市洋县, 2023: 206人")


def test_a_report_whose_text_names_only_its_province_is_placed_by_its_file_name(outside):
    # The 2016 鼓楼区 report names only 江苏: 南京's or 徐州's; its file, gulou_nanjing_2016.txt, says 南京. The
    # answer must not be outranked by chunks that merely repeat 南京市鼓楼区 (the 2015 report's header).
    answer = rag.answer("南京市鼓楼区2015年地区生产总值是多少？", mode="extractive")
    assert answer.text.startswith("答：南京市鼓楼区2015年为1011.81亿元[1]。")
    assert answer.citations[0].source == "gulou_nanjing_2016.txt"
    assert "gulou_nanjing_2016.txt" in answer.citations[0].source and answer.citations[0].facts.notes[0].startswith(
        "place read from the file name")


def test_each_compared_place_keeps_its_own_year(outside):
    question = "长沙县2014年地区生产总值和义乌市2015年地区生产总值各是多少?"
    sides = rag.api.default_retriever().analyse(question).sides()
    assert [(s.places[0].name, s.years) for s in sides] == [("长沙县", [2014]), ("义乌市", [2015])]
    answer = rag.answer(question, mode="extractive")
    assert answer.text.startswith("答：长沙市长沙县2014年为1100.6亿元[1]。\n答：金华市义乌市2015年为1046亿元[2]。")


def test_years_stay_shared_when_not_written_per_place():
    sides = analyse("海珠区和天河区2023年地区生产总值").sides()
    assert all(s.years == [2023] for s in sides)
