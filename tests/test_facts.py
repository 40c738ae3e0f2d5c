"""Report facts read from the text for any place: issuer, namesakes, kind, year, periods, splitting, chrome."""
from __future__ import annotations

from rag.ingest.documents import indexable_segments, split_documents
from rag.ingest.facts import issuer, read_facts, report_kind, report_year
from rag.ingest.loaders import SourceText
from rag.ingest.periods import periods_named, plan_years, running_year


def _place(title: str, body: str):
    place, why, namesakes = issuer(title, body)
    return (place.key if place else None), why, [p.key for p in namesakes]


def test_issuer_from_the_congress_line_of_a_sichuan_county():
    body = "政府工作报告\n——2024年1月10日在三台县第十八届人民代表大会第四次会议上\n三台县人民政府县长 某某\n各位代表："
    assert _place("政府工作报告", body)[0] == "四川省/绵阳市/三台县"


def test_namesakes_told_apart_by_the_city_the_text_names():
    head = "政府工作报告\n各位代表：现在，我代表鼓楼区人民政府向大会报告工作。"
    assert _place("政府工作报告", head + "福州市委、市政府的坚强领导下，福州经济稳中向好。")[0] == "福建省/福州市/鼓楼区"
    assert _place("政府工作报告", head + "在南京市委的领导下，南京都市圈建设提速。")[0] == "江苏省/南京市/鼓楼区"
    place, why, namesakes = _place("政府工作报告", head + "全区经济稳中向好。")
    assert place is None and "names several places" in why and "江苏省/南京市/鼓楼区" in namesakes


def test_no_place_is_a_note_not_a_guess():
    place, why, _ = _place("政府工作报告", "各位代表：现在，我代表区人民政府向大会报告工作。")
    assert place is None and why == "no place named in the title or the header lines"


def test_kinds_years_and_periods():
    assert report_kind("2023年宜章县国民经济和社会发展统计公报", "") == "statistics"
    assert report_kind("关于2023年国民经济和社会发展计划执行情况与2024年计划草案的报告", "") == "plan_execution"
    assert report_kind("某县国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要", "") == "five_year_plan"
    assert report_kind("2024年政府工作报告", "") == "work_report"
    assert report_kind("某县第十八届人民代表大会第二次会议隆重开幕", "") == "news"
    assert report_year("政府工作报告", "各位代表：\n一、2015年工作回顾\n", "work_report") == 2016
    assert plan_years(11) == range(2006, 2011) and plan_years(15) == range(2026, 2031)
    assert periods_named("“十五”计划") == [range(2001, 2006)] and periods_named("十五个") == []
    facts = read_facts("2024年三台县政府工作报告\n各位代表：一、2023年工作回顾", 0, 30, "2024年三台县政府工作报告")
    assert facts.years == (2023, 2024) and facts.place == "四川省/绵阳市/三台县" and facts.level == "county"


def test_a_file_of_two_reports_without_tag_lines_splits_in_two():
    one = ("2023年三台县政府工作报告\n——2023年1月5日在三台县第十八届人民代表大会第二次会议上\n各位代表：" + "全县经济稳中向好。" * 40)
    two = ("2022年宜章县政府工作报告\n——2022年1月6日在宜章县第十八届人民代表大会第一次会议上\n各位代表：" + "全县经济稳步增长。" * 40)
    text = one + "\n" + two
    documents = split_documents(SourceText(name="two.txt", text=text))
    assert [(d.facts.place, d.facts.year) for d in documents] == [("四川省/绵阳市/三台县", 2023),
                                                                  ("湖南省/郴州市/宜章县", 2022)]


def test_web_chrome_of_any_site_is_left_out():
    text = ("当前位置：首页 > 政务公开 > 政府工作报告\n分享到：\n【打印】【关闭】\n责任编辑：张三\n2024-01-05 10:00\n"
            "各位代表：全县经济稳中向好。\n")
    kept = "".join(text[a:b] for a, b in indexable_segments(text, 0, len(text)))
    assert kept == "各位代表：全县经济稳中向好。"


