"""A report's facts, read from its own text: issuing place, year, kind, years covered, plan part.

Works for any place: the issuer is found in the title and the header lines (…在龙岗区第七届人民
代表大会…上, 我代表龙岗区人民政府…, 龙岗区人民政府区长…) against the national gazetteer, and a
name several places share (鼓楼区) is settled by the city, province or towns the text names.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from ..places import Place, find_mentions, gazetteer
from ..places.mentions import MIN_ALIAS, alias_table, placed_under, plain_pinyin, word_bounds
from ..textnorm import arabic_years, to_simplified
from ..types import ReportFacts
from .periods import PARTED_KINDS, periods_named, plan_part_start

KIND_PATTERNS = (  # first match wins: a plan-execution report also says 计划
    ("plan_execution", re.compile(r"计划执行情况|计划草案|预算执行情况")),
    ("statistics", re.compile(r"统计公报|国民经济和社会发展[^，。,]{0,4}公报")),  # "…发展情况公报如下"
    ("five_year_plan", re.compile(r"(?:五年规划|规划纲要|远景目标|[十一二三四五六七八九]五.{0,4}规划)"
                                  r"(?![”\"]?(?:实现|开局|圆满|顺利|收官|胜利|目标任务))")),  # not "“十四五”规划实现良好开局"
    ("work_report", re.compile(r"工作报告|政府工作")),
)
NEWS_WORDS = re.compile(r"开幕|闭幕|隆重召开|胜利召开|会议召开|举行[^，。,]{0,8}全体会议|^\d{1,2}月\d{1,2}日[上下]午|主持(?:会议|大会)?|记者|报道|讯[)）]?\s|发布会|出席会议")
HEADER_PATTERNS = (
    re.compile(r"在([^\n，。,]{2,40}?)第[一二三四五六七八九十\d]{0,4}届?人民代表大会"),  # numbers lost: "城区第人民代表大会"
    re.compile(r"([^\n，。,在]{2,20}?)第[一二三四五六七八九十\d]{1,4}届人民代表大会"),
    re.compile(r"代表([^\n，。,]{2,30}?)人民政府"),
    re.compile(r"([^\n，。,\s]{2,30}?)人民政府(?:办公室|区长|县长|市长|镇长|乡长|旗长|州长|盟长|主席)"),
)
YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})年")
# "松桃苗族自治县是1956年国务院批准成立的…": a title's year of an event in the place's history, not the report's
HISTORY_YEAR = re.compile(r"[^，。,；;]{0,10}?(?:成立|设立|建立|建县|建市|建区|建镇|撤县|撤销|撤乡|更名|改名|改称|划归|析置)")
SPEECH_DATE = re.compile(r"((?:19|20)\d{2})年\d{1,2}月\d{1,2}日")
SPEECH_MONTH = re.compile(r"((?:19|20)\d{2})年(\d{1,2})月\d{1,2}日")
PUBLISH_DATE = re.compile(r"(?:发布日期|发布时间|日期)[:：]\s*((?:19|20)\d{2})[-年/.]")
REVIEW_HEADING = re.compile(r"((?:19|20)\d{2})年(?:[^，。,；;\n\d]{0,8}?工作)?(?:回顾|总结)")  # "2012年及过去五年政府工作回顾"
TARGET_YEAR = re.compile(r"(?:到|至|在)((?:19|20)\d{2})年")
LOOK_BACK = re.compile(r"过去五年|五年来|过去的五年|[十][一二三四五六七八九]五.{0,2}时期|届(?:人民)?政府工作回顾|本届政府")
SINCE_YEAR = re.compile(r"((?:19|20)\d{2})年以来")
HEADER_CHARS = 1500
BODY_CHARS = 30000


# "内(nèi)蒙古自治区(qū)": pinyin a web page glosses characters with, which breaks the names it follows
PINYIN_GLOSS = re.compile(r"\((?=[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")


def read_facts(text: str, start: int, end: int, title: str, file_name: str | None = None) -> ReportFacts:
    """Facts of the report in text[start:end] whose title is `title`; `file_name`, for a file that holds this
    report alone, says whose it is when the text does not."""
    body = PINYIN_GLOSS.sub("", arabic_years(to_simplified(text[start:min(end, start + BODY_CHARS)])))
    simple_title = arabic_years(to_simplified(title))
    notes: list[str] = []
    kind = report_kind(simple_title, body[:HEADER_CHARS])
    year = report_year(simple_title, body, kind)
    if year is None and kind == "work_report" and file_name:
        year = year_in_file_name(file_name)  # "lianhu_2017.txt": a speech that never dates itself
        if year is not None:
            notes.append("year read from the file name (none in the title or the date lines)")
    if year is None:
        notes.append("no year in the title or the date lines")
    place, why, namesakes = issuer(simple_title, body)
    named = place_in_file_name(file_name, namesakes, body) if place is None and file_name else None
    calls_itself = _lower_self_name(place, body) if place is not None and file_name else None
    if calls_itself:
        inside = place_in_file_name(file_name, [], body)
        if inside is not None and inside.is_within(place) and inside != place:
            why = f"the text names only {place.name} and calls itself {calls_itself}"
            named, place = inside, None
    moved = _city_in_file_name(file_name, place, body) if place is not None and file_name else None
    if moved is not None:  # "清河区" alone, in qinghe_huaian_2007.txt: 淮安's 清河区 (merged in 2016), not 铁岭's
        why, named = f"the text names only {place.name}; the file name places it in {moved.path[-2]}", moved
    if named is not None:
        place, namesakes = named, []
        notes.append(f"place read from the file name ({why})")
    elif place is None:
        notes.append(why)
    planned = plan_year(kind, year, simple_title, body)
    if kind == "plan_execution" and planned:
        year = planned  # "2020年…计划执行情况与2021年…计划草案的报告" is given in 2021
    plan_start = plan_part_start(text, start, end, planned, body) if kind in PARTED_KINDS else None
    return ReportFacts(title=title, place=place.key if place else None, level=place.level if place else None,
                       year=year, kind=kind, years=tuple(sorted(years_covered(kind, planned or year, simple_title, body,
                                                         year if _given_mid_year(year, body) else None))),
                       plan_start=plan_start, doc_start=start, doc_end=end, notes=tuple(notes),
                       place_candidates=tuple(p.key for p in namesakes), plan_year=planned)


# "全面实施“十四五”规划的关键之年": a plan being carried out is named, the text is not that plan
PLAN_CARRIED_OUT = re.compile(r"(?:实施|落实|推进|贯彻|执行)[“\"]?[十一二三四五六七八九]{1,2}五[”\"]?规划")


def report_kind(title: str, head: str) -> str:
    title, head = PLAN_CARRIED_OUT.sub("", title), PLAN_CARRIED_OUT.sub("", head)
    if NEWS_WORDS.search(title):
        return "news"  # "…会议隆重开幕 张军作政府工作报告" is a headline about the report
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(title):
            return kind
    if re.search(r"向大会(?:作)?(?:政府)?(?:工作)?报告|各位代表", head):
        return "work_report"  # a speech to the people's congress
    if NEWS_WORDS.search(head[:600]):
        return "news"  # a report *about* the congress or the report, in the third person
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(head[:300]):
            return kind
    return "news" if re.search(r"来源[:：]|记者|讯", head[:600]) else "other"


def report_year(title: str, body: str, kind: str) -> int | None:
    """The report's year: from its title, else its speech or publication date."""
    if kind != "five_year_plan":  # a plan's title names 2035 (远景) or its period, not its year
        match = next((m for m in YEAR_IN_TITLE.finditer(title) if not HISTORY_YEAR.match(title, m.end())), None)
        if match:
            return int(match.group(1))
    for pattern in (SPEECH_DATE, PUBLISH_DATE):
        match = next((m for m in _dates(pattern, body[:HEADER_CHARS]) if pattern is not SPEECH_DATE
                      or kind != "other" or _on_date_line(body, m)), None)
        if match:
            return int(match.group(1))
    review = REVIEW_HEADING.search(body[:HEADER_CHARS * 2])
    if review and (kind == "work_report" or (kind == "news" and "工作报告" in title)):
        return int(review.group(1)) + 1  # "一、2015年工作回顾" opens the 2016 report (or the news of it)
    dates = [m for m in _dates(SPEECH_DATE, body) if _on_date_line(body, m)]
    return int(dates[-1].group(1)) if dates else None  # "——2023年05月20日" signs it; "後于1948年1月1日" is history


