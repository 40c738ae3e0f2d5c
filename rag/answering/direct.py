"""The direct answer an extractive reply opens with: the value, with its unit, for the asked place and year."""
from __future__ import annotations

import re

from ..places import gazetteer
from ..retrieval.glossary import LATIN_ABBREVIATIONS
from ..retrieval.query import QueryAnalysis
from ..textnorm import squeeze_spaces, to_simplified
from ..types import Passage
from .extractive import (
    GROWTH_ASKED,
    LATIN_ABBREVIATION,
    MARK_CUE,
    PART_ASKED,
    PART_OF_YEAR,
    RANK_ASKED,
    SESSION_WHICH_ASKED,
    SESSION_WRITTEN,
    TARGET_ASKED,
    asks_amount,
    at_asked_session,
    metric_span_end,
)

# a figure after three capitals is still one ("(GDP161.19亿元"), not the 2.5 of PM2.5 or the 4 of 4G
UNITS = (r"周年|亿斤|万斤|斤|微克/立方米|毫克/立方米|微克|毫克|公斤|千克|立方米|千瓦时|万千瓦|千瓦|兆瓦|标箱|小时|分钟|岁|万亿元|亿元|万元|元|亿美元|万美元|美元|平方公里|平方千米|平方米|万平方米|公里|千米|公顷|万亩|亩|万吨|吨|万人次|人次|万人|人|"
         r"万户|户|头只|头|只|个百分点|百分点|%|％|‰|倍|家|个|项|台|套|座|所|条|件|辆|张|天|处|批|宗|名|位|起|场|例|艘|架|册|篇|株|棵|万|亿")
QUANTITY = re.compile(rf"(?:(?<![\d.A-Za-z])|(?<=[A-Z]{{3}}))((?<![\d.])-?\d+(?:[,，]\d{{3}})*(?:\.\d+)?(?:[-~～]\d+(?:\.\d+)?(?=\s*[%％]))?)\s*"
                      rf"(?:[多余](?=(?:万亿|亿|万|千|百)?(?:{UNITS})))?((?:万亿|亿|万|千|百)?(?:{UNITS})|万亿|亿|万)?")  # "20多个"
QUOTES = set("“”\"'‘’「」")
LISTING = re.compile(r"哪些|哪几|哪个|哪项|哪三|哪两|哪四|什么|是谁|which|what are|who", re.I)
GROWTH_WORD = re.compile(r"增长|增速|增幅|提高|上升|下降|增加")
YEAR_OR_ORDINAL = re.compile(r"^(?:19|20)\d{2}$")


def _quantities(text: str) -> list[re.Match]:
    found = []
    for match in QUANTITY.finditer(text):
        number, unit = match.group(1), match.group(2)
        after = text[match.end(1):match.end(1) + 1]
        if YEAR_OR_ORDINAL.match(number) and (after in "年" or not unit):
            continue  # a year, not a quantity
        if not unit and "." not in number and len(number) < 3:
            continue  # list numbers, "4G": too bare to state as an answer
        if not unit and text[match.start() - 1:match.start()] in QUOTES and text[match.end():match.end() + 1] in QUOTES:
            continue  # "以“885”工作机制为导引": a name, not a figure
        found.append(match)
    return found


def _scale(quantity: re.Match) -> str:
    """A figure's unit with 元 left out: "突破60亿" and "达到74.23亿元" are in one measure."""
    return (quantity.group(2) or "").removesuffix("元")


RATIO = re.compile(r"\d+(?:\.\d+)?(?:\s*[∶:]\s*\d+(?:\.\d+)?){1,3}")
RATIO_ASKED = re.compile(r"结构|之比|比例关系|\bratio\b|\bstructure\b", re.I)


def _ratio(text: str) -> str | None:
    """"三次产业结构由上年的23.5∶25.4∶51.1调整为12.2∶23.2∶64.6": the ratio reached (the last one written)."""
    ratios = [m for m in RATIO.finditer(text) if not re.fullmatch(r"\d{1,2}:\d{2}", m.group())]  # not a time
    return ratios[-1].group() if ratios else None


def _clause_before(text: str, position: int) -> str:
    """The text from the last comma or stop before `position` up to it."""
    return text[max(text.rfind(mark, 0, position) for mark in ",，、;；。") + 1:position]


def is_threshold(sentence: str, value: str) -> bool:
    """"跨入3000亿元俱乐部", "突破1000亿元": a mark passed, not the figure itself."""
    text = to_simplified(sentence)
    position = text.find(value)
    return position > 0 and _after_mark(text, position)


def _after_mark(text: str, position: int) -> bool:
    """Is the figure at `position` written right after a mark word (突破, 跨入…)?"""
    return bool(MARK_CUE.search(text[max(0, position - 3):position]))


