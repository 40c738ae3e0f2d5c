"""Rules an answer is read by, one sentence or report opening at a time: which figure, whose, of which year."""
from __future__ import annotations

from rag.answering.answerer import _sources
from rag.answering.claims import claim_problems
from rag.answering.direct import direct_value, whose
from rag.answering.extractive import (
    _states_quantity,
    asked_unit,
    at_asked_session,
    defines_asked_term,
    metric_names,
    metric_span_end,
    names_other_metric,
    sentence_tokens,
)
from rag.ingest.facts import read_facts, report_kind, report_year
from rag.retrieval.corpus_places import CorpusPlaces
from rag.retrieval.query import analyse
from rag.types import Passage, ReportFacts


def _passage(text: str, n: int = 0, **facts) -> Passage:
    report = ReportFacts(title="政府工作报告", **facts) if facts else None
    return Passage(source=f"p{n}.txt", title="政府工作报告", text=text, start=0, end=len(text), facts=report,
                   years=(facts.get("years") or ()) if facts else ())


def _value(sentence: str, question: str, *words: str) -> str | None:
    analysis = analyse(question)
    return direct_value(sentence, analysis, asked_unit(analysis), list(words) or metric_names(analysis, {}))


def test_sources_are_the_passages_shown_and_those_read_beyond_that_the_answer_quotes():
    passages = [_passage(f"第{i}段", i) for i in range(8)]
    assert [p.source for p in _sources(passages, 5, {1, 6})] == ["p0.txt", "p1.txt", "p2.txt", "p3.txt", "p4.txt",
                                                                 "p6.txt"]
    assert len(_sources(passages, 5, set())) == 5


def test_a_quoted_terms_definition_answers_what_it_stands_for():
    question = "“一区一谷一湾”分别指什么?"
    assert defines_asked_term(question, "“一区一谷一湾”:即高新区、科技谷、滨海湾。")
    assert not defines_asked_term(question, "加快建设“一区一谷一湾”,经济稳中向好。")  # named, not defined
    assert not defines_asked_term("“一区一谷一湾”建设进展如何?", "“一区一谷一湾”:即高新区、科技谷、滨海湾。")


def test_a_table_notes_item_number_states_no_figure():
    assert not _states_quantity("注:1.地区生产总值按可比价格计算")
    assert not _states_quantity("(3)城乡居民收入持续增加")
    assert _states_quantity("注:地区生产总值增长8%")


def test_a_per_head_denominator_is_not_the_population_a_sentence_states():
    tokens = sentence_tokens("每千常住人口拥有执业医师2.78个。", ["常住人口"])
    assert "常住人口" not in tokens and "人口" not in tokens and "医师" in tokens
    assert "常住人口" in sentence_tokens("年末常住人口52.3万人。", ["常住人口"])


def test_how_a_figure_changed_is_answered_with_both_ends():
    sentence = "研发经费投入强度由1.4%预计提高到2.5%,每万人发明专利拥有量达到10件。"
    assert _value(sentence, "研发经费投入强度如何变化?", "研发经费投入强度") == "由1.4%预计提高到2.5%"
    assert _value(sentence, "研发经费投入强度达到多少?", "研发经费投入强度") == "2.5%"


def test_a_figure_written_right_after_three_capitals_is_read():
    sentence = "全年实现地区生产总值(GDP161.19亿元),增长6.5%。"
    assert _value(sentence, "某县2023年地区生产总值是多少?", "地区生产总值") == "161.19亿元"
    assert _value("PM2.5平均浓度下降12%。", "某县PM2.5浓度下降多少?", "浓度") == "下降12%"  # 2.5 is no figure


def test_a_rank_is_read_after_the_most_specific_metric_word_written():
    sentence = "工业增加值增速排名全市第五,规模以上工业增加值增速排名全市第二。"
    assert _value(sentence, "某区规模以上工业增加值增速排名第几?", "规模以上工业增加值", "工业增加值") == "全市第二"