def test_a_first_line_that_runs_into_the_text_gives_a_short_title():
    from rag.ingest.documents import find_title
    report = "2020年开封市政府工作报告 1月16日,市长高建军在开封市第十五届人民代表大会第三次会议上作《政府工作报告》 各位代表:"
    assert find_title(report, ((0, len(report)),)) == "2020年开封市政府工作报告"
    news = "3月29日,开阳县第十八届人民代表大会第二次会议在县人民会场开幕。来自全县各行各业的200余名县人大代表肩负重托。"
    assert find_title(news, ((0, len(news)),)) == "3月29日,开阳县第十八届人民代表大会第二次会议在县人民会场开幕"
    bulletin = "2023年宜章縣國民經濟和社會發展統計公報 2023年,宜章縣全面貫徹落實黨的二十大和省委十二屆四次全會精神"
    assert find_title(bulletin, ((0, len(bulletin)),)) == "2023年宜章縣國民經濟和社會發展統計公報"


def test_a_year_in_chinese_numerals_is_read_as_the_reports_year():
    title = "子洲县二〇二三年国民经济和社会发展统计公报"
    text = f"{title}\n子洲县统计局\n2024年4月15日\n2023年,全县实现地区生产总值98.38亿元。"
    facts = read_facts(text, 0, len(text), title)
    assert (facts.kind, facts.year, facts.years) == ("statistics", 2023, (2023,))
    assert facts.place == "陕西省/榆林市/子洲县"


def test_a_bulletin_without_title_is_of_the_one_place_its_opening_names_at_its_own_level():
    text = ("2023年,是全面贯彻落实党的二十大精神的开局之年,也是宁远发展史上极具挑战、极为不易的一年。在县委的坚强领导下,"
            "全县经济运行稳中有进。全年地区生产总值2616611万元。")
    facts = read_facts(text, 0, len(text), text[:40])
    assert facts.place == "湖南省/永州市/宁远县" and facts.notes == ()
    other = text.replace("宁远", "本县")  # no place named: unknown, with the reason
    assert read_facts(other, 0, len(other), other[:40]).notes == ("no place named in the title or the header lines",)



def _years(title: str, body: str):
    facts = read_facts(title + "\n" + body, 0, len(title) + 1 + len(body), title)
    return facts.year, facts.plan_year, facts.years


def test_a_work_report_reviews_the_year_before_the_one_it_plans():
    body = "——2024年1月10日在三台县第十八届人民代表大会第四次会议上\n各位代表：\n一、2023年工作回顾\n全县经济稳中向好。"
    assert _years("2024年政府工作报告", body) == (2024, 2024, (2023, 2024))


def test_a_report_given_at_the_end_of_its_year_reviews_that_year():
    december = "——2021年12月18日在萨尔图区第十二届人民代表大会第一次会议上\n各位代表：\n全区经济稳中向好。"
    assert _years("政府工作报告", december) == (2021, 2022, (2021, 2022))
    town = "(2023年12月26日)\n各位代表：\n2023年工作回顾\n过去一年，全镇经济稳中向好。"
    assert _years("新场镇2023年政府工作报告", town)[1:] == (2024, (2023, 2024))


def test_an_execution_or_completion_report_reviews_the_year_its_title_names():
    execution = "关于宁波市江北区2020年国民经济和社会发展计划执行情况与2021年国民经济和社会发展计划草案的报告"
    assert _years(execution, "各位代表：全区经济稳中向好。") == (2021, 2021, (2020, 2021))
    assert _years("重庆市江北区人民政府2023年政府工作报告完成情况", "2023年,全区实现地区生产总值1744亿元。")[1:] \
        == (2024, (2023, 2024))


def test_a_two_character_district_is_read_right_after_its_city():
    body = "政府工作报告\n——2023223在晋城市城区第\n人民代表大会第次会议上\n区长某某\n各位代表:\n一、2022年工作回顾"
    assert _place("政府工作报告", body)[0] == "山西省/晋城市/城区"