def _marks(text: str, quantities: list[re.Match]) -> set[int]:
    """Where the marks passed start, a run of them included: both of "迈上4000亿、300亿两大台阶"."""
    marks: set[int] = set()
    for previous, quantity in zip([None, *quantities], quantities):
        if _after_mark(text, quantity.start()) or (previous is not None and previous.start() in marks and
                                                   LIST_SEPARATOR.fullmatch(text[previous.end():quantity.start()].strip())):
            marks.add(quantity.start())
    return marks


HEAD_WORDS = {"产量", "面积", "人数", "总值", "增加值", "产值", "收入", "总额", "支出", "投资额", "投资", "销售额", "营业额", "利润", "余额"}
SHARE_HEADS = {"占比", "比重", "比例", "覆盖率"}
SHARE_ASKED = re.compile(r"\b(?:what share|what proportion|what percentage|what percent)\b", re.I)
HEAD_REACH = 30  # characters after the asked word within which its head still belongs to it


def direct_value(sentence: str, analysis: QueryAnalysis, asked_unit: str | None, metric_words: list[str]) -> str | None:
    """The figure in `sentence` that answers the question, with its unit (and the noun it counts, when the
    question names it: "9个街道办事处"); None when it is not clear."""
    text = squeeze_spaces(to_simplified(sentence))
    value = _count_of_noun(text, analysis) or _count_before_word(text, analysis, metric_words) \
        or _figure_of(text, analysis, asked_unit, metric_words)
    return _with_counted_noun(text, value, analysis) if value else value


# "邮政编码是多少", "postal code": a code is answered with the digits written after its name, never a count
CODES = ((re.compile(r"邮政编码|邮编|postal code|post ?code|zip code", re.I), r"邮政编码|邮编"),
         (re.compile(r"区号|area code|dialling code", re.I), r"区号"),
         (re.compile(r"(?:区划|行政)代码|division code", re.I), r"(?:区划|行政)代码|代码"))


def _code(text: str, analysis: QueryAnalysis) -> str | None:
    for asked, written in CODES:
        if asked.search(analysis.simplified):
            match = re.search(rf"(?:{written})\s*(?:[:：|为是]\s*)?(\d{{3,}})", text)
            return match.group(1) if match else None
    return None


def _count_of_noun(text: str, analysis: QueryAnalysis) -> str | None:
    """"辖1个镇、9个街道办事处" asked "几个街道办事处": the count written right before the noun asked about."""
    asked = COUNTED_NOUN.search(analysis.simplified)
    if not asked:
        return None
    measure, noun = asked.groups()
    counts = [q for q in _quantities(text) if (q.group(2) or "").endswith(measure) and text.startswith(noun[:2], q.end())]
    return _as_written(text, counts[0]) if len(counts) == 1 else None


def _count_before_word(text: str, analysis: QueryAnalysis, metric_words: list[str]) -> str | None:
    """"How many ethnic groups…" and "…等36个民族": the count written right before the asked word, with it."""
    if not analysis.english or not HOW_MANY.search(analysis.simplified):
        return None
    counts = [(q, w) for w in metric_words if len(w) >= 2 for q in _quantities(text)
              if q.group(2) in COUNT_MEASURES and text.startswith(w, q.end())]
    return _as_written(text, counts[0][0]) + counts[0][1] if counts else None


HOW_MANY = re.compile(r"\bhow many\b", re.I)
COUNT_ASKED = re.compile(r"\bhow many\b|多少(?![万亿千百]?元)|几", re.I)
COUNT_MEASURES = ("个", "家", "项", "座", "所", "条", "件", "名", "位", "批", "处")
COUNTED_NOUN = re.compile(r"(?:多少|几)([个家项座所台套条件名位批处])([\u4e00-\u9fff]{2,8})")


def _with_counted_noun(text: str, value: str, analysis: QueryAnalysis) -> str:
    """"辖1个镇、9个街道办事处" asked "几个街道办事处": 9个街道办事处, the count with the noun it counts."""
    asked = COUNTED_NOUN.search(analysis.simplified)
    at = text.find(value)
    if not asked or at < 0 or not value.endswith(asked.group(1)):
        return value
    after, noun = text[at + len(value):], asked.group(2)
    shared = next((noun[:n] for n in range(len(noun), 1, -1) if after.startswith(noun[:n])), "")
    rest = NOUN_END.match(after, len(shared)) if shared else None  # "12个街道办事处、50个村": the noun as written
    return value + shared + (rest.group() if rest else "")


NOUN_END = re.compile(r"[\u4e00-\u9fff]{0,4}?(?=[,，、。;；:：()（）和与及\s]|$)")