DATE_LINE_BEFORE = re.compile(r"(?:^|\n|—|\(|（)\s*$")


def _on_date_line(text: str, date: re.Match) -> bool:
    """Does `date` open a line of its own ("——2023年05月20日", "(2020年1月16日在…)")?"""
    return bool(DATE_LINE_BEFORE.search(text[max(0, date.start() - 3):date.start()]))


SET_UP_BEFORE = re.compile(r"(?:成立|设立|建立|设置|建置|撤销|批准|更名|改名|设)(?:于|时间|日期)?\s*[|:：]?\s*$")


def _dates(pattern: re.Pattern, text: str):
    """The dates `pattern` finds in `text`, less those a place was set up on ("設立 | 1983年12月22日")."""
    return (m for m in pattern.finditer(text) if not SET_UP_BEFORE.search(text[max(0, m.start() - 10):m.start()]))


def _plan_period(title: str, body: str) -> range | None:
    """The period a five-year plan is for (十四五 → 2021–2025), from its title or its header."""
    periods = periods_named(title) or periods_named(body[:HEADER_CHARS])
    return periods[0] if periods else None


EXECUTED_YEAR = re.compile(r"((?:19|20)\d{2})年[^，。,]{0,20}?(?:执行|完成|落实)情况")
HALF_YEAR = re.compile(r"半年工作|上半年")
OWN_YEAR_PLAN = r"[^，。,\n]{0,8}(?:主要目标|预期目标|目标任务|工作安排|主要任务|工作任务)"
YEAR_END_MONTH = 11  # from November a report's look-back ends with its own year
LATE_MONTH = 7  # a report given from July of its year (a new congress's autumn session) reviews that year
HEADING_CHARS = 200  # the title lines under a bare first line ("政府工作报告" over "关于2022年上半年…的报告")