def test_a_county_name_read_inside_other_words_gives_way_to_the_one_the_text_places():
    body = ("政 府 工 作 报 告\n(2023年1月6日在县第十八届人民代表大会第二次会议上)\n县长 某某\n各位代表:\n"
            "2022年是黎平发展史上极不平凡的一年。在省委省政府、州委州政府和县委的坚强领导下,全县上下深入学习贯彻"
            "视察贵州重要讲话精神。")
    assert _place("政 府 工 作 报 告", body)[0] == "贵州省/黔东南苗族侗族自治州/黎平县"


def test_a_report_opening_with_since_a_year_covers_the_years_since():
    body = ("——2021年11月18日在临夏县第十八届\n人民代表大会第一次会议上\n代县长 某某\n各位代表:\n"
            "十七届人民政府工作回顾\n2016年以来,面对艰巨繁重的脱贫攻坚和改革发展任务,全县经济稳中向好。")
    assert _years("政府工作报告", body) == (2021, 2022, (2016, 2017, 2018, 2019, 2020, 2021, 2022))


def test_a_bare_report_takes_its_level_from_the_speakers_title():
    body = ("政 府 工 作 报 告\n── 2023年1月8日在县第十八届人民代表大会第二次会议上\n县长 某某\n各位代表:\n"
            "2022年,是桦川振兴发展进程中极不寻常的一年。打造现代产业园,推动振兴发展。")
    assert _place("政 府 工 作 报 告", body)[0] == "黑龙江省/佳木斯市/桦川县"


def test_a_place_speaking_of_its_own_history_is_the_issuer_not_a_disaster_it_names():
    """"新城发展史上…汶川地震": the report is a 新城区's (which one the text does not say), never 汶川县's."""
    body = ("2011年政府工作报告\n现在,我代表区人民政府向大会做工作报告。\n“十一五”时期,是新城发展史上很不平凡的五年。"
            "五年来,全区人民面对突如其来的汶川地震、冰冻雪灾等灾害。")
    place, why, namesakes = _place("2011年政府工作报告", body)
    assert place is None and "陕西省/西安市/新城区" in namesakes and not any("汶川" in n for n in namesakes)


def test_a_session_news_page_is_about_the_year_it_mostly_names_and_the_years_beside_it():
    body = ("1月16日,龙井市第十九届人民代表大会第五次会议开幕。2025年,全市地区生产总值增长7%。"
            "2025年新建项目12个,2025年新增就业1200人。")
    facts = read_facts("某市人大会议召开\n" + body, 0, len(body) + 9, "某市人大会议召开")
    assert facts.kind == "news" and facts.years == (2024, 2025, 2026)


def test_a_district_the_text_places_in_another_city_is_that_citys_even_when_the_gazetteer_lacks_it():
    """The gazetteer's one 桥东区 is 张家口's (石家庄's was abolished in 2014): a profile that says 位于石家庄 is of
    石家庄's 桥东区, a place the data does not list, with its level and short name."""
    body = "桥东区\n地名由来:因处铁路桥东得名。\n桥东区位于石家庄市区中部,总面积43.07平方公里,全区经济稳步增长。"
    place, why, _ = _place("桥东区", body)
    assert place == "河北省/石家庄市/桥东区" and why == ""
    from rag.places import gazetteer
    rebuilt = gazetteer().get(place)
    assert rebuilt.level == "county" and rebuilt.alias == "桥东" and rebuilt.label == "石家庄市桥东区"
    assert "河北省/石家庄市/桥东区" not in gazetteer().by_key  # rebuilt from its key, not added to the data


def test_a_header_naming_a_city_and_a_district_it_no_longer_has_is_that_district():
    body = "2004年政府工作报告\n——在石家庄市桥东区第十一届人民代表大会第二次会议上\n各位代表:全区经济稳步增长。"
    assert _place("2004年政府工作报告", body)[0] == "河北省/石家庄市/桥东区"
    body = "2004年政府工作报告\n——在张家口市桥东区第十一届人民代表大会第二次会议上\n各位代表:全区经济稳步增长。"
    assert _place("2004年政府工作报告", body)[0] == "河北省/张家口市/桥东区"