def _figure_of(text: str, analysis: QueryAnalysis, asked_unit: str | None, metric_words: list[str]) -> str | None:
    code = _code(text, analysis)
    if code is not None:
        return code
    session = SESSION_WRITTEN.search(text) if SESSION_WHICH_ASKED.search(analysis.simplified) else None
    if session:
        return session.group()  # "第七届人民代表大会第八次会议", not the 第八 of a rank
    if RANK_ASKED.search(analysis.simplified):
        return _rank(text, metric_words, analysis.asked_years, rank_scopes(analysis))
    if RATIO_ASKED.search(analysis.simplified) and _ratio(text):
        return _ratio(text)
    quantities = _quantities(text)
    every = quantities  # a span's figures in every unit ("由13677户49479人减至887户1472人")
    if not quantities:
        return None
    if asked_unit:
        quantities = [q for q in quantities if (q.group(2) or "").endswith(asked_unit)] or quantities
    shares = not asked_unit and bool(SHARE_HEADS & set(metric_words) or any(
        w.endswith("率") and len(w) >= 3 for w in metric_words[:2]) or SHARE_ASKED.search(analysis.simplified))
    if shares:  # "先进产能占比达到多少" asks a share, not 煤炭产量1.56亿吨; "城镇化率" a rate, not 常住人口27.36万人
        quantities = [q for q in quantities if q.group(2) in LEVEL_UNITS] or quantities
    amounts: list[re.Match] = []
    if not asked_unit and not shares and asks_amount(analysis):  # "GDP增长6.0%,首次突破百亿元大关,达到100.6亿元"
        amounts = [q for q in quantities if q.group(2) and q.group(2) not in RATE_UNITS]  # asked "GDP是多少"
        quantities = amounts or quantities
    anchor = anchor_end = -1
    for word in metric_words:  # the most telling question word the sentence holds
        position = _best_occurrence(text, word, _without_places(analysis))
        if position < 0:  # "GDP增长6.0%,…达到100.6亿元": the report writes the asked 地区生产总值 as GDP
            position, word = _abbreviation_at(text, word)
        if position >= 0:
            anchor, anchor_end = position, position + len(word)
            head = next((h for h in metric_words if h in HEAD_WORDS and h not in word), None)
            later = text.find(head, position + len(word), position + len(word) + HEAD_REACH) if head else -1
            if later >= 0:
                anchor, anchor_end = later, later + len(head)  # "烤烟种植面积32千公顷,增长9.1%;产量0.55万吨": the asked head
            break
    after = [q for q in quantities if q.start() > anchor]
    if anchor >= 0:  # "地区生产总值年均增长3.7%,…,固定资产投资累计完成149.8亿元": not another metric's figure
        span_end = metric_span_end(text, anchor_end)
        own = [q for q in after if q.start() < span_end]
        if not own and after and asked_unit:
            return None  # the asked metric's own clauses state nothing in the asked unit
        after = own or after
    counted = _counted_before(text, anchor, quantities, asked_unit, after, metric_words)
    if counted is not None:
        return _as_written(text, counted)
    marks = _marks(text, quantities)
    passed = [q for q in after if q.start() in marks and any(
        r.start() > q.start() and _scale(r) == _scale(q) and r.start() not in marks for r in after)]
    if passed and not TARGET_ASKED.search(analysis.simplified):  # "历史性突破2000亿元,达到2311亿元": the figure reached
        after = [q for q in after if q not in passed]
    if not after:
        if anchor >= 0 and (asked_unit or amounts):
            return None  # "…人均可支配收入分别增长5.5%": no figure in the asked unit after the asked metric
        after = quantities
    listed = _item_of_list(text, anchor, quantities, analysis)
    if listed is not None:
        return _as_written(text, listed)
    dated = _of_asked_year(text, after, analysis)
    if dated is not None:
        return _as_written(text, dated)
    if GROWTH_ASKED.search(analysis.simplified):
        growth = [q for q in after if q.group(2) in RATE_UNITS and GROWTH_WORD.search(text[max(0, q.start() - 8):q.start()])]
        if not PART_ASKED.search(analysis.simplified):  # "一季度…增长9.7%,上半年…,全年增长6.6%": the year's
            growth = [q for q in growth if not PART_OF_YEAR.search(_clause_before(text, q.start()))] or growth
        respective = _respective(text, anchor, quantities)
        if respective is not None:
            return _as_written(text, respective)
        if growth:
            return _both_of_pair(text, growth[0], every, analysis) or _as_written(text, growth[0], with_change=True)
    chosen = _amount_reached(text, after, analysis) or _total(text, after, analysis) or after[0]
    if not chosen.group(2) or text[chosen.end(1):chosen.end(1) + 1] in ("余", "多"):
        # "…赛车小镇…100余场": a bare or rough count; "投资33亿元" names the asked word right before it
        tight = [q for q in quantities if q.group(2) and any(
            len(w) >= 2 and text[max(0, q.start() - len(w)):q.start()] == w for w in metric_words)]
        chosen = tight[0] if tight else chosen
    if not chosen.group(2) and COUNT_ASKED.search(analysis.simplified):  # "国家863核心技术,攻克232项…成果": a
        counted = [q for q in after if q.group(2) in COUNT_MEASURES]  # how-many is answered by a count, not a name
        chosen = counted[0] if counted else chosen
    if chosen.group(2) in ("个百分点", "百分点") and not CHANGE_ASKED.search(analysis.simplified):
        level = [q for q in after if q.group(2) in ("%", "％") and q.start() > chosen.start()]
        chosen = level[0] if level else chosen  # "比重提高15.6个百分点、达66.6%": a share asked is its level
    both = _both_of_pair(text, chosen, every, analysis)
    if both is not None:
        return both
    chosen = _town_or_country(text, chosen, every, analysis) or chosen
    if not _names_year_before(text, chosen.start(), analysis) and not START_ASKED.search(analysis.simplified):
        reached = _reached(text, chosen, every)
        if reached is not None and FROM_TO_ASKED.search(analysis.simplified):
            return _span_written(text, chosen, reached)  # "how did it change": both ends, "由1.4%预计提高到2.5%"
        chosen = reached or chosen  # the figure reached, unless the start year is asked
    return _as_written(text, chosen, with_change=True)