def test_per_capita_gdp_is_not_gdp_unless_per_capita_is_asked():
    sentence = "人均地区生产总值30998元,增长9.7%。"
    assert names_other_metric("某县2020年地区生产总值是多少?", sentence)
    assert not names_other_metric("某县2020年人均地区生产总值是多少?", sentence)
    assert not names_other_metric("某县2020年地区生产总值是多少?", "地区生产总值80亿元,人均地区生产总值30998元。")
    assert not names_other_metric("What was the county's per capita GDP in 2020?", "人均GDP达到1.2万美元。")
    assert names_other_metric("某县GDP是多少?", "人均GDP达到1.2万美元。")


def test_a_question_about_the_session_is_answered_from_the_report_given_at_it():
    """A 2020 report, given at the January 2020 session, reviews 2019: its session figures are 2020's."""
    facts = dict(place="四川省/绵阳市/三台县", level="county", year=2020, years=(2019,))
    passage = _passage("大会应到代表300名,实到代表285名,符合法定人数。", **facts)
    session = analyse("三台县2020年人代会实到代表多少名?")
    assert at_asked_session(passage, session)
    assert not at_asked_session(passage, analyse("三台县2020年地区生产总值是多少?"))
    assert claim_problems("285名", passage.text, passage, session, ["代表"], False) == ()
    outcome = _passage("全县地区生产总值285亿元。", **facts)
    assert claim_problems("285亿元", outcome.text, outcome, analyse("三台县2020年地区生产总值是多少?"),
                          ["地区生产总值"], True) == ("it comes from the part of a report about 2019",)
    assert whose(passage, session, False) == "绵阳市三台县2020年"


def test_a_review_heading_that_also_looks_back_five_years_gives_the_report_year():
    head = "各位代表：\n一、2012年及过去五年政府工作回顾\n"
    assert report_year("政府工作报告", head, "work_report") == 2013


def test_a_work_report_saying_its_five_year_plan_began_well_is_no_plan():
    assert report_kind("", "过去一年,“十四五”规划实现良好开局,全县经济稳中向好。") == "other"
    assert report_kind("某县国民经济和社会发展第十四个五年规划纲要", "") == "five_year_plan"


def test_pinyin_glosses_do_not_break_the_place_names_they_follow():
    text = "概况\n巴(bā)林(lín)右(yòu)旗(qí)位于赤峰市北部,全旗总面积1万平方公里。"
    facts = read_facts(text, 0, len(text), "概况")
    assert facts.place == "内蒙古自治区/赤峰市/巴林右旗"


def test_the_place_an_opening_locates_is_the_issuer_not_the_neighbours_it_names():
    text = ("【概况】宁蒗彝族自治县位于云南省西北部,东与四川省盐源县、木里藏族自治县接壤,"
            "西与玉龙纳西族自治县隔金沙江相望。全县辖15个乡镇。")
    facts = read_facts(text, 0, len(text), "概况")
    assert facts.place == "云南省/丽江市/宁蒗彝族自治县"


def test_a_name_repeated_after_the_place_it_was_resolved_to_is_that_place():
    def report(place):
        return ReportFacts(title="2024年政府工作报告", place=place, level="county", year=2024, kind="work_report",
                           years=(2023, 2024))
    corpus = CorpusPlaces([report("江苏省/南京市/鼓楼区"), report("福建省/福州市/鼓楼区")])
    analysis = analyse("福州市鼓楼区2023年鼓楼区的地区生产总值是多少?", corpus)
    assert [p.key for p in analysis.places] == ["福建省/福州市/鼓楼区"] and analysis.ambiguous == []
    assert analyse("鼓楼区2023年地区生产总值是多少?", corpus).ambiguous  # named alone, it stays ambiguous
    # written bare first, then told apart ("…不止一个,福州的那个鼓楼区")
    analysis = analyse("鼓楼区不止一个,福州的那个鼓楼区面积是多少?", corpus)
    assert [p.key for p in analysis.places] == ["福建省/福州市/鼓楼区"] and analysis.ambiguous == []


def test_the_amount_clause_still_answers_gdp_beside_per_capita():
    sentence = "地区生产总值80亿元,增长5%;人均地区生产总值30998元。"
    assert _value(sentence, "某县2020年地区生产总值是多少?", "地区生产总值") == "80亿元"