def test_a_bulletin_titled_over_two_lines_and_one_that_calls_its_place_only_by_its_short_name():
    text = ("2020年大东区国民经济和社会发展\n统 计 公 报\n大东区统计局\n(2021年4月18日)\n"
            "2020年是极不平凡的一年,在市委、市政府和区委坚强领导下。初步核算,全区实现地区生产总值742.5亿元。")
    [doc] = split_documents(SourceText(name="dadong.txt", text=text))
    assert doc.title == "2020年大东区国民经济和社会发展统计公报"
    assert doc.facts.kind == "statistics" and doc.facts.years == (2020,)
    body = ("根据年快报统计,现将2017年全市国民经济和社会发展情况公报如下:\n2017年,在市委、市政府的正确领导下,"
            "全市各部门紧紧围绕“四个辽阳”建设目标,保持了经济平稳发展。")
    facts = read_facts(body, 0, len(body), body.split("\n")[0])
    assert facts.place == "辽宁省/辽阳市" and facts.kind == "statistics"


def test_a_page_titled_by_a_sentence_is_about_the_place_before_its_colon():
    body = ("长安区地名由来:汉高帝五年置长安县,因长安乡为名。2002年6月2日,国务院批准:撤销长安县,设立西安市长安区。\n"
            "2021年,长安区位列第57位。")
    assert _place("长安区地名由来:汉高帝五年置长安县,因长安乡为名", body)[0] == "陕西省/西安市/长安区"


def test_a_short_name_met_inside_a_phrase_is_no_issuer_without_its_parents():
    """"富强精美现代化新罗庄" reads 新罗 (龙岩's 新罗区), but the text never names 龙岩 or 福建."""
    body = "2022年,全区各级认真践行新发展理念,攻坚克难,“富强精美现代化新罗庄”建设迈出坚实步伐。全区经济稳中向好。"
    assert _place("2022年,全区各级认真践行新发展理念", body)[0] is None


def test_a_title_set_over_three_lines_is_read_whole():
    text = ("2020年日照市\n国民经济和社会发展\n统计公报\n日 照 市 统 计 局\n-2021年3月 -\n"
            "2020年,全市经济社会经受住了空前考验。全市地区生产总值2006.43亿元。")
    [doc] = split_documents(SourceText(name="a.txt", text=text))
    assert doc.title == "2020年日照市国民经济和社会发展统计公报"
    assert (doc.facts.kind, doc.facts.year, doc.facts.place) == ("statistics", 2020, "山东省/日照市")
    text = ("关于琼海市2021年国民经济和社会发展计划\n执行情况与2022年国民经济和社会发展计划\n草案的报告\n"
            "——2022年1月9日在琼海市第十六届\n人民代表大会第一次会议上\n各位代表:\n一、2021年国民经济和社会发展计划执行情况")
    [doc] = split_documents(SourceText(name="b.txt", text=text))
    assert doc.title.endswith("计划草案的报告") and doc.facts.kind == "plan_execution"
    assert (doc.facts.year, doc.facts.years) == (2022, (2021, 2022))


def test_a_half_year_report_reviews_its_own_year():
    body = "2024年颛桥镇人民政府半年工作情况报告\n各位代表:\n我代表颛桥镇人民政府,向大会报告上半年政府工作情况。"
    facts = read_facts(body, 0, len(body), "2024年颛桥镇人民政府半年工作情况报告")
    assert facts.year == 2024 and facts.plan_year == 2025 and 2024 in facts.years


def test_a_half_year_report_under_a_bare_title_line_reviews_its_own_year():
    body = ("政府工作报告\n关于2022年上半年全镇经济社会发展情况和下半年政府工作的报告\n(2022年9月6日在石桥头镇第十八届人民代表大会"
            "第二次会议上)\n各位代表:\n现在,我代表镇人民政府向大会报告上半年全镇经济社会发展情况。")
    facts = read_facts(body, 0, len(body), "政府工作报告")
    assert (facts.year, facts.plan_year) == (2022, 2023) and 2022 in facts.years