# "城乡居民…分别增长7.5%和8.7%" asked of both urban and rural residents
BOTH_ASKED = re.compile(r"城乡|城镇和农村|城镇、农村|城镇与农村|城市和农村|\burban and rural\b|\btown and country\b", re.I)
PAIR_JOINER = re.compile(r"\s*(?:和|与|、)\s*")


def _both_of_pair(text: str, chosen: re.Match, quantities: list[re.Match], analysis: QueryAnalysis) -> str | None:
    """"urban and rural … grow" and "…分别增长7.5%和8.7%": "增长7.5%和8.7%", both of the pair; None otherwise."""
    pair = _pair_after(text, chosen, quantities) if BOTH_ASKED.search(analysis.simplified) else None
    if pair is None:
        return None
    return _as_written(text, chosen, with_change=True) + text[chosen.end():pair.start()] + _as_written(text, pair)


def _pair_after(text: str, chosen: re.Match, quantities: list[re.Match]) -> re.Match | None:
    """The second figure of a pair "分别…7.5%和8.7%" that `chosen` opens, in the same unit; None when none."""
    if "分别" not in text[_clause_start(text, chosen.start()):chosen.start()]:
        return None
    following = next((q for q in quantities if q.start() >= chosen.end()), None)
    joined = following is not None and PAIR_JOINER.fullmatch(text[chosen.end():following.start()])
    return following if joined and following.group(2) == chosen.group(2) else None


# "五年前(起点)的…是多少": the figure a span starts from, not the one it reaches
START_ASKED = re.compile(r"起点|起始|期初|基数|五年前|原来|原先|\bat the start\b|\bstarting (?:point|level|figure|value)|"
                         r"\bat the beginning\b", re.I)
FROM_TO_ASKED = re.compile(r"\bhow did\b.{0,80}\bchange\b|\bhow has\b.{0,80}\bchanged\b|(?:如何|怎样|怎么)(?:变化|变动)|"
                           r"变化情况|[从由]多少.{0,12}到多少", re.I)


def _span_written(text: str, start: re.Match, reached: re.Match) -> str:
    """A change as written from its 从/由 to the figure reached: "由1.4%预计提高到2.5%"."""
    mark = max(text.rfind(m, _clause_start(text, start.start()), start.start()) for m in "从由")
    return text[mark:start.start()] + text[start.start():reached.start()] + _as_written(text, reached)


TOTAL_ASKED = re.compile(r"总数|总量|总计|一共|总共|累计|\btotal\b", re.I)
TOTAL_CUE = re.compile(r"(?:总数|总量|总计|累计|共计|合计|总共|一共|共)[^，,；;。\d]{0,4}$")


def _total(text: str, after: list[re.Match], analysis: QueryAnalysis) -> re.Match | None:
    """"全年转移药号8个、总量达到514个" asked for the total: the figure written as the total."""
    if not TOTAL_ASKED.search(analysis.simplified) or len(after) < 2:
        return None
    return next((q for q in after if TOTAL_CUE.search(text[max(0, q.start() - 8):q.start()])), None)


def _clause_start(text: str, position: int) -> int:
    """Where the clause holding `position` begins: after the last comma or stop before it."""
    return max(text.rfind(mark, 0, position) for mark in "，,；;。") + 1


TO_MARK = re.compile(r"[^，,；;。从由\d]{0,8}?[到至]")  # "提高到", "延长到", "快速增长到"


def _run_from(text: str, position: int, quantities: list[re.Match]) -> list[re.Match]:
    """The figures written one after another from `position`, joined only by 和、及与 ("48942元和22790元")."""
    run: list[re.Match] = []
    for q in (q for q in quantities if q.start() >= position):
        if text[(run[-1].end() if run else position):q.start()].strip() and (
                not run or not LIST_SEPARATOR.fullmatch(text[run[-1].end():q.start()].strip())):
            break
        run.append(q)
    return run