def test_question_words_are_no_words_a_sentence_must_hold():
    from rag.answering.extractive import ExtractiveConfig, SentenceScorer
    scorer = SentenceScorer({"人民代表大会": 1.3, "会议": 1.2, "几乎": 3.0}, ExtractiveConfig())
    weights = scorer.query_weights(analyse("三台县2015年的政府工作报告是在第几届人代会第几次会议上作的?"))
    assert not {"几届", "第几", "几次", "第几次"} & set(weights) and "会议" in weights
    assert "几乎" in scorer.query_weights(analyse("三台县几乎所有乡镇都通了公交吗?"))


def test_which_session_is_answered_with_the_session_the_header_writes():
    header = "——2015年1月15日在三台县第十七届人民代表大会第四次会议上"
    question = "三台县2015年的政府工作报告是在第几届人代会第几次会议上作的?"
    assert _value(header, question, "会议") == "第十七届人民代表大会第四次会议"
    passage = _passage(header, place="四川省/绵阳市/三台县", level="county", year=2015, years=(2014,))
    from rag.answering.extractive import ExtractiveConfig, SentenceScorer, passage_sentences
    config = ExtractiveConfig()
    scorer = SentenceScorer({"人民代表大会": 1.3, "会议": 1.2, "代表": 1.1, "上作": 3.7, "人代会": 3.7}, config)
    analysis = analyse(question)
    sentence = passage_sentences([passage])[0]
    assert scorer.score(sentence, passage, scorer.query_weights(analysis), analysis, None) >= config.min_score


def test_an_infobox_set_one_field_per_line_is_read_field_by_field():
    from rag.answering.extractive import _pieces
    text = "某县概况。\n中文名\n三台县\n政府驻地\n潼川镇北坝\n电话区号\n0816\n全县辖31个镇。"
    pieces = [m.group().strip() for m in _pieces(text)]
    assert "政府驻地\n潼川镇北坝" in pieces and "电话区号\n0816" in pieces and "全县辖31个镇。" in pieces
    assert [m.group() for m in _pieces("一、工作回顾\n过去一年,全县经济稳中向好。\n")] == \
        ["一、工作回顾", "过去一年,全县经济稳中向好。"]  # a heading over a sentence is no field


def test_a_rank_asked_of_a_metric_is_read_after_that_metric():
    from rag.answering.extractive import asked_metric
    question = "安庆市2024年一般公共预算收入增速在全省排第几?"
    assert asked_metric(analyse(question)) == "一般公共预算收入"
    assert asked_metric(analyse("某区地区生产总值居全市第几?")).endswith("地区生产总值")
    sentence = "限上消费品零售额增速位居全省第1,一般公共预算收入增速位居全省第2。"
    analysis = analyse(question)
    from rag.answering.extractive import metric_names
    assert direct_value(sentence, analysis, None, metric_names(analysis, {})) == "全省第2"


def test_a_side_written_only_with_a_place_and_year_shares_the_metric_asked():
    def report(place, year):
        return ReportFacts(title=f"{year}年政府工作报告", place=place, level="county", year=year, kind="work_report",
                           years=(year - 1, year))
    corpus = CorpusPlaces([report("江苏省/南京市/鼓楼区", 2024), report("福建省/福州市/鼓楼区", 2023)])
    analysis = analyse("南京鼓楼区2023年的社会消费品零售总额和福州鼓楼区2022年的相比各是多少?", corpus)
    assert len(analysis.places) == 2 and analysis.own_words() == {}
    own = analyse("南京鼓楼区2023年社会消费品零售总额和福州鼓楼区2022年地区生产总值各是多少?", corpus).own_words()
    assert len(own) == 2  # each side with words of its own keeps them


def test_a_figure_dated_in_brackets_answers_for_that_year_only():
    from rag.answering.extractive import Sentence, about_asked
    text = "地区生产总值\n265.73亿元(2020年)\n"
    passage = _passage(text, place="四川省/绵阳市/三台县", level="county", year=2021, years=(2020, 2021))
    sentence = Sentence(0, text.strip(), 0, len(text.strip()))
    assert about_asked(sentence, passage, analyse("三台县2020年地区生产总值是多少?"))
    assert not about_asked(sentence, passage, analyse("三台县2021年地区生产总值是多少?"))