def plan_year(kind: str, year: int | None, title: str, body: str) -> int | None:
    """The year a work report or plan-execution report plans for: the year it is given, or the year after the one
    its review heading or title names ("2023年工作回顾" in a town's report of December 2023; "2020年…计划执行
    情况"); None for other kinds."""
    if kind == "five_year_plan":  # it plans from its period's first year and reviews the period before
        period = _plan_period(title, body)
        return period.start if period else None
    if year is None or kind not in ("work_report", "plan_execution"):
        return None
    executed = EXECUTED_YEAR.search(title)  # "2023年政府工作报告完成情况" reviews 2023
    if executed:
        return int(executed.group(1)) + 1
    if HALF_YEAR.search(title) or HALF_YEAR.search(body[:HEADING_CHARS].split("各位代表")[0]):
        return year + 1  # "2024年…半年工作情况报告" reviews the first half of 2024
    review = REVIEW_HEADING.search(body[:HEADER_CHARS * 2])
    if review and int(review.group(1)) == year:
        return year + 1
    if re.search(rf"预计\s*{year}\s*年", body[:HEADER_CHARS * 2]) and not re.search(rf"{year}年{OWN_YEAR_PLAN}", body):
        return year + 1  # "预计2007年地区生产总值达到33亿元" in a 2007 report: it reviews 2007 (a late-year session)
    given = SPEECH_MONTH.search(body[:HEADER_CHARS])
    if given and int(given.group(1)) == year and int(given.group(2)) >= LATE_MONTH \
            and not re.search(rf"{year}年{OWN_YEAR_PLAN}", body):
        return year + 1  # "——2021年10月12日在西湖区第十七届人民代表大会…" reviews 2021 (not a session put off to
        # September that still sets "2020年发展主要目标")
    if given and int(given.group(1)) == year + 1:
        return year + 1  # "2016年政府工作报告" given on 2017年1月9日: titled by the year it reviews
    return year