def _reached(text: str, chosen: re.Match, quantities: list[re.Match]) -> re.Match | None:
    """"从619.98亿元增长到880亿元", "从2015年的34731元和14824元提高到48942元和22790元": the figure reached in
    the place of the starting figure `chosen`; None when it starts no such span."""
    start = max(text.rfind(mark, _clause_start(text, chosen.start()), chosen.start()) for mark in "从由")
    first = next((q for q in quantities if q.start() > start), None) if start >= 0 else None
    if first is None or first.start() - start > FROM_REACH:
        return None
    starts = _run_from(text, first.start(), quantities)
    to = TO_MARK.match(text, starts[-1].end()) if starts else None
    if to is None or chosen not in starts:
        return None
    ends = _run_from(text, to.end(), quantities)
    return ends[starts.index(chosen)] if len(ends) == len(starts) else None


FROM_REACH = 12  # "从2015年末的": characters from 从 to the starting figure


def _town_or_country(text: str, chosen: re.Match, quantities: list[re.Match], analysis: QueryAnalysis) -> re.Match | None:
    """"城乡居民人均可支配收入…48942元和22790元" asked for rural residents: the second of the pair."""
    question = " ".join([analysis.simplified, *analysis.expansions])
    if "城乡" not in text[_clause_start(text, chosen.start()):chosen.start()] or not re.search(r"农村|乡村|农民", question) \
            or re.search(r"城镇|城市", question):
        return None
    run = _run_from(text, chosen.start(), quantities)
    return run[1] if len(run) == 2 else None


def _abbreviation_at(text: str, word: str) -> tuple[int, str]:
    """Where `text` writes `word` (地区生产总值, 生产总值) by its Latin abbreviation (GDP), and the abbreviation as written."""
    for match in LATIN_ABBREVIATION.finditer(text) if len(word) >= 2 else ():
        if word in LATIN_ABBREVIATIONS[match.group().lower()]:
            return match.start(), match.group()
    return -1, word


def _without_places(analysis: QueryAnalysis) -> str:
    """The question less its place names: 土族 in 互助土族自治县 qualifies no metric ("其中土族人口7.5万人")."""
    text = analysis.simplified
    for word in sorted(analysis.place_words, key=len, reverse=True):
        text = text.replace(word, " ")
    return text


def _best_occurrence(text: str, word: str, question: str) -> int:
    """Where `word` stands in `text`: of several ("应到代表200名,实到代表191名"), the one whose qualifier the
    question writes (实际到会代表 → 实到代表); the first when none is told apart; -1 when absent."""
    positions = [m.start() for m in re.finditer(re.escape(word), text)]
    if len(positions) < 2:
        return positions[0] if positions else -1
    asked = set(re.sub(r"[\W\d_]", "", question))
    told = [sum(ch in asked for ch in text[max(0, at - QUALIFIER_CHARS):at]) for at in positions]
    return positions[told.index(max(told))]


QUALIFIER_CHARS = 2  # characters before a metric word that qualify it (应到/实到, 城镇/农村)
REACHED = re.compile(r"\s*[,，(（]?\s*(?:达到|达|为|至|到|总量)\s*$")


def _amount_reached(text: str, after: list[re.Match], analysis: QueryAnalysis) -> re.Match | None:
    """"地区生产总值增长5.9%(达到1133.16亿元)" asked for the amount: the amount the rate reached, not the rate."""
    if not asks_amount(analysis) or not after:
        return None
    rate = after[0]
    if rate.group(2) not in RATE_UNITS or len(after) < 2 or after[1].group(2) in RATE_UNITS:
        return None
    return after[1] if REACHED.fullmatch(text[rate.end():after[1].start()]) else None


VERB = r"(?:年均|同比|比上年)?(?:增长|下降|增加|提高|减少|上升|回落|降低)"
CHANGE_VERB = re.compile(rf"({VERB})\s*$")


def says_change(value: str) -> bool:
    """"增长3.4%", "由1.4%提高到2.5%": a value that opens with the change it states (a line then reads
    "…2020年增长3.4%")."""
    return bool(re.match(VERB, value)) or value[:1] in ("从", "由")


RANK_WITHIN = r"(?:全(?:国|省|市|州|区|县)|[省市州区县]内)"  # 全省, 市内: what a rank is within
RANK = re.compile(rf"{RANK_WITHIN}?(?:第[一二三四五六七八九十百\d]+(?:位|名)?|首位)")