def _corpus(*places: str) -> CorpusPlaces:
    return CorpusPlaces([ReportFacts(title="2024年政府工作报告", place=p, level="county", year=2024, kind="work_report",
                                     years=(2023, 2024)) for p in places])


def test_a_province_and_city_written_as_one_word_still_locate_the_place():
    corpus = _corpus("甘肃省/兰州市/城关区", "西藏自治区/拉萨市/城关区", "河南省/驻马店市/上蔡县", "河南省/驻马店市/驿城区")
    analysis = analyse("甘肃兰州的城关区境内居住着多少个民族?", corpus)
    assert [p.key for p in analysis.places] == ["甘肃省/兰州市/城关区"] and analysis.ambiguous == []
    both = analyse("甘肃兰州的城关区和西藏拉萨的城关区,哪个面积更大?两者各是多少?", corpus)
    assert [p.key for p in both.places] == ["甘肃省/兰州市/城关区", "西藏自治区/拉萨市/城关区"]
    from rag.answering.extractive import ExtractiveConfig, SentenceScorer
    weights = SentenceScorer({"面积": 2.9, "民族": 3.7}, ExtractiveConfig()).query_weights(both)
    assert set(weights) == {"面积"}  # not 甘肃兰州 (two names), 更大 or 两者 (how it asks)
    assert [p.key for p in analyse("驻马店市上蔡县(不是驿城区)的社会消费品零售总额是多少?", corpus).places] == \
        ["河南省/驻马店市/上蔡县"]  # a place the question sets aside is not asked about


def test_a_rough_figure_is_given_as_roughly_as_written():
    assert _value("區域總面積約220平方公里,其中城區面積60平方公里。", "某区总面积是多少?", "总面积") == "约220平方公里"
    assert _value("全区总面积220平方公里。", "某区总面积是多少?", "总面积") == "220平方公里"


def test_a_file_name_tells_the_district_of_a_page_that_names_only_its_city_and_the_year_of_an_undated_speech():
    profile = "是绵阳市的中心城区,地处涪江东岸。全区地区生产总值达到100亿元,常住人口50万人。"
    facts = read_facts(profile, 0, len(profile), profile[:20], "fucheng_mianyang_profile.txt")
    assert facts.place == "四川省/绵阳市/涪城区" and "place read from the file name" in facts.notes[-1]
    assert read_facts(profile, 0, len(profile), profile[:20], "mianyang_profile.txt").place == "四川省/绵阳市"
    speech = "区人民政府区长 某某\n各位代表:\n现在,我代表区人民政府向大会作工作报告,请予审议。\n过去五年工作回顾\n全区经济稳中向好。"
    dated = read_facts(speech, 0, len(speech), "区人民政府区长 某某", "fucheng_mianyang_2017.txt")
    assert dated.year == 2017 and dated.place == "四川省/绵阳市/涪城区"
    assert read_facts(speech, 0, len(speech), "区人民政府区长 某某", "fucheng_mianyang_2016_2017.txt").year is None


def test_a_town_name_many_places_share_is_the_one_inside_the_place_the_file_name_writes():
    text = "沙沟镇2021年政府工作报告\n各位代表:\n现在,我代表镇人民政府向大会报告工作。全镇经济稳中向好。"
    facts = read_facts(text, 0, len(text), "沙沟镇2021年政府工作报告", "shagou_yishui_2021.txt")
    assert facts.place == "山东省/临沂市/沂水县/沙沟镇"
    assert read_facts(text, 0, len(text), "沙沟镇2021年政府工作报告", "shagou_2021.txt").place is None


def test_dates_and_clock_times_are_no_counts_unless_a_date_is_asked():
    opening = "9月7日上午,某县第十四届人民代表大会第五次会议开幕。"
    assert not _states_quantity(opening) and _states_quantity(opening, dates=True)
    assert _states_quantity("会议应到代表402人,实到代表375人。")
    from rag.answering.extractive import DATE_ASKED
    assert DATE_ASKED.search("临海市十七届人大二次会议是哪天召开的?") and not DATE_ASKED.search("实到多少名代表?")