def _given_mid_year(year: int | None, body: str) -> bool:
    """Given between July and October of its year (a new congress's first session): it reviews the five years
    before that year as well as the year so far."""
    given = SPEECH_MONTH.search(body[:HEADER_CHARS])
    return bool(given) and int(given.group(1)) == year and LATE_MONTH <= int(given.group(2)) < YEAR_END_MONTH


def years_covered(kind: str, year: int | None, title: str, body: str, given_year: int | None = None) -> set[int]:
    """Years a report is about (`year` is a work report's plan year, `given_year` the year it is given in); for
    news and others the years they mostly name, or the year of their title."""
    if kind == "five_year_plan":
        period = _plan_period(title, body)
        covered = set(period) if period else set()
        if covered:
            covered |= set(range(min(covered) - 5, min(covered)))  # the plan reviews the period before
        elif year:
            covered = set(range(year - 1, year + 5))
        return covered
    if kind == "other" and year and YEARBOOK.search(title):
        return {year - 1}  # "2020年铜陵市郊区年鉴" records 2019
    if kind in ("news", "other"):
        mostly = _mostly_about(body)
        if not mostly and kind == "other" and year and YEAR_IN_TITLE.search(title):
            return {year}  # "2022年,面对…全县经济稳中向好": a page titled by its year is about that year
        return mostly
    if year is None:
        return set()
    if kind == "statistics":
        return {year}
    if kind == "plan_execution":
        return {year - 1, year}
    if kind == "work_report":
        covered = {year - 1, year} | target_years(year, body)
        if LOOK_BACK.search(body[:len(body) // 2]):
            covered |= set(range(year - 5, year))
            if given_year and given_year < year:  # "过去五年…" given in July 2021: 2016–2020 and 2021 so far
                covered |= set(range(given_year - 5, given_year))
        since = SINCE_YEAR.search(body[:HEADER_CHARS])  # "2016年以来,面对…" opens a review of the years since
        if since and year - 6 <= int(since.group(1)) < year:
            covered |= set(range(int(since.group(1)), year))
        return covered
    return set()


YEARBOOK = re.compile(r"(?:19|20)\d{2}\s*年?[^\n，。,]{0,20}年鉴")
MOSTLY = 0.5  # share of a page's year mentions that one year must hold for the page to be about it


def _mostly_about(body: str) -> set[int]:
    """The years a news page or untitled text is about, when one year holds most of its year mentions: that
    year and the ones beside it ("2022年是…" in a report on the 2023 session); empty when it speaks of many."""
    mentions = Counter(int(y) for y in re.findall(r"(?<![\d-])((?:19|20)\d{2})年(?!\d)", body))
    if not mentions:
        return set()
    year, count = mentions.most_common(1)[0]
    if count < 2 or count < MOSTLY * sum(mentions.values()):
        return set()
    return {year - 1, year, year + 1}  # a session's page reviews last year; a news page looks back one year


def target_years(year: int, body: str) -> set[int]:
    """Later years a report sets targets for ("到2025年…"), up to the end of the next plan period."""
    return {int(y) for y in TARGET_YEAR.findall(body) if year < int(y) <= year + 6}


def _header_strings(title: str, body: str) -> list[str]:
    named = re.split(r"[:：]", title, maxsplit=1)[0]  # "长安区地名由来:汉高帝五年置长安县…": who the page is about
    strings = [named, title] if named != title else [title]
    head = re.sub(r"\s+", "", body[:HEADER_CHARS])  # header lines are often broken mid-name
    for pattern in HEADER_PATTERNS:
        strings += [m.group(1) for m in pattern.finditer(head)]
    return strings


@lru_cache(maxsize=1)
def _plain_aliases():
    return alias_table(gazetteer(), ())


def issuer(title: str, body: str) -> tuple[Place | None, str, list[Place]]:
    """The government that issued the report, or (None, why not, the namesakes it may be)."""
    gaz = gazetteer()
    aliases = _plain_aliases()
    located = _located_in_opening(title, gaz, aliases, body)
    if len(located) == 1:  # a page titled by its first paragraph: "西安区位于…牡丹江市…,下辖温春镇…"
        return located[0], "", []
    for text in _header_strings(title, body):
        mentions = placed_under(find_mentions(text, gaz, aliases, english=False), gaz, text)
        if not mentions:
            continue
        deepest = max(mentions, key=lambda m: max(len(p.path) for p in m.candidates))
        candidates = list(deepest.candidates)
        qualifiers = [p for m in mentions if m is not deepest for p in m.candidates]
        narrowed = [c for c in candidates if any(c.is_within(q) and c != q for q in qualifiers)]
        candidates = narrowed or candidates
        if len(candidates) > 1:
            candidates = _by_context(candidates, body)
        if len(candidates) == 1:
            other = _other_city(candidates[0], body, gaz, aliases)
            if other is not None:  # "桥东区位于石家庄市区中部": that city's 桥东区, listed or not
                return gaz.under(other, candidates[0].name), "", []
            return candidates[0], "", []
        names = "、".join(c.key for c in candidates)
        return None, f"{deepest.text} names several places ({names}) and the text does not tell which", candidates
    own = [] if any(not m.group(1).endswith(SELF_WORDS) for m in TITLE_NAMES_A_PLACE.finditer(title)) \
        else _located_in_opening(body, gaz, aliases) or _named_in_opening(body, gaz, aliases)
    if len(own) == 1:
        other = _other_city(own[0], body, gaz, aliases)
        if other is not None:
            return gaz.under(other, own[0].name), "", []
        return own[0], "", []
    if own:
        names = "、".join(p.key for p in own)
        return None, f"the opening names {own[0].name}, one of several places ({names}), and does not tell which", own
    return None, "no place named in the title or the header lines", []


FILE_NAME_WORD = re.compile(r"[a-z]+")
SELF_PLACE = re.compile(r"全(区|县|市|旗|镇|乡|街道)")  # how a report names its own place: 全区, 全县…


FILE_NAME_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def year_in_file_name(file_name: str) -> int | None:
    """The one year a file's name writes ("莲湖区2017年政府工作报告.txt", "lianhu_xian_2017.txt"), if one."""
    years = set(FILE_NAME_YEAR.findall(file_name.rsplit(".", 1)[0]))
    return int(years.pop()) if len(years) == 1 else None


def _lower_self_name(place: Place, body: str) -> str | None:
    """"是蘭州市的中心區…全區地區生產總值": 全区, when a page about a district names only the city (or province)
    around it; None otherwise."""
    own = SELF_PLACE.search(body[:HEADER_CHARS])
    lower = own is not None and SELF_LEVEL.get(own.group()) == "county" and place.level in ("city", "province")
    return own.group() if lower else None


def place_in_file_name(file_name: str, namesakes: list[Place], body: str) -> Place | None:
    """The place a report's file name gives ("罗庄区2022年统计公报.txt", "luozhuang_linyi_2022_bulletin.txt") when its
    text names none or a name several places share: one place, with its city where pinyin alone is ambiguous, of
    the kind of place the text calls itself (全区, 全县); None when the name does not tell one."""
    stem = to_simplified(file_name.rsplit(".", 1)[0])
    gaz = gazetteer()
    found = [c for m in placed_under(find_mentions(stem, gaz, _plain_aliases(), english=False), gaz, stem)
             for c in m.candidates]
    if not found:
        table = plain_pinyin()
        spelled = [table.get(word, []) for word in FILE_NAME_WORD.findall(stem.lower())]
        spelled = [places for places in spelled if places]
        located = [p for places in spelled for p in places
                   if any(p.is_within(o) and p != o for other in spelled if other is not places for o in other)]
        found = located or (spelled[0] if len(spelled) == 1 else [])
    deepest = max((len(p.path) for p in found), default=0)
    found = list(dict.fromkeys(p for p in found if len(p.path) == deepest))
    if namesakes:  # the namesake the name writes, or the one inside the place it writes ("shagou_yishui")
        found = [p for p in found if p in namesakes] or [n for n in namesakes if any(
            n.is_within(p) and n != p for p in found)]
    own = SELF_PLACE.search(body[:HEADER_CHARS])
    if len(found) != 1 or (own and not found[0].name.endswith(own.group(1))):
        return None
    return found[0]


def _city_in_file_name(file_name: str, place: Place, body: str) -> Place | None:
    """The place of that name in another city, when the text names a district or county without its city and the
    file name spells the name and that other city ("qinghe_huaian_2007.txt" for a text that writes only 清河区, a name
    the data now gives only to 铁岭's); None when the file name agrees with the text or does not tell."""
    gaz = gazetteer()
    if place.level not in ("county", "town") or _parents_named(place, body, gaz):
        return None
    words = FILE_NAME_WORD.findall(to_simplified(file_name.rsplit(".", 1)[0]).lower())
    table = plain_pinyin()
    if not any(place in table.get(word, []) for word in words):
        return None
    cities = {p for word in words for p in table.get(word, []) if p.level == "city"}
    if not cities or any(place.is_within(city) for city in cities) or len(cities) != 1:
        return None
    return gaz.under(cities.pop(), place.name)


def _other_city(place: Place, body: str, gaz, aliases) -> Place | None:
    """A city of the place's province that the opening names while never naming the place's own city
    ("桥东区位于石家庄市区中部": the gazetteer's one 桥东区 is 张家口's; 石家庄's was abolished): that city."""
    parents = gaz.parents(place)
    own_city = next((p for p in parents if p.level == "city"), None)
    province = parents[-1] if parents else None
    if own_city is None or province is None or _named_in(own_city, body):
        return None
    opening = body[:OPENING_CHARS]
    named = [p for m in find_mentions(opening, gaz, aliases, english=False) for p in m.candidates
             if p.level == "city" and p.is_within(province) and p != own_city
             and (opening[max(0, m.start - 2):m.start] == "位于" or CONTAINER_AFTER.match(opening, m.end))]
    return named[0] if named else None


CONTAINER_AFTER = re.compile(r"市?(?:区中|委|政府|第)")  # "位于石家庄市区中部", "在…市委、市政府的领导下"


SELF_WORDS = ("全", "本", "我")  # "现将2017年全市国民经济…公报如下": the report's own place, not a name
TITLE_NAMES_A_PLACE = re.compile(r"([\u4e00-\u9fff]{2,8})[省市州盟县区旗镇乡](?:人民)?(?:政府|国民经济|统计|[\d一二三四五六七八九十〇]+年)")
SELF_LEVEL = {"全县": "county", "全区": "county", "全旗": "county", "全市": "city", "全州": "city", "全盟": "city"}
SPEAKER_LEVEL = {"县长": "county", "区长": "county", "旗长": "county", "州长": "city", "盟长": "city", "镇长": "town",
                 "乡长": "town"}  # a title written alone, at a line's start ("县长 李水泉"), not "副县长" within a name
OPENING_CHARS = 600
HISTORY_CUE = re.compile(r"(?:是|为)?([\u4e00-\u9fff]{2,4}?)(?:发展史上|发展历程中|发展进程中)")
ZONE_ENDINGS = ("开发区", "园区", "管理区", "示范区", "试验区", "合作区")  # zones whose short names (产业园) are words


LOCATED = re.compile(r"\s*(?:位于|地处|坐落)")


def _located_in_opening(body: str, gaz, aliases, context: str | None = None) -> list[Place]:
    """"【概况】奈曼旗位于…": the place a profile or yearbook entry opens by locating, with its namesakes when the
    text (`context`, else `body`) does not tell them apart; [] when the opening locates no place by its full name."""
    opening = body[:OPENING_CHARS]
    for mention in find_mentions(opening, gaz, aliases, english=False):
        if mention.kind == "name" and LOCATED.match(opening, mention.end):
            candidates = list(mention.candidates)
            return _by_context(candidates, context or body) if len(candidates) > 1 else candidates
    return []


def _named_in_opening(body: str, gaz, aliases) -> list[Place]:
    """A report with no title or header place (a bulletin's bare text): the place of the level it calls itself
    (全县, 全区…) that its opening names ("也是宁远发展史上…全县上下"), as a one-item list; the namesakes it may
    be when it speaks of its own history under a shared name; [] when it is not clear. Not used when the title
    names a place the gazetteer lacks (示例区政府工作报告): that title says who issued it."""
    opening = body[:OPENING_CHARS]
    levels = {level for word, level in SELF_LEVEL.items() if word in opening}
    if not levels:  # "在县第十八届人民代表大会…县长 李水泉": the speaker's title gives the level
        levels = {level for word, level in SPEAKER_LEVEL.items() if re.search(rf"(?<![\u4e00-\u9fff]){word}", opening)}
    if len(levels) != 1:
        return []
    level = levels.pop()
    own = HISTORY_CUE.search(opening)  # "是新城发展史上很不平凡的五年": the place speaking of its own history
    if own:
        named = _named_as_words(own.group(1), gaz, level, whole=False)
        named = {k: p for k, p in named.items() if own.group(1).startswith((p.alias, p.name))} or named
        if named:
            return _the_ones(named, body)
    named = {p.key: p for m in find_mentions(opening, gaz, aliases, english=False) for p in m.candidates
             if p.level == level and (not p.name.endswith(ZONE_ENDINGS) or p.name in opening)}
    one = _the_ones(named, body)
    if len(one) != 1:
        one = _the_ones(_named_as_words(opening, gaz, level), body)
    # a short name met in passing ("新罗庄" reads 新罗) is the issuer only when the text also names its parents
    return one if len(one) == 1 and (one[0].name in body or _parents_named(one[0], body, gaz)
                                     or _ends_a_word(one[0].alias, body)) else []


def _ends_a_word(alias: str, body: str) -> bool:
    """The short name written where a word ends ("四个辽阳”建设"), not inside a longer name ("新罗庄")."""
    return bool(re.search(rf"{re.escape(alias)}(?![\u4e00-\u9fff])", body))


def _parents_named(place: Place, body: str, gaz) -> bool:
    return any(_named_in(p, body) for p in gaz.parents(place))


def _named_in(place: Place, body: str) -> bool:
    """Does the text write the place's name, or its short name when that is long enough to tell?"""
    return place.name in body or (len(place.alias) >= MIN_ALIAS and place.alias in body)


def _named_as_words(opening: str, gaz, level: str, whole: bool = True) -> dict[str, Place]:
    """Places of `level` whose short name the opening writes as a word of its own, even a common word (宁远);
    with `whole` False, anywhere in it."""
    found: dict[str, Place] = {}
    bounds = None
    for alias, places in gaz.by_alias.items():
        at = opening.find(alias) if len(alias) >= MIN_ALIAS else -1
        if at < 0:
            continue
        bounds = bounds if bounds is not None else word_bounds(opening)
        if not whole or (at in bounds and at + len(alias) in bounds):
            found.update({p.key: p for p in places if p.level == level and not p.name.endswith(ZONE_ENDINGS)})
    return found


def _the_ones(found: dict[str, Place], body: str) -> list[Place]:
    """Of several places, those whose parents the text names most ("州委州政府和县委" reads 和县 too)."""
    return _by_context(list(found.values()), body) if len(found) > 1 else list(found.values())


def _by_context(candidates: list[Place], body: str) -> list[Place]:
    """Namesakes told apart by the parents and towns the text names (a 鼓楼区 report naming 福州)."""
    gaz = gazetteer()
    scores = []
    for candidate in candidates:
        score = 0.0
        for parent in gaz.parents(candidate):
            score += body.count(parent.name) + (body.count(parent.alias) if len(parent.alias) >= 2 else 0)
        for child in gaz.children.get(candidate.key, []):
            score += 0.5 * (child.name in body)
        scores.append(score)
    best = max(scores)
    return [c for c, s in zip(candidates, scores) if s == best] if best > 0 else candidates