def _rank(text: str, metric_words: list[str], years: set[int], scopes: list[str]) -> str | None:
    """"总量稳居全市第三": the first rank written after the asked metric (or anywhere, when it is not named);
    of ranks dated "由2016年的第60名上升至2019年的第35名", the one of the asked year."""
    anchor = next((text.find(w) for w in metric_words if w in text), 0)  # the most specific name written
    ranks = [m for m in RANK.finditer(text) if m.start() >= anchor] or list(RANK.finditer(text))
    dated = {m.start(): RANK_YEAR.search(text, max(0, m.start() - RANK_YEAR_REACH), m.start()) for m in ranks}
    ranks = [m for m in ranks if dated[m.start()] and int(dated[m.start()].group(1)) in years] or [
        m for m in ranks if not dated[m.start()]] or ranks
    ranks = [m for m in ranks if any(s in text[_clause_start(text, m.start()):m.start() + len(m.group())]
                                      for s in scopes)] or ranks  # "…在辽宁省各县市区中排第几": 辽宁省's, not 铁岭市's
    return ranks[0].group() if ranks else None


RANK_SCOPE = re.compile(r"全(?:国|省|市|州|区|县)|[省市州]内")


def rank_scopes(analysis: QueryAnalysis) -> list[str]:
    """What a rank is asked within: 全省, or a larger place the question names beside the asked one ("在辽宁省…")."""
    asked = {n for p in analysis.places for n in (p.name, p.alias)}
    larger = [n for p in analysis.missing if p.level in ("province", "city") for n in (p.name, p.alias) if len(n) >= 2]
    return RANK_SCOPE.findall(analysis.simplified) + [n for n in larger if n not in asked]


RANK_YEAR = re.compile(rf"((?:19|20)\d{{2}})年(?:的|末|底)?\s*(?:{RANK_WITHIN}\S{{0,4}}?)?$")
RANK_YEAR_REACH = 14


QUALIFIER = re.compile(r"\s*(左右|以上|以下|以内|多)")


def _counted_before(text: str, anchor: int, quantities: list[re.Match], asked_unit: str | None,
                    after: list[re.Match], metric_words: list[str]) -> re.Match | None:
    """"6家企业成功上市,38家企业筹备挂牌" asked "几家企业上市": a count in the asked measure written before the asked
    word in its clause, when the first figure after it belongs to the next clause."""
    if anchor < 0 or not asked_unit or asked_unit[-1] not in MEASURE_WORDS:
        return None
    counting = [q for q in quantities if (q.group(2) or "").endswith(asked_unit) and 0 <= anchor - q.end() <= 1
                and not any(mark in text[q.end():anchor] for mark in CLAUSE_MARKS + "、")]  # not "13个、信用村"
    if counting:
        return counting[-1]  # "71名镇人大代表" asked "多少名镇人大代表": the count written right before its noun
    clause_start = max(text.rfind(mark, 0, anchor) for mark in CLAUSE_MARKS) + 1
    before = [q for q in quantities if clause_start <= q.start() < anchor and (q.group(2) or "").endswith(asked_unit)]
    before = _of_the_asked_noun(text, before, metric_words) or before
    if not before or (after and not any(mark in text[anchor:after[0].start()] for mark in CLAUSE_MARKS)):
        return None
    return before[-1]


def _of_the_asked_noun(text: str, counts: list[re.Match], words: list[str]) -> list[re.Match]:
    """"71名镇人大代表和44名列席代表" asked "多少名镇人大代表": the counts whose noun the question names."""
    return [q for q in counts if any(len(w) >= 2 and w in text[q.end():q.end() + NOUN_REACH] for w in words)]


CLAUSE_MARKS = ",，;；。"
NOUN_REACH = 6  # characters after a count within which the noun it counts is written


ROUGHLY = re.compile(r"(?:大约|约|将近|近)$")


def _as_written(text: str, quantity: re.Match, with_change: bool = False) -> str:
    """The value with its unit, as the report qualifies it: "第71位", "8%左右", "110亿元以上"."""
    value = quantity.group(0).strip()  # the number alone when it has no unit
    if text[max(0, quantity.start() - 1):quantity.start()] == "第":
        value = f"第{value}"
    rough = ROUGHLY.search(text, max(0, quantity.start() - 2), quantity.start())
    if rough and quantity.group(2):
        value = rough.group() + value  # "约220平方公里", "近30万人": as roughly as the report says it
    verb = CHANGE_VERB.search(text, max(0, quantity.start() - 6), quantity.start())
    if with_change and verb and quantity.group(2) in RATE_UNITS:
        value = verb.group(1) + value  # "增长3.4%", "年均增长10.5%": what kind of rate it is
    qualifier = QUALIFIER.match(text, quantity.end()) if quantity.group(2) else None
    return value + qualifier.group(1) if qualifier else value


CHANGE_ASKED = re.compile(r"提高|提升|增加|增长|下降|减少|变化|change|increase|decrease|rise|fall|grow", re.I)
LEVEL_UNITS = ("%", "％", "‰", "个百分点", "百分点")  # a share or rate as a level (not a multiple)
RATE_UNITS = (*LEVEL_UNITS, "倍")


def is_rate(value: str) -> bool:
    """"8.6%", "15.6个百分点", "2.9倍": a rate or a change, not an amount."""
    return value.endswith(RATE_UNITS)
RESPECTIVELY = re.compile(r"分别(?:增长|增加|提高|上升|下降|减少|为|是|达到|达)?\s*$")