def test_the_start_of_a_span_answers_a_question_about_where_it_started():
    sentence = "一般公共预算收入从72亿元提升到114亿元,迈上“百亿”台阶;"
    assert _value(sentence, "某市五年前(起点)的一般公共预算收入是多少?", "一般公共预算收入") == "72亿元"
    assert _value(sentence, "某市一般公共预算收入达到多少?", "一般公共预算收入") == "114亿元"


def test_reports_of_two_years_asked_together_are_two_sides():
    from rag.answering.extractive import on_side
    analysis = analyse("包头市2013年和2020年两份政府工作报告分别由哪位市长作?")
    assert analysis.report_years == [2013, 2020] and analysis.years == [] and analysis.is_comparison
    sides = analysis.sides()
    assert [s.report_years for s in sides] == [[2013], [2020]]
    speech = _passage("包头市人民政府市长 某某", place="内蒙古自治区/包头市", level="city", year=2020, years=(2019, 2020))
    assert not on_side(speech, sides[0]) and on_side(speech, sides[1])
    assert analyse("包头市2020年政府工作报告由谁作?").report_years == [2020]


def test_the_department_heading_a_plan_report_is_who_gives_it():
    from rag.answering.extractive import OFFICIAL
    assert OFFICIAL.search("区发展和改革局 龚德茂") and OFFICIAL.search("区发展和改革局龚德茂")
    assert OFFICIAL.search("某县人民政府县长 张三")
    assert not OFFICIAL.search("加快建设区发展和改革局,推进改革。")


def test_the_session_and_year_a_question_names_are_matched_with_the_report_not_the_sentence():
    from rag.answering.extractive import ExtractiveConfig, SentenceScorer
    scorer = SentenceScorer({"实到": 2.9, "出席": 2.3, "代表": 0.8, "十八": 3.0, "三次": 1.6}, ExtractiveConfig())
    weights = scorer.query_weights(analyse("三台县2023年县十八届人大三次会议实际到会代表多少名?"))
    assert not {"年县", "十八", "三次", "人大", "会议"} & set(weights)
    assert {"实到", "代表"} <= set(weights)  # 实际到会 is written 实到 in the reports


def test_an_english_how_many_gets_the_count_written_before_the_asked_word():
    from rag.answering.extractive import metric_names
    analysis = analyse("How many ethnic groups live in Chengguan District of Lanzhou, Gansu Province?")
    assert "民族" in metric_names(analysis, {})  # the glossary's report wording of "ethnic groups"
    sentence = "有汉、回、满、蒙古、藏、维吾尔等36个民族,常住人口83.7万人,流动人口约20万人。"
    assert direct_value(sentence, analysis, asked_unit(analysis), metric_names(analysis, {})) == "36个民族"


def test_places_listed_after_a_shared_name_each_locate_one_namesake():
    corpus = _corpus("甘肃省/兰州市/城关区", "西藏自治区/拉萨市/城关区")
    both = analyse("两个城关区(兰州、拉萨)分别下辖多少个街道?", corpus)
    assert [p.key for p in both.places] == ["甘肃省/兰州市/城关区", "西藏自治区/拉萨市/城关区"] and both.ambiguous == []
    assert [p.key for p in analyse("城关区(兰州)下辖多少个街道?", corpus).places] == ["甘肃省/兰州市/城关区"]
    assert analyse("城关区下辖多少个街道?", corpus).ambiguous  # named alone it stays ambiguous


def test_both_of_a_pair_answer_a_question_about_urban_and_rural_residents():
    sentence = "人均GDP突破一万美元大关,城乡居民人均可支配收入年均分别增长7.5%和8.7%。"
    assert _value(sentence, "城乡居民人均可支配收入年均分别增长多少?") == "增长7.5%和8.7%"
    assert _value(sentence, "How fast did urban and rural residents' per capita disposable income grow each year?") == \
        "增长7.5%和8.7%"
    assert _value(sentence, "农村居民人均可支配收入年均增长多少?") == "8.7%"


def test_a_report_named_by_its_month_is_a_report_year_not_an_asked_one():
    analysis = analyse("沧州市新华区2020年1月的政府工作报告分为哪三个部分?")
    assert analysis.report_years == [2020] and analysis.years == []


