"""Report vocabulary: English terms and Chinese abbreviations → the wording the reports use.

Used to expand queries for BM25 (which cannot match 'GDP' to 地区生产总值) and to give the
multilingual embedder Chinese anchor words for English questions.
"""
from __future__ import annotations

import re

# Longest phrases first within each entry's alternatives; matching is case-insensitive on word edges.
ENGLISH_TERMS: dict[str, str] = {
    "gdp": "地区生产总值", "gross domestic product": "地区生产总值", "gross regional product": "地区生产总值",
    "economic output": "地区生产总值", "growth": "增长", "grew": "增长", "increase": "增长 新增",
    "target": "目标 预期目标", "goal": "目标", "plan": "规划", "five-year plan": "五年规划",
    "13th five-year": "十三五", "14th five-year": "十四五", "work report": "政府工作报告",
    "industrial output": "工业产值 工业总产值", "output value": "产值", "above-designated-size": "规上",
    "above designated size": "规上", "industry": "工业 产业", "industrial": "工业",
    "fixed asset investment": "固定资产投资", "fixed-asset investment": "固定资产投资",
    "retail sales": "社会消费品零售总额", "consumer goods": "社会消费品零售总额", "consumption": "消费",
    "tax revenue": "税收收入", "tax": "税收", "taxes": "税收", "tax cuts": "减税降费",
    "general public budget revenue": "一般公共预算收入", "budget revenue": "一般公共预算收入",
    "fiscal revenue": "财政收入 财政总收入 一般公共预算收入", "total fiscal revenue": "财政总收入",
    "local fiscal revenue": "地方财政收入", "budget": "预算", "revenue": "收入",
    "foreign investment": "外资 实际利用外资", "utilized foreign": "实际利用外资", "foreign trade": "外贸 进出口",
    "exports": "出口", "export": "出口", "imports": "进口", "import": "进口", "import and export": "进出口",
    "imports and exports": "进出口", "total retail sales": "社会消费品零售总额",
    "high-tech enterprises": "高新技术企业", "high-tech": "高新技术", "enterprises": "企业", "companies": "企业",
    "firms": "企业", "r&d": "研发经费", "research and development": "研发", "innovation": "创新",
    "patents": "专利", "patent": "专利", "invention patents": "发明专利", "5g": "5G 基站",
    "base stations": "基站", "elevators": "加装电梯", "elevator": "加装电梯", "school places": "学位",
    "schools": "学校", "school": "学校", "kindergarten": "幼儿园", "kindergartens": "幼儿园", "teachers": "教师",
    "hospital": "医院", "hospitals": "医院", "beds": "床位", "doctors": "医生", "medical": "医疗",
    "health": "健康 卫生", "life expectancy": "人均期望寿命", "elderly": "养老 长者", "pension": "养老",
    "forest coverage": "森林覆盖率", "forest": "森林", "green": "绿化 绿色", "parks": "公园", "park": "公园",
    "air quality": "空气质量 空气", "good air quality": "空气优良 优良天数", "days": "天数",
    "pm2.5": "PM2.5", "water quality": "水质", "sewage": "污水",
    "garbage": "垃圾", "waste": "垃圾 固废", "pollution": "污染", "ecological": "生态",
    "charging": "充电", "charging ports": "充电端口", "charging piles": "充电桩", "electric bicycles": "电动自行车",
    "electric bikes": "电动自行车", "metro": "地铁 轨道交通", "subway": "地铁", "rail": "轨道交通 铁路",
    "roads": "道路", "road": "道路", "highway": "高速公路", "bridge": "桥", "airport": "机场", "port": "港口",
    "employment": "就业", "jobs": "就业 岗位", "unemployment": "失业", "urban": "城镇 城市", "rural": "农村 乡村",
    "villages": "村", "village": "村", "town": "镇", "district": "区", "city": "市",
    "income": "收入", "disposable income": "可支配收入", "per capita": "人均", "residents": "居民",
    "population": "常住人口 人口", "permanent residents": "常住人口", "poverty": "贫困 脱贫",
    "housing": "住房", "affordable housing": "保障性住房", "old neighborhoods": "老旧小区",
    "old neighbourhoods": "老旧小区", "old residential": "旧楼宇 老旧小区", "renovation": "改造", "renovated": "改造",
    "retrofitted": "加装", "urban renewal": "城市更新", "investment attraction": "招商引资",
    "attract investment": "招商引资", "projects": "项目", "project": "项目", "key projects": "重点项目",
    "agriculture": "农业", "grain": "粮食", "farmland": "耕地", "tourism": "旅游", "tourists": "游客",
    "visitors": "游客", "culture": "文化", "digital government": "数字政府", "digital": "数字",
    "video conferencing": "视频会议", "self-service": "自助", "government services": "政务服务",
    "service items": "服务事项", "market entities": "市场主体", "business environment": "营商环境",
    "listed companies": "上市公司", "headquarters": "总部", "finance": "金融", "financial": "金融",
    "epidemic": "疫情", "covid": "疫情 新冠", "vaccination": "疫苗接种", "safety": "安全",
    "mayor": "市长", "district head": "区长", "town head": "镇长", "delivered": "报告", "speech": "报告",
    "development zone": "开发区", "economic and technological development zone": "经济技术开发区",
    "ranking": "排名 位", "ranked": "排名 位", "rank": "排名 位", "area": "面积", "square kilometers": "平方公里",
    "hectares": "公顷", "mu": "亩", "billion yuan": "亿元", "yuan": "元", "percent": "%",
    "deputies": "代表", "deputy": "代表", "representatives": "代表", "leave": "请假", "absent": "缺席 请假",
    "session": "会议", "attended": "实到 出席", "actually attended": "实到", "present": "实到 出席",
    "should attend": "应到 应出席", "expected to attend": "应到 应出席",
    "people's congress": "人民代表大会 人大", "congress": "人民代表大会 人大", "honors": "荣获 称号",
    "honours": "荣获 称号", "titles": "称号 荣获", "awarded": "荣获 获评",
    "value added": "增加值", "value-added": "增加值", "added value": "增加值",
    "primary industry": "第一产业", "secondary industry": "第二产业", "tertiary industry": "第三产业",
    "service industry": "服务业", "services": "服务业", "unemployment rate": "失业率", "gross output": "总产值",
    "per capita gdp": "人均地区生产总值 人均GDP 人均生产总值", "gdp per capita": "人均地区生产总值 人均GDP 人均生产总值",
    "agriculture, forestry, animal husbandry and fishery": "农林牧渔业",
    "cluster": "产业集群", "clusters": "产业集群", "industrial clusters": "产业集群",
}
CHINESE_SYNONYMS: dict[str, str] = {
    "gdp": "地区生产总值", "经开区": "经济技术开发区", "生产总值": "地区生产总值", "财政收入": "一般公共预算收入",
    "研发投入": "研发经费", "高企": "高新技术企业", "人口": "常住人口", "十四五": "十四五 2025年",
    "社零": "社会消费品零售总额", "荣誉称号": "荣获 获评", "获得了哪些": "荣获", "人代会": "人民代表大会", "固投": "固定资产投资", "外资": "实际利用外资", "营收": "营业收入",
}
_ENGLISH = sorted(ENGLISH_TERMS, key=len, reverse=True)
_ENGLISH_RE = re.compile(r"(?<![a-z])(" + "|".join(re.escape(t) for t in _ENGLISH) + r")(?![a-z])")


def english_concepts(question: str) -> list[list[str]]:
    """For each English term in `question`, the report wordings that can stand for it (any one suffices)."""
    return [ENGLISH_TERMS[m.group(1)].split() for m in _ENGLISH_RE.finditer(question.lower())]


def expansion_terms(question: str) -> list[str]:
    """Chinese report wording for the English terms and abbreviations in `question`."""
    lower = question.lower()
    terms: list[str] = []
    for match in _ENGLISH_RE.finditer(lower):
        for word in ENGLISH_TERMS[match.group(1)].split():
            if word not in terms:
                terms.append(word)
    for short, full in CHINESE_SYNONYMS.items():
        if short in lower:
            for word in full.split():
                if word not in terms and word not in question:
                    terms.append(word)
    return terms