def _respective(text: str, anchor: int, quantities: list[re.Match]) -> re.Match | None:
    """"总收入128.3亿元，其中地方财政收入79.3亿元，分别增长4.6%和8%": the rate in the place of the asked
    item among the amounts listed before 分别 (8% for 地方财政收入); None when the sentence has no such list."""
    if anchor < 0:
        return None
    amounts = [q for q in quantities if q.group(2) not in RATE_UNITS]
    rates = [q for q in quantities if q.group(2) in RATE_UNITS]
    for i, rate in enumerate(rates):
        if not RESPECTIVELY.search(text[max(0, rate.start() - 6):rate.start()]):
            continue
        clause_start = max(text.rfind(mark, 0, rate.start()) for mark in "。；;") + 1
        if anchor < clause_start:
            continue  # the asked item is not of this list
        listed = [q for q in amounts if clause_start <= q.start() < rate.start()]
        run = [rate, *[r for r in rates[i + 1:]][:len(listed) - 1]]
        own = [n for n, q in enumerate(listed) if q.start() > anchor]
        if len(listed) >= 2 and len(run) == len(listed) and own:
            return run[own[0]]
    return None


LIST_SEPARATOR = re.compile(r"、|和|及|与")
AFTER_RESPECTIVELY = re.compile(r"分别(?:增长|增加|提高|上升|下降|减少|为|是|达到|达|完成)?\s*|"  # or a run of rates
                                r"(?:同比|比上年)?(?:增长|下降)(?=\s*-?\d[\d.]*\s*[%％]\s*(?:和|、|及|与)\s*-?\d)")


def _item_of_list(text: str, anchor: int, quantities: list[re.Match], analysis: QueryAnalysis) -> re.Match | None:
    """"规模以上工业增加值、全社会固定资产投资、社会消费品零售总额分别增长5.6%、-24.4%、9.9%": the figure in
    the place of the asked item (-24.4% for 固定资产投资); "收入和支出分别达4.78亿元、20.2亿元,分别增长6.9%、0.8%":
    the second list has the first one's items; "城乡居民…分别增长4.8%、7.2%": 城镇 first, 农村 second.
    Rates answer a growth question, amounts the others. None when the sentence has no such list."""
    growth = bool(GROWTH_ASKED.search(analysis.simplified))
    question = " ".join([analysis.simplified, *analysis.expansions])
    items: list[tuple[int, str]] = []
    for match in AFTER_RESPECTIVELY.finditer(text):
        clause_start = max(text.rfind(mark, 0, match.start()) for mark in "。；;，,：:") + 1
        clause = text[clause_start:match.start()]
        if not re.search(r"[\u4e00-\u9fff]{2}", clause) and clause_start > 0 and not items:
            # "生产总值、预算收入迈上4000亿、300亿两大台阶,分别达到…": the items open the clause before
            clause_start = max(text.rfind(mark, 0, clause_start - 1) for mark in "。；;，,：:") + 1
            clause = re.split(r"\d", text[clause_start:match.start()])[0].rstrip(",，;；:： ")
        if re.search(r"[\u4e00-\u9fff]{2}", clause):
            items, at = [], clause_start
            for item in LIST_SEPARATOR.split(clause):
                items.append((at, item))
                at += len(item) + 1
        run = []
        for q in (q for q in quantities if q.start() >= match.end()):
            gap = text[(run[-1].end() if run else match.end()):q.start()]
            if gap.strip() and not LIST_SEPARATOR.fullmatch(gap.strip()):
                break
            run.append(q)
        if not run or (run[0].group(2) in RATE_UNITS) != growth:
            continue
        if len(items) == 1 and "城乡" in items[0][1] and len(run) == 2:
            if re.search(r"农村|乡村|农民", question):
                return run[1]
            if re.search(r"城镇|城市", question):
                return run[0]
            continue
        if len(items) < 2 or len(run) != len(items):
            continue
        whole = [n for n, (_, item) in enumerate(items) if len(item) >= 2 and item in question]
        if len(whole) == 1:  # "城镇、农村常住居民人均可支配收入分别为…" asked 城镇…: the item written whole
            return run[whole[0]]
        named = [n for n, (_, item) in enumerate(items) if len(item) >= 2 and item[-2:] in question]
        if len(named) == 1:
            return run[named[0]]
        inside = [n for n, (at, item) in enumerate(items) if at <= anchor < at + len(item)]
        if inside:
            return run[inside[0]]
    return None


def _of_asked_year(text: str, quantities: list[re.Match], analysis: QueryAnalysis) -> re.Match | None:
    """"从2017年的111.8亿元提高至2021年的160亿元左右": the figure written right after the one asked year."""
    if len(analysis.years) != 1:
        return None
    dated = [q for q in quantities if re.search(rf"{analysis.years[0]}年(?:末|底|的|末的|底的)?$",
                                                text[max(0, q.start() - 8):q.start()])]
    undated_years = re.findall(r"(?:19|20)\d{2}年(?:末|底|的|末的|底的)?(?=\d)", text)
    return dated[0] if len(dated) == 1 and len(undated_years) >= 2 else None