def test_a_count_is_given_with_the_noun_as_the_report_writes_it():
    assert _value("下辖12个街道办事处、50个村(居)委会。", "某区下辖多少个街道?") == "12个街道办事处"
    assert _value("行政管辖24个街道和129个社区。", "某区下辖多少个街道?") == "24个街道"


def test_an_english_gacha_is_the_banners_village():
    from rag.answering.extractive import metric_names
    analysis = analyse("How many gacha does Naiman Banner administer?")
    assert "嘎查村" in " ".join(analysis.expansions) or "嘎查" in metric_names(analysis, {})


def test_a_page_titled_by_its_opening_paragraph_is_about_the_place_it_locates():
    text = ("西安区位于黑龙江省牡丹江市西南部,全区总面积445平方公里,下辖温春镇、海南朝鲜族乡和先锋、火炬五个街道办事处。\n"
            "牡丹江穿城而过。")
    facts = read_facts(text, 0, len(text), text.split("\n")[0])
    assert facts.place == "黑龙江省/牡丹江市/西安区"  # not 温春镇, the deepest place its first line names


def test_a_profiles_history_dates_are_not_its_year_but_a_signed_date_is():
    profile = "某区概况\n西安區原属西安縣,後于1948年1月1日析原西安县县城,设置西安市。\n设立 | 1983年12月22日 |\n面积178.8平方公里。"
    assert report_year("某区概况", profile, "other") is None
    signed = "某区开展安全宣传\n今年以来,全区推进数字政府建设。\n——2023年05月20日\n"
    assert report_year("某区开展安全宣传", signed, "other") == 2023
    speech = "政府工作报告\n——2021年1月5日在某县第十八届人民代表大会第四次会议上\n各位代表:"
    assert report_year("政府工作报告", speech, "work_report") == 2021


def test_english_words_inside_other_words_ask_nothing():
    from rag.answering.extractive import GROWTH_ASKED
    question = "What total profit did industrial enterprises above designated size in the town make in 2023?"
    assert not GROWTH_ASKED.search(question) and GROWTH_ASKED.search("How fast did GDP rise?")
    assert _value("规模以上工业企业利润总额5亿元,同比增长11.1%;", question) == "5亿元"


def test_chinese_numerals_are_counts_and_a_trailing_le_is_no_word():
    assert _states_quantity("连续五年组织实施惠民实事一百七十件,累计投入资金九点二亿元。")
    from rag.answering.extractive import ExtractiveConfig, SentenceScorer
    weights = SentenceScorer({"累计": 3.0, "实事": 3.8}, ExtractiveConfig()).query_weights(
        analyse("三台县五年里一共办了多少件惠民实事,累计投了多少钱?"))
    assert "投了" not in weights and "累计" in weights


def test_an_expected_answer_with_a_pinyin_gloss_matches_the_figure_without_it():
    from rag.evaluation.metrics import normalize
    assert normalize("147.8萬(wàn)人") == normalize("147.8万人") == "147.8万人"


def test_an_english_district_name_finds_every_district_spelled_so():
    """辽源's 西安区 is listed in the gazetteer under the short name 西安, 牡丹江's under 西安区: both are Xi'an District."""
    corpus = _corpus("吉林省/辽源市/西安区", "黑龙江省/牡丹江市/西安区")
    assert [p.key for p in analyse("How many ethnic Koreans live in Xi'an District of Mudanjiang City?", corpus).places] \
        == ["黑龙江省/牡丹江市/西安区"]
    both = analyse("What is the area of Xi'an District?", corpus)
    assert {p.key for p in both.places} == {"吉林省/辽源市/西安区", "黑龙江省/牡丹江市/西安区"} and both.ambiguous


def test_which_day_is_how_a_question_asks():
    from rag.answering.extractive import ExtractiveConfig, SentenceScorer
    weights = SentenceScorer({"改名": 3.8, "更名": 3.8}, ExtractiveConfig()).query_weights(
        analyse("吉林省西安市是哪一天改名为辽源市的?"))
    assert not {"哪一天", "一天"} & set(weights) and "更名" in weights