def test_an_autumn_session_reviews_its_own_year_unless_it_still_sets_that_years_targets():
    autumn = "——2011年10月12日在七里河区第十七届人民代表大会第一次会议上\n各位代表:\n过去五年政府工作\n五年来,全区经济较快发展。" + "今后五年,全区发展稳中求进。" * 8
    assert _years("七里河区2011年政府工作报告", autumn) == (2011, 2012, tuple(range(2006, 2013)))
    put_off = ("——2020年9月9日在海珠区第十六届人民代表大会第六次会议上\n各位代表:\n一、2019年和今年以来工作回顾\n全区经济稳中向好。"
               "\n二、2020年发展主要目标和下一阶段主要工作\n")
    assert _years("海珠区2020年政府工作报告", put_off) == (2020, 2020, (2019, 2020))


def test_a_report_titled_by_the_year_it_reviews_plans_the_year_it_is_given_in():
    body = "2017年1月9日在乌镇镇第十七届人民代表大会第一次会议上\n各位代表:\n一、过去五年工作简要回顾\n五年来全镇累计实现地区生产总值138.7亿元。"
    year, planned, covered = _years("乌镇镇2016年政府工作报告", body)
    assert (year, planned) == (2016, 2017) and 2016 in covered and 2017 in covered


def test_a_year_in_the_places_history_is_not_the_year_of_a_profile():
    body = "松桃苗族自治县是1956年国务院批准成立的五个苗族自治县之一,位于贵州省东北部。2011年,全县实现生产总值49.4亿元。"
    [doc] = split_documents(SourceText(name="profile.txt", text=body))
    assert doc.facts.year is None and 1956 not in doc.facts.years


def test_a_section_tag_over_a_paragraph_is_no_title():
    text = ("【概 况】 袁州区位于宜春市西南部,是宜春市委、市政府驻地。辖14个镇、8个乡。2009年实现国内生产总值98.93亿元,"
            "增长12.6%。城镇居民人均可支配收入13006元,增长8.9%;")
    [doc] = split_documents(SourceText(name="c.txt", text=text))
    assert doc.title == "袁州区位于宜春市西南部,是宜春市委、市政府驻地"
    assert doc.facts.place == "江西省/宜春市/袁州区"


def test_a_report_that_never_names_its_place_takes_it_from_its_file_name_when_it_fits():
    body = "2022年,全区各级认真践行新发展理念,攻坚克难。\n一、综合\n2022年全区实现生产总值428.70亿元。"
    for name in ("luozhuang_linyi_2022_bulletin.txt", "罗庄区2022年统计公报.txt"):
        [doc] = split_documents(SourceText(name=name, text=body))
        assert doc.facts.place == "山东省/临沂市/罗庄区"
        assert any("file name" in note for note in doc.facts.notes)  # rag index lists where the place came from
    [doc] = split_documents(SourceText(name="mianchi_2022.txt", text=body))  # 渑池县, but the text says 全区
    assert doc.facts.place is None
    [doc] = split_documents(SourceText(name="report_2022.txt", text=body))
    assert doc.facts.place is None
    shared = "政府工作报告\n各位代表:现在,我代表鼓楼区人民政府向大会报告工作。全区经济稳中向好。"
    [doc] = split_documents(SourceText(name="gulou_nanjing_2016.txt", text=shared))  # the name settles namesakes
    assert doc.facts.place == "江苏省/南京市/鼓楼区"
    [doc] = split_documents(SourceText(name="gulou_2016.txt", text=shared))
    assert doc.facts.place is None and len(doc.facts.place_candidates) > 1


def test_a_report_of_no_year_gives_each_part_the_year_its_paragraph_opened_with():
    text = ("桥东区位于市区中部。2004年,在市委、市政府的正确领导下,各项指标呈现出最好的态势。全区地区生产总值完成21.97亿元;"
            "财政收入完成8.85亿元。今年以来,全区经济继续保持良好势头。1—8月份,全区地区生产总值完成12.38亿元。")
    assert running_year(text, 0, text.index("全区地区生产总值完成21.97")) == 2004
    assert running_year(text, 0, text.index("1—8月份")) is False  # turned to 今年: a year the text does not name
    assert running_year(text, 0, text.index("2004年")) is None