def _names_year_before(text: str, position: int, analysis: QueryAnalysis) -> bool:
    """"由2012年的…从…": the asked year is written just before the starting figure."""
    return any(f"{year}年" in text[max(0, position - 12):position] for year in analysis.years)


SEVERAL_ASKED = re.compile(r"分别|各是|各为|各有|各多少|各自|各占|各(?:增长|下降|提高|增加|减少)|\band (?:how|what|which)\b|, and\b", re.I)
QUESTION_WORD = re.compile(r"(?:是|为|有|达到|达|共)?(?:多少|几|多大|多高|多长|什么水平)")
ITEM_SEPARATOR = re.compile(r"和|、|及|与|以及")
ITEM_PREFIX = re.compile(r"^(?:全市|全区|全县|全旗|全镇|全年|年末|已|的|共)+")


def asks_several(analysis: QueryAnalysis) -> bool:
    """Does the question ask for more than one figure of one place and year ("专利授权总量和发明专利授权量
    分别是多少", "GDP规模和增速是多少", "展会多少场?面积多大?")?"""
    return bool(SEVERAL_ASKED.search(analysis.simplified)) or len(QUESTION_WORD.findall(analysis.simplified)) >= 2 \
        or len(asked_items(analysis, min_chars=1)) >= 2  # "多少个镇、乡和街道": three items


def asked_items(analysis: QueryAnalysis, min_chars: int = 2) -> list[str]:
    """The metrics a Chinese question lists before (or after) its one question word: ["专利授权总量",
    "发明专利授权量"]; one item, or none, when it lists nothing."""
    if analysis.english or len(QUESTION_WORD.findall(analysis.simplified)) != 1:
        return []
    text = re.sub(r"(?:19|20)\d{2}年?|[十一二三四五]五(?:期间|时期|末|期末)?", " ", _without_places(analysis))
    match = QUESTION_WORD.search(text)
    before = re.sub(r"(?:分别|各自|各)$", "", text[:match.start()].strip())
    after = re.sub(r"^[个家项座所台套条件名位]", "", text[match.end():]).strip(" ?？。")
    stretch = before if ITEM_SEPARATOR.search(before) else after if ITEM_SEPARATOR.search(after) else before
    stretch = stretch.split()[-1] if stretch.split() else ""
    items = [ITEM_PREFIX.sub("", item) for item in ITEM_SEPARATOR.split(stretch)]
    return [item for item in items if len(item) >= min_chars]


MEASURE_WORDS = set("个家项座所台套条件名位批处起场")  # "6个盟级": a count written before what it counts
ITEM_REACH = 12  # characters between an item's name and its figure ("充电桩2894个", "营收达到99.39亿元")


def item_value(item: str, sentence: str) -> str | None:
    """The figure a sentence gives right by a listed item: after its name ("建成充电桩2894个") or just
    before it ("6个盟级、42个旗级"); None when no figure stands by it."""
    text = to_simplified(sentence)
    quantities = _quantities(text)
    for q in quantities:
        if q.group(2) and q.group(2)[-1] in MEASURE_WORDS and text.startswith(item[:2], q.end()):
            return _as_written(text, q)
    for name in (item, item[-2:]):
        at = text.find(name)
        if at >= 0:
            end = at + len(name)
            after = [q for q in quantities if q.start() >= end]
            if after and after[0].start() <= end + ITEM_REACH:
                return _as_written(text, _reached(text, after[0], quantities) or after[0])  # "从36388元提高至44574元"
    return None


def whose(passage: Passage, analysis: QueryAnalysis, english: bool) -> str:
    """The place and year a figure belongs to, from the report's own facts: "海珠区2023年"."""
    facts = passage.facts
    known = gazetteer().get(facts.place) if facts else None
    if known is not None:
        place = known.label
    elif facts is not None and facts.place_candidates:  # a report of one of several namesakes: their shared name
        place = facts.place_candidates[0].rsplit("/", 1)[-1]
    else:
        place = ""
    # a report that says no year of its own gets the asked year only where its text writes it
    asked = [y for y in analysis.years if y in passage.years or at_asked_session(passage, analysis) or (
        not passage.years and (
        f"{y}年" in passage.text or str(y) in passage.title or (facts is not None and facts.year == y)))]
    years = asked or (list(passage.years) if len(passage.years) == 1 else [])
    year = years[0] if len(years) == 1 else None
    unstated = not passage.years and analysis.years and year is None
    if english:
        return ", ".join(x for x in (place, str(year) if year else "", "year not stated in the report" if unstated
                                     else "") if x)
    return f"{place}{f'{year}年' if year else ''}{'（报告未写明年份）' if unstated else ''}"