def test_a_rank_dated_by_year_answers_that_year():
    sentence = "全省县域综合排名由2016年的第60名上升至2019年的第35名。"
    assert _value(sentence, "肇源县2019年在全省县域综合排名中位列第几?") == "第35名"
    assert _value(sentence, "肇源县2016年在全省县域综合排名中位列第几?") == "第60名"


def test_a_rate_per_thousand_answers_a_rate_and_a_head_count_in_its_measure():
    assert _value("全年出生人口542人,出生率为5.20‰;死亡人口994人。", "汾西县2021年的人口出生率是多少?") == "5.20‰"
    analysis = analyse("乐山市市中区2022年生猪出栏多少头?")
    assert asked_unit(analysis) == "头"
    assert _value("新改扩建生猪规模养殖场11个,生猪出栏32.93万头。", "乐山市市中区2022年生猪出栏多少头?") == "32.93万头"


def test_a_figure_of_the_next_metric_is_not_the_asked_ones():
    sentence = "全县地区生产总值年均增长3.7%,社会消费品零售总额年均增长7%,固定资产投资累计完成149.8亿元。"
    assert metric_span_end(sentence, sentence.index("年均")) == sentence.index(",社会")
    assert _value(sentence, "肇源县2020年地区生产总值总量是多少亿元?") != "149.8亿元"
    # the same metric goes on past a comma: its growth, its share, a bracketed note
    for same in ("地区生产总值337.87亿元(预计数,下同),同比增长9.6%。", "地区生产总值2306460万元,按可比价计算,同比增长4.2%;",
                 "民营经济增加值83.75亿元,增长9.5%,占全县GDP比重为59.6%。"):
        assert metric_span_end(same, 6) == len(same) - 1


def test_gdp_written_in_a_sentence_is_the_asked_gross_regional_product():
    analysis = analyse("丰城市2019年的GDP是多少?")
    assert not claim_problems("517", "全市GDP完成517亿元,增长7.3%;", None, analysis, ["地区生产总值"], True)


def test_what_the_asker_sets_aside_is_not_asked():
    assert analyse("丰城市2019年的GDP是多少?(注意不是2021年的数)").years == [2019]
    assert "固定资产投资" not in analyse("封丘县2024年规上工业增加值增速在全市排第几?别跟固定资产投资的排位搞混。").simplified
    assert analyse("大理市2019年的地区生产总值与2021年相比,各是多少?").years == [2019, 2021]
    assert analyse("大理市2021年地区生产总值比2019年增长多少?").years == [2021]


def test_a_plan_report_that_stops_inside_its_review_is_all_review():
    text = ("关于某区2021年国民经济和社会发展计划执行情况及2022年计划草案的报告\n各位代表:\n现将2021年计划执行情况及2022年"
            "计划草案提请大会审议。\n一、2021年国民经济和社会发展计划执行情况\n" + "预计,全年实现地区生产总值突破700亿元,同比增长8%以上。" * 8)
    facts = read_facts(text, 0, len(text), text.split("\n")[0])
    assert facts.kind == "plan_execution" and facts.plan_year == 2022 and facts.plan_start == len(text)
    planned = text + "\n二、2022年国民经济和社会发展计划草案\n主要预期目标是:地区生产总值增长7%。"
    facts = read_facts(planned, 0, len(planned), text.split("\n")[0])
    assert facts.plan_start == planned.index("二、2022年")


def test_a_plan_being_carried_out_does_not_make_a_text_that_plan():
    assert report_kind("2022年是党的二十大召开之年,也是全面实施\"十四五\"规划的关键之年", "") != "five_year_plan"
    assert report_kind("某县国民经济和社会发展第十四个五年规划纲要", "") == "five_year_plan"


def test_a_mongolian_name_is_heard_as_the_held_banner_it_sounds_like():
    from rag.places import gazetteer
    from rag.places.mentions import sound_alike
    places = [gazetteer().by_key[key] for key in ("内蒙古自治区/兴安盟/科尔沁右翼中旗", "内蒙古自治区/兴安盟/科尔沁右翼前旗",
                                                  "内蒙古自治区/兴安盟/扎赉特旗")]
    assert [p.key for p in sound_alike("Horqin Right Middle Banner", places)] == ["内蒙古自治区/兴安盟/科尔沁右翼中旗"]
    assert [p.key for p in sound_alike("Horqin Right Front Banner", places)] == ["内蒙古自治区/兴安盟/科尔沁右翼前旗"]
    assert sound_alike("Hengzhou Right Middle Banner", places) == []


def test_a_chart_caption_over_years_states_no_figure_and_a_count_beats_a_bare_number():
    assert not _states_quantity("2012-2021年常住人口数及城镇化率")
    sentence = "拥有一批国际自主定价权产品和国家863核心技术,攻克232项国家级和省市科技成果。"
    assert _value(sentence, "How many scientific and technological achievements did Xiliuhe Town tackle?",
                  "科技成果") == "232项"


def test_the_year_a_multiple_is_of_is_no_asked_year():
    assert analyse("平凉市2020年城乡居民人均可支配收入分别是2015年的几倍?").years == [2020]


def test_gdp_written_as_its_abbreviation_is_found_and_its_amount_beats_its_growth():
    sentence = "制定出台服务市场主体发展18条措施,保持经济平稳增长,GDP增长6.0%,首次突破百亿元大关,达到100.6亿元,顺利实现“百亿梦”;"
    assert _value(sentence, "江西靖安县2024年GDP是多少?") == "100.6亿元"
    # an amount asked of GDP is not another metric's amount written before GDP's share
    assert _value("民营经济增加值115.78亿元,增长5.6%,占地区生产总值的55.4%。", "石柱县2022年的GDP是多少?") is None


def test_a_suburb_named_after_its_city_with_de_is_that_district():
    def report(place):
        return ReportFacts(title="2022年统计公报", place=place, level="county", year=2022, kind="statistics", years=(2022,))
    corpus = CorpusPlaces([report("山西省/阳泉市/郊区"), report("安徽省/铜陵市/郊区")])
    analysis = analyse("山西阳泉的郊区(2022年)和安徽铜陵的郊区(2019年),地区生产总值分别是多少?", corpus)
    assert [p.key for p in analysis.places] == ["山西省/阳泉市/郊区", "安徽省/铜陵市/郊区"] and not analysis.missing


def test_a_yearbook_records_the_year_before_its_title_and_a_report_is_called_by_the_year_it_is_given():
    text = "2020年铜陵市郊区年鉴\n概况  郊区1981年12月设立。全区实现地区生产总值134.07亿元。\n"
    facts = read_facts(text, 0, len(text), "2020年铜陵市郊区年鉴")
    assert facts.year == 2020 and facts.years == (2019,)
    report = ReportFacts(title="泉州人民政府2011年工作报告", year=2011, plan_year=2012, kind="work_report")
    assert report.session_years == {2011, 2012}


def test_a_district_the_file_name_places_in_another_city_is_that_citys():
    text = "清河區2007年政府工作報告\n本屆政府組成以來,全區經濟發展。預計2007年地區生產總值達到33億元。\n" * 3
    facts = read_facts(text, 0, len(text), "清河區2007年政府工作報告", "qinghe_huaian_2007.txt")
    assert facts.place == "江苏省/淮安市/清河区" and "the file name places it in 淮安市" in facts.notes[0]
    assert facts.plan_year == 2008  # "预计2007年…" in a 2007 report: it reviews 2007
    assert read_facts(text, 0, len(text), "清河區2007年政府工作報告", "qinghe_tieling_2007.txt").place == "辽宁省/铁岭市/清河区"


def test_a_code_is_answered_with_its_digits_and_a_rank_within_the_asked_scope():
    assert _value("长途区号:024 | 邮政编码:112000 |\n下辖地区:2个街道、2个镇、1个乡 |", "铁岭清河区的邮政编码是多少?") == "112000"
    sentence = "清河区人口数量为8.47万人,位列铁岭市各县市区人口数量排行榜第7位,位列辽宁省各县市区人口数量排行榜第95位。"
    assert _value(sentence, "清河区的人口数量在辽宁省各县市区中排第几?") == "第95位"
    assert _value(sentence, "清河区的人口数量在铁岭市各县市区中排第几?") == "第7位"
