"""The offline answerer: quote the retrieved sentences that answer the question, with markers."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..ingest.periods import PARTED_KINDS, PERIOD, TOPIC_YEAR, running_year
from ..places.gazetteer import short_name
from ..retrieval.dictionary import english_wordings
from ..retrieval.fusion import place_match
from ..retrieval.glossary import (
    CHINESE_SYNONYMS,
    ENGLISH_TERMS,
    LATIN_ABBREVIATIONS,
    chinese_concepts,
    english_concepts,
)
from ..retrieval.lexical import tokenize
from ..retrieval.query import QueryAnalysis
from ..textnorm import squeeze_spaces, to_simplified
from ..types import Passage
from .injection import addresses_assistant

SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
QUANTITY = re.compile(r"多少|(?<!哪)几|多大|多高|多长|比重|比例|增速|增长|总量|规模|排名|第几|率|how many|how much|"
                      r"what percentage|what share|what was|rate|growth|ranked|total|how fast|\bshare of\b|"
                      r"\bproportion of\b|\bhow did\b.{0,80}\bchange\b|(?:如何|怎样|怎么)(?:变化|变动)", re.I)
DIGIT = re.compile(r"(?<![A-Za-z\d.])\d")  # a quantity, not the 2 of PM2.5 or the 4 of 4G
CHINESE_QUANTITY = re.compile(r"[〇零一二三四五六七八九十两百千万]+(?:点[〇零一二三四五六七八九]+)?"
                              r"(?:个|家|成|项|座|所|条|批|倍|位|名|台|套|宗|户|人|件|亿|万)")  # 一百七十件, 九点二亿元
LIST_NUMBER = re.compile(r"^\s*(?:(?:注|註|说明|說明|备注|備註)\s*[:：]\s*)?[(（]?\d{1,2}[)）.、]")  # "注:1.", "(3)"
YEAR_MENTION = re.compile(r"((?:19|20)\d{2})年")
BASE_YEAR = re.compile(r"(?:比|较|与|同|相比|从|由)$")  # 比2015年增长5.4倍, 从2015年的34731元提高到…: a base


def years_named(text: str) -> set[int]:
    """The years a sentence states figures for: not the base it compares with or grows from."""
    text = QUOTED_NAME.sub(lambda m: " " * len(m.group()), text)
    return {int(m.group(1)) for m in YEAR_MENTION.finditer(text)
            if not BASE_YEAR.search(text[max(0, m.start() - 2):m.start()])}


# 被评为“云南省2021年县域跨越发展先进县”: a title's year; "…是(相当于)2005年的2.2倍": a base; neither is the figures'
# year
QUOTED_NAME = re.compile(r"“[^”]{2,30}”|(?:是|相当于)(?:19|20)\d{2}年的[\d.]+倍")


YEAR_SPAN = re.compile(r"(?:19|20)\d{2}\s*年?\s*[-—–~至到]\s*(?:19|20)\d{2}\s*年")  # a period, not its last year
ASKED_UNIT = re.compile(r"(?:多少|(?<!哪)几)((?:万|亿|千|百)?(?:元|平方米|平方公里|公里|人次|人|个|家|台|宗|套|座|所|吨|亩|项|件|辆|张|户|天|起|场|次|例|艘|架|册|篇|株|棵|头|只|羽|公顷|立方米|千瓦时|千瓦|名|位|批|处|倍))")
ENGLISH_UNITS = {"people": "人", "persons": "人", "residents": "人", "households": "户", "enterprises": "家",
                 "companies": "家", "firms": "家", "projects": "个", "villages": "个", "days": "天"}
ENGLISH_UNIT_ASKED = re.compile(r"\bhow many (?:\w+ ){0,2}?(" + "|".join(ENGLISH_UNITS) + r")\b", re.I)


def in_unit(unit: str) -> re.Pattern:
    """A figure in `unit`: "20个", "20多个", "3.5万个", "100余个"."""
    return re.compile(rf"\d\s*[万亿千百]*[多余]?[万亿千百]*{re.escape(unit)}")


def asked_unit(analysis: QueryAnalysis) -> str | None:
    """The unit a how-many question asks in: 个 in "多少个", 人 in "how many people"."""
    match = ASKED_UNIT.search(analysis.simplified)
    if match:  # "排第几位", "第几名" ask a rank, not a count of people
        ranked = match.group(1) in ("名", "位") and analysis.simplified[max(0, match.start() - 1):match.start()] == "第"
        return None if ranked else match.group(1)
    if not analysis.english or len(re.findall(r"\bhow (?:many|much)\b", analysis.simplified, re.I)) != 1:
        return None  # "how many projects …, and how many people …": no one unit
    english = ENGLISH_UNIT_ASKED.search(analysis.simplified)
    return ENGLISH_UNITS[english.group(1).lower()] if english else None


RANK_ASKED = re.compile(r"第几|排名|排第|排位|位次|名列|\brank(?:ed|ing)?\b", re.I)
WHO_ASKED = re.compile(r"谁|哪位|who\b", re.I)
WHO_DID = re.compile(r"(?:由|是)?谁(主持|宣读|致辞|讲话)")  # the act a who-question asks about (由谁主持)
CHAIR_ASKED = re.compile(r"主持|chair|presid", re.I)  # who chaired: not the report's speaker
OFFICIAL = re.compile(r"(?:代理|代)?(?:区长|县长|市长|镇长|乡长|旗长|州长|盟长|主席)\s*[\u4e00-\u9fff](?:[ \u3000]?[\u4e00-\u9fff]){1,3}|"
                      r"(?:局|委员会|委|厅|办公室)(?:局长|主任|厅长)?[ \u3000]*[\u4e00-\u9fff](?:[ \u3000]?[\u4e00-\u9fff]){1,3}\s*$")
# "区发展和改革局 龚德茂": the department that gives a plan or budget report, and its head
HEADER_CHARS = 600  # where a report names who delivers it

TARGET_ASKED = re.compile(r"目标|预期|计划|规划|力争|target|goal|plan|aim|expected|projected", re.I)
# "…各是多少?哪一年更高?": the comparison a reader draws from the figures, not words a sentence holds
# "哪个更大", "哪个面积更大" (the metric between is kept: `without_which_is_more`)
WHICH_IS_MORE = re.compile(r"(?:哪(?:一年|一个|个|家|里|边)?|谁)(?:的)?([\u4e00-\u9fff]{0,6}?)"
                           r"(?:(?:更|最|较)[\u4e00-\u9fff]{1,2}|[大小多少高低快慢长短](?![\u4e00-\u9fff]))")  # 哪个面积大?


def without_which_is_more(text: str) -> str:
    return WHICH_IS_MORE.sub(lambda m: f" {m.group(1)} ", text)

EXPANDED = set(ENGLISH_TERMS) | set(CHINESE_SYNONYMS)
ASKING = {"截至", "截止", "各是", "各为", "各有", "各自", "分别是", "分别为", "为多少", "有多少", "是什么", "有哪些", "哪些是", "哪一年", "哪年", "一年", "哪一天", "哪天", "一天", "何时", "一共", "总共", "哪里", "哪儿", "何处", "在哪", "两者", "二者", "两地", "两次", "两份", "那个", "这个", "哪个"}
NOT_ONE = re.compile(r"(?:不止|不只|不仅)一个")  # "鼓楼区不止一个": how the question tells the place apart

INTERROGATIVE = re.compile(r"^第?几(?![乎何])|几$")  # 第几, 几届, 第几次: a question word, never a report's


@dataclass
class Sentence:
    """A sentence of a retrieved passage, with its offsets in the source file."""

    passage: int
    text: str
    start: int
    end: int
    score: float = 0.0


@dataclass(frozen=True)
class ExtractiveConfig:
    """Selection and refusal thresholds (set on the eval set's unanswerable questions)."""

    min_score: float = 0.30
    keep_ratio: float = 0.5
    speaker_margin: float = 0.2  # "who delivered the report": the header's 区长 XXX line clears the bar by this
    max_sentences: int = 4
    dense_weight: float = 0.3  # share of the score from e5 similarity of question and sentence
    no_number: float = 0.3     # a "how many" question and a sentence without digits
    wrong_unit: float = 0.4    # "多少亿元" and a sentence with no number in 亿元
    wrong_year: float = 0.3    # the sentence names other years than the asked ones
    other_period: float = 0.25  # the sentence names no year and its report is about other years
    undated: float = 0.9       # a year is asked and neither the sentence nor its report names any (a profile)
    head_miss: float = 0.5     # the sentence lacks the head of the asked metric (…收入, …率, …总额)
    metric_miss: float = 0.6   # the sentence lacks the asked metric's whole name (一般公共预算收入)
    short_sentence: int = 25   # headings shorter than this are quoted with what follows
    marks_only: float = 0.5    # a "how much" question and a sentence whose figures are marks passed (跨入3000亿元)
    title_weight: float = 0.5  # a question word found only in the report title counts this much
    phrase_weight: float = 0.4  # share of the score from the question's character bigrams found verbatim
    definition_bonus: float = 0.5  # "“一区一谷一湾”分别指什么" and the sentence "一区一谷一湾:A、B、C"


# a table set one cell per line ("服务业增加值占地区生产总值比重(%) |", "30.2 |", …) with a bare "|" line after each row
CELL_ROW = re.compile(r"(?m)^(?:[^\n|]*[^\s|][^\n|]* \|[ \t]*\n){2,}(?=\|)")


# an infobox set one field per line ("政府駐地" / "建設路277號" / "電話區號" / "0375"): each name with its value
FIELD = r"[\u4e00-\u9fff](?:[\u4e00-\u9fff]| +(?=[\u4e00-\u9fff])){1,7}\n[^\n。；;!?！？:：]{1,30}(?<![,，、])\n"
INFOBOX = re.compile(rf"(?m)^(?:{FIELD}){{2,}}")
INFOBOX_FIELD = re.compile(FIELD)


def _pieces(text: str) -> list[re.Match]:
    """The sentences of a passage, a table row set one cell per line counted as one, and an infobox field
    with its value."""
    rows = list(CELL_ROW.finditer(text)) + [field for box in INFOBOX.finditer(text)
                                            for field in INFOBOX_FIELD.finditer(text, box.start(), box.end())]
    return sorted(rows + [m for m in SENTENCE.finditer(text) if not any(r.start() <= m.start() < r.end() for r in rows)],
                  key=lambda m: m.start())


def passage_sentences(passages: list[Passage]) -> list[Sentence]:
    sentences, seen = [], set()
    for index, passage in enumerate(passages):
        for match in _pieces(passage.text):
            text = match.group().strip()
            if len(text) < 6 or text in seen:
                continue
            seen.add(text)
            offset = match.start() + (len(match.group()) - len(match.group().lstrip()))
            sentences.append(Sentence(index, text, passage.start + offset, passage.start + offset + len(text)))
    return sentences


def _pinyin_place_words(analysis: QueryAnalysis) -> set[str]:
    """The words of the places an English question names, lower case: {"wuchang", "district", "wuhan"}."""
    return {w.lower() for word in analysis.place_words if word.isascii() for w in re.split(r"[\s,]+", word) if w}


def _less_names(token: str, longest_first: list[str]) -> str:
    """`token` with the place names in it removed, the longest first ("甘肃兰州" → "")."""
    for name in longest_first:
        token = token.replace(name, "")
    return token


class SentenceScorer:
    """Weighted token overlap of question and sentence (IDF weights from the corpus BM25),
    scaled down when the sentence cannot hold the kind of answer asked for."""

    def __init__(self, idf: dict[str, float], config: ExtractiveConfig, embedder=None):
        self.idf, self.config, self.embedder = idf, config, embedder
        self.default_idf = max(idf.values()) if idf else 1.0
        self._titles: dict[str, set[str]] = {}
        self._concepts: dict[tuple, list[list[list[str]]]] = {}

    def _title_tokens(self, title: str) -> set[str]:
        if title not in self._titles:
            self._titles[title] = set(tokenize(to_simplified(title)))
        return self._titles[title]

    def query_weights(self, analysis: QueryAnalysis) -> dict[str, float]:
        # Places, years and plan periods were matched at the report level; sentences rarely repeat them.
        asked = NOT_ONE.sub(" ", SESSION_NAMED.sub(" ", without_which_is_more(PERIOD.sub(" ", analysis.simplified))))
        for year in {*analysis.years, *analysis.report_years}:  # "2023年县…" would leave jieba's 年县
            asked = re.sub(rf"{year}\s*年?", " ", asked)
        tokens = self._rejoined(tokenize(" ".join([asked, *analysis.expansions])))
        words = [*analysis.place_words, *(p.name for p in analysis.places)]
        names = {str(y) for y in analysis.years} | {short_name(w) for w in words} | set(words) \
            | _pinyin_place_words(analysis)  # Xiangyang
        longest_first = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)
        weights = {}
        for token in tokens:
            token = token[:-1] if len(token) >= 2 and token.endswith("了") else token  # "投了多少钱": 了 is no word
            if token in names or any(token in n for n in names if len(token) >= 2) \
                    or not _less_names(token, longest_first):
                continue  # a place's name, or names written as one word ("甘肃兰州")
            if token.isascii() and (token not in self.idf or token in EXPANDED):
                continue  # English words and abbreviations are represented by their Chinese expansions
            if len(token) == 1 and not token.isdigit():
                continue  # single characters (区, 年) say little about a sentence
            if token in ASKING or INTERROGATIVE.search(token):
                continue  # how the question asks, not what it asks about
            weights[token] = self.idf.get(token, self.default_idf)
        for word in (w for concept in self._dictionary(analysis) for w in concept):
            weights.setdefault(word, self.idf[word])
        return weights

    def _dictionary(self, analysis: QueryAnalysis) -> list[list[str]]:
        """An English question's words the glossary lacks, as the Chinese words the reports hold for each."""
        if not analysis.english:
            return []
        concepts = [[w for w in concept if w in self.idf]
                    for concept in english_wordings(analysis.text, _pinyin_place_words(analysis))]
        return [concept for concept in concepts if concept]

    def _rejoined(self, tokens: list[str]) -> list[str]:
        """Single characters jieba split off in the question's context ("的药号总数" → 药 号) joined back into the
        word the reports hold (药号)."""
        joined, i = [], 0
        while i < len(tokens):
            pair = "".join(tokens[i:i + 2])
            if len(pair) == 2 and len(tokens[i]) == 1 and pair in self.idf and not pair.isascii():
                joined.append(pair)
                i += 2
            else:
                joined.append(tokens[i])
                i += 1
        return joined

    def _cover(self, words: list[str], weights: dict[str, float], tokens: set[str], context: set[str]) -> float:
        """Weighted share of `words` in the sentence (a word only in the report title counts less)."""
        found = sum(weights[t] if t in tokens else weights[t] * self.config.title_weight
                    for t in words if t in tokens or t in context)
        return found / sum(weights[t] for t in words)

    def concepts(self, analysis: QueryAnalysis, weights: dict[str, float]) -> tuple[list[list[list[str]]], list[bool]]:
        """A question's concepts: each glossary term with its report wordings as alternatives (any one
        suffices: "fiscal revenue" is 财政收入 or 一般公共预算收入, 荣誉称号 is 荣获), other words on their own;
        and which are optional (an English word read through the dictionary: it counts where a sentence has it)."""
        key = (analysis.text, tuple(weights))
        if key not in self._concepts:
            groups, optional, grouped = [], [], set()
            dictionary = self._dictionary(analysis)
            terms = english_concepts(analysis.text) + dictionary if analysis.english \
                else chinese_concepts(analysis.simplified)
            for n, wordings in enumerate(terms):
                alternatives = [[t for t in tokenize(w) if t in weights] for w in wordings]
                alternatives = [a for a in alternatives if a]
                if alternatives:
                    groups.append(alternatives)
                    optional.append(n >= len(terms) - len(dictionary))
                    grouped.update(t for a in alternatives for t in a)
            rest = [[[t]] for t in weights if t not in grouped]
            self._concepts = {key: (groups + rest, optional + [False] * len(rest))}
        return self._concepts[key]

    def score(self, sentence: Sentence, passage: Passage, weights: dict[str, float], analysis: QueryAnalysis,
              asked_unit: str | None) -> float:
        if not weights:
            return 0.0
        config = self.config
        text = squeeze_spaces(sentence.text)
        simple = report_wording(to_simplified(text))  # converted once: every check below reads it; GDP is 地区生产总值
        bare = re.sub(r"[\W_]", "", simple)
        if bare and bare in re.sub(r"[\W_]", "", to_simplified(passage.title)) and not _states_quantity(text, dates=True) \
                and not (WHO_ASKED.search(analysis.simplified) and OFFICIAL.search(text)):
            return 0.0  # the title written again as a heading ("政 府 工 作 报 告") says nothing; a page titled
            # by its first sentence ("2009年实现国内生产总值98.93亿元…") still states its figures
        tokens = sentence_tokens(simple, weights)
        if names_other_metric(analysis.simplified, simple):
            return 0.0
        context = self._title_tokens(passage.title)  # the report's title is context for every sentence
        concepts, optional = self.concepts(analysis, weights)
        if analysis.english:  # an English term weighs as its rarest report word
            strength = [max(weights[t] for alternative in concept for t in alternative) for concept in concepts]
        else:  # a Chinese word weighs as its tokens together (the plain weighted overlap when it has no synonym)
            strength = [max(sum(weights[t] for t in alternative) for alternative in concept) for concept in concepts]
        covers = [max(self._cover(alternative, weights, tokens, context) for alternative in concept)
                  for concept in concepts]
        if not all(optional):  # a dictionary word adds where the sentence has it and takes nothing where it lacks it
            strength = [w if not extra or cover else 0.0 for w, extra, cover in zip(strength, optional, covers)]
        overlap = sum(w * cover for w, cover in zip(strength, covers)) / sum(strength)
        if analysis.english:
            score = overlap
        else:
            score = (1 - config.phrase_weight) * overlap + config.phrase_weight * _phrase_cover(analysis, text)
        head = asked_head(analysis)
        if head and metric_form(head) not in metric_form(simple) and not head_by_unit(head, simple):
            score *= config.head_miss
        if QUANTITY.search(analysis.simplified) and not LIST_ASKED.search(analysis.simplified) \
                and not _states_quantity(text, bool(DURATION_ASKED.search(analysis.simplified)),
                                         bool(DATE_ASKED.search(analysis.simplified))):  # 哪几项…总量…: names asked
            score *= config.no_number
        elif GROWTH_ASKED.search(analysis.simplified) and not asked_unit and not RATE_FIGURE.search(text) \
                and not RANK_ASKED.search(analysis.simplified):
            score *= config.no_number  # "增速是多少" asks for a rate: "200余件诉求" is no answer
        elif QUANTITY.search(analysis.simplified) and not TARGET_ASKED.search(analysis.simplified) \
                and _figure_is_a_mark(text, asked_metric(analysis) or head):  # a target may well be a mark to pass
            score *= config.marks_only
        if _rates_only(simple, analysis, asked_unit, head):
            return 0.0  # "城乡居民人均可支配收入分别增长5.5%、6%" never answers "收入是多少元"
        if asked_unit and not in_unit(asked_unit).search(simple):
            score *= config.wrong_unit
        elif head in MONEY_HEADS and not MONEY.search(simple):
            return 0.0  # 收入是多少 asks for an amount: a rate or a share is never its answer
        metric = asked_metric(analysis)
        if metric and metric_form(metric) not in metric_form(simple.replace("的", "")):
            score *= config.metric_miss
        if analysis.years:
            mentioned = years_named(text)
            covered = set(passage.years)
            if mentioned and not mentioned & set(analysis.years):
                score *= config.wrong_year
            elif not mentioned and covered and not covered & set(analysis.years) \
                    and not at_asked_session(passage, analysis):
                score *= config.other_period
            elif not mentioned and not covered:
                score *= config.undated
        if WHO_ASKED.search(analysis.simplified) and not CHAIR_ASKED.search(analysis.simplified) \
                and OFFICIAL.search(text) and passage.facts is not None \
                and sentence.start - passage.facts.doc_start < HEADER_CHARS:
            score = max(score, config.min_score + config.speaker_margin)  # the report's own speaker line
        if SESSION_WHICH_ASKED.search(analysis.simplified) and SESSION_WRITTEN.search(simple):
            score = max(score, config.min_score + config.speaker_margin)  # "在滕州市第十七届人民代表大会第四次会议上"
        if defines_asked_term(analysis.simplified, simple):
            score *= 1 + config.definition_bonus
        act = WHO_DID.search(analysis.simplified)
        if act and re.search(rf"[\u4e00-\u9fff]{{2}}{act.group(1)}", simple):
            score = max(score, config.min_score + config.speaker_margin)  # "…祁化仍主持会议": who did the asked act
        return score - 0.01 * sentence.passage


# "县十八届人大三次会议": the session a question names, matched with its report, as places and years are
SESSION_NUMBER = r"第?[一二三四五六七八九十\d]{1,3}"  # 第十七, 十八, 4
SESSION_NAMED = re.compile(rf"(?:[县区市镇乡旗]|全国)?(?:{SESSION_NUMBER}届)(?:人大|人民代表大会)?{SESSION_NUMBER}次(?:全体)?会议")
# "第几届第几次会议", "which session": asks the session a report was given at, which its header line writes
SESSION_WHICH_ASKED = re.compile(r"第?几届|哪一?届|第几次(?:全体)?会议|哪一?次(?:全体)?会议|\b(?:which|what) session", re.I)
SESSION_WRITTEN = re.compile(rf"{SESSION_NUMBER}届[\u4e00-\u9fff]{{0,12}}?{SESSION_NUMBER}次(?:全体)?会议")


DEFINITION_ASKED = re.compile(r"指什么|指的是|是指|指哪|什么意思|含义|包括哪|包含哪|由哪|refer to|stand for|\bmean\b", re.I)
QUOTED_TERM = re.compile(r"[“\"「]([^”\"」]{2,20})[”\"」]")
DEFINES = r"[”\"」]?\s*(?:[:：]|是指|指|即|包括|包含)"


def defines_asked_term(question: str, sentence: str) -> bool:
    """The question asks what a quoted term stands for and the sentence defines it ("一区一谷一湾:…")."""
    if not DEFINITION_ASKED.search(question):
        return False
    return any(re.search(re.escape(term) + DEFINES, sentence) for term in QUOTED_TERM.findall(question))


QUESTION_WORDS = re.compile(r"是多少|多少|是什么|什么|哪些|哪个|哪几个|哪几|哪|几|分别|是否|吗|呢|请问|如何|怎么样|怎样|"
                            r"有关|关于|提出|达到|要|的|了|和|与|及|在|中|年|月|[\s\W\d]|[A-Za-z]")


# what a question writes between a metric and its 多少: "生产总值预计是多少", "收入分别为多少"
ASKED_FILLER = r"(?:分别|各自|各)?(?:总量|是|为|有|达到|达|约|大约|一共|总共|共|累计|预计|预期|初步|实际|最终)*"
METRIC_HEAD = re.compile(r"(收入|总值|增加值|产值|总额|占比|比例|比重|率|人数|面积|人口|支出|产量|天数|销售额|营业额|利润|税收|投资额|投资|余额)"
                         rf"{ASKED_FILLER}(?:多少|几)")


FIGURE = re.compile(r"(?<![A-Za-z\d.])\d[\d,.]*\s*(?:万亿|亿|万|千)?\s*(?:元|美元|人|个|家|户|平方米|平方公里|公里|吨|亩)?")
MARK_WORDS = "突破|跨入|跨越|迈上|迈入|站上|跃上|超过|逾"  # 突破1000亿元: a mark passed, not the figure
MARK_CUE = re.compile(rf"(?:{MARK_WORDS})\s*$")


# A word read inside a longer one that names another metric: 进出口 (total trade) states neither 出口 nor 进口.
INSIDE_OTHER_METRIC = {"出口": "进出口", "进口": "进出口"}


def sentence_tokens(text: str, words=()) -> set[str]:
    """The sentence's BM25 tokens, plus the question `words` it holds as written (jieba may cut a name
    differently in another context), less the words it holds only inside another metric's name."""
    plain = to_simplified(text)
    tokens = set(tokenize(plain))
    tokens |= {w for w in words if len(w) >= 2 and w not in tokens and w in plain}
    for word, longer in INSIDE_OTHER_METRIC.items():
        if word in tokens and not plain.replace(longer, "").count(word):
            tokens.discard(word)
    per_head = PER_HEAD.sub(" ", plain)
    return {t for t in tokens if t.isascii() or t in per_head or t not in plain}


# "每千常住人口拥有执业医师2.78个", "每万人口": a rate's denominator, not the population the sentence states
PER_HEAD = re.compile(r"每[十百千万]+(?:常住|户籍)?(?:人口|人)")


# A metric per head: "人均地区生产总值30998元,增长9.7%" states neither GDP nor its growth
PER_CAPITA_OF = {"地区生产总值": "人均地区生产总值", "生产总值": "人均生产总值", "GDP": "人均GDP"}
PER_CAPITA_ASKED = re.compile(r"人均|per[ -]capita|per person|per head", re.I)


def names_other_metric(question: str, sentence: str) -> bool:
    """The question asks for 出口 and the sentence names it only inside 进出口, or GDP only as 人均GDP: another
    metric's figure."""
    pairs = INSIDE_OTHER_METRIC if PER_CAPITA_ASKED.search(question) else {**INSIDE_OTHER_METRIC, **PER_CAPITA_OF}
    return any(word in question and longer not in question and longer in sentence
               and word not in sentence.replace(longer, "") for word, longer in pairs.items())


def _figure_is_a_mark(text: str, metric: str | None) -> bool:
    """The first figure after the asked metric is a mark passed ("地区生产总值跨入3000亿元“俱乐部”"), not its value."""
    plain = to_simplified(text)
    at = plain.find(metric) if metric else -1
    if at < 0:
        return False
    figure = FIGURE.search(YEAR_MENTION.sub(lambda m: " " * len(m.group()), plain), at + len(metric))
    return bool(figure) and bool(MARK_CUE.search(plain[max(0, figure.start() - 3):figure.start()]))


DATE_OR_TIME = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*[日号號]|\d{1,2}\s*[时時点點](?:\s*\d{1,2}\s*分)?")
DATE_ASKED = re.compile(r"几月|几日|几号|哪天|哪一天|何时|什么时候|日期|时间|几点|\bwhen\b|what date|what time|which day|"
                        r"what day", re.I)
DURATION_ASKED = re.compile(r"(?:几|多少)\s*(?:个)?年|(?:几|多少)个?月")
DURATION = re.compile(r"(?:连续|近|过去|已|这)\s*\d{1,2}\s*(?:个)?年|\d{1,2}\s*年(?:来|间|以来|中)|\d{1,2}\s*个?月(?:来|以来)")


def _states_quantity(text: str, durations: bool = False, dates: bool = False) -> bool:
    """A number that can answer "how many": digits (not years, list numbers, PM2.5, and spans of years such as
    连续4年 or dates and times such as 9月7日上午8時 unless `durations` or `dates` are asked for) or 七成, 十个, 两家."""
    bare = YEAR_MENTION.sub("", YEAR_SPAN.sub("", text))  # "2012-2021年常住人口数及城镇化率" is a caption
    bare = bare if dates else DATE_OR_TIME.sub("", bare)
    bare = LIST_NUMBER.sub("", bare if durations else DURATION.sub("", bare))
    return bool(DIGIT.search(bare) or CHINESE_QUANTITY.search(bare))


MONEY_HEADS = {"收入", "总值", "增加值", "产值", "总额", "支出", "销售额", "营业额", "利润", "税收", "投资额", "投资", "余额"}
MONEY = re.compile(r"[\d一二三四五六七八九十两]\s*(?:万亿|亿|万|千)?\s*(?:元|美元)")  # 八十亿元 too
# "…增速在全省排第几", "…居全市第几": a rank asked of the metric
RANK_TAIL = r"(?:在|居|位居|位列)?(?:全[国省市州区县]|[省市州区县]内|\s+)?(?:排名|排在|排|位居|位列|居)?第?"
METRIC_PHRASE = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:收入|总值|增加值|产值|总额|支出|销售额|营业额|利润|投资额|投资|余额))"
                           rf"(?:的)?(?:增速|增幅|增长率|同比增长|增长)?{ASKED_FILLER}{RANK_TAIL}(?:多少|几)")  # "固定资产投资增速是多少" too


GROWTH_ASKED = re.compile(r"增长|增速|增幅|幅度|增减|是增是减|增加了?多少|同比|\bgrow|\bgrew\b|\bincrease|\brise|\brose\b|how fast", re.I)  # not enterprises
RATE_FIGURE = re.compile(r"\d\s*(?:%|％|‰|个百分点|百分点|倍)")
METRIC_SPAN_END = re.compile(r"[。；;]")  # a metric's figures run to its sentence's or clause's end
MIN_METRIC_TAIL = 4  # 可支配收入: the shortest tail of an asked metric that still names it


def _rates_only(text: str, analysis: QueryAnalysis, asked_unit: str | None, head: str | None) -> bool:
    """An amount is asked and the sentence writes the asked metric with rates only, up to the clause's end."""
    metric = asked_metric(analysis) or english_metric(analysis)
    if not metric or GROWTH_ASKED.search(analysis.simplified) or not (asked_unit or head in MONEY_HEADS):
        return False
    amount = MONEY if head in MONEY_HEADS or not asked_unit else in_unit(asked_unit)
    metric, text = metric_form(metric), metric_form(text)
    tail = next((metric[i:] for i in range(len(metric) - MIN_METRIC_TAIL + 1) if metric[i:] in text), None)
    if tail is None:
        return False
    spans = [text[match.end():metric_span_end(text, match.end())] for match in re.finditer(re.escape(tail), text)]
    return all(RATE_FIGURE.search(span) and not amount.search(span) for span in spans)


# What may lead a clause that goes on stating the same metric ("…完成517亿元,增长7.3%", "…,总量居全省第5"):
# verbs, adverbs and qualifiers; a clause led by anything else names a metric of its own
SAME_METRIC_LEAD = re.compile(r"(?:同比|比上年|较上年|与上年|同口径|按可比价格?计算|可比价格?|年均|累计|全年|预计|初步|其中|总量|总额|规模|增速|增幅|"
                              r"分别|完成|实现|达到了|达到|达|为|是|增长|下降|提高|提升|增加|减少|上升|回落|突破|超过|首次|"
                              r"连续|保持|位居|居|列|排名|排|占|比|较|约|共|合计|总计|了|的|在|全[国省市州区县]|"
                              r"[一二三四五六七八九十百千万亿两]+元|大关|关口|新台阶|台阶|迈上|跨上|跨越|跨入)+")  # 突破百亿元大关
BRACKETED = re.compile(r"[(（][^()（）]*[)）]")
SHARE_LEAD = re.compile(r"\s*(?:占|对|拉动|带动)")
NEXT_CLAUSE = re.compile(r"[,，]\s*([^,，;；。\d]*)")


def metric_span_end(text: str, start: int) -> int:
    """Where the figures of a metric named right before `start` end: at its clause's end (。；), or earlier, at
    a comma after which a clause names another metric ("地区生产总值年均增长3.7%,社会消费品零售总额…")."""
    end = METRIC_SPAN_END.search(text, start)
    stop = end.start() if end else len(text)
    text = BRACKETED.sub(lambda m: " " * len(m.group()), text)  # "337.87亿元(预计数,下同)": no clause ends inside
    for clause in NEXT_CLAUSE.finditer(text, start, stop):
        if SHARE_LEAD.match(clause.group(1)):
            continue  # "…,占全县GDP比重为59.6%", "…,对GDP的贡献率为65.1%": the same metric's share or part
        lead = SAME_METRIC_LEAD.sub("", clause.group(1).replace(" ", ""))
        if len(re.findall(r"[\u4e00-\u9fff]", lead)) >= 2:
            return clause.start()
    return stop


def metric_form(text: str) -> str:
    """A metric's name in one wording: 规模以上工业(企业)增加值 is 规上工业增加值, 投资总额 is 投资额, GDP is 地区生产总值."""
    return report_wording(text).replace("规模以上", "规上").replace("总额", "额").replace("工业企业增加值", "工业增加值")


MONTHS = re.compile(r"\d{1,2}\s*[-—–~至到]\s*\d{1,2}\s*月(?:份)?|\d{1,2}\s*月(?:份|末|底)?|上半年|下半年|前三季度|[一二三四]季度")


def asked_metric(analysis: QueryAnalysis) -> str | None:
    """The whole name of an asked amount, places and years left out: 一般公共预算收入 in 从化区2020年一般公共预算收入是多少."""
    if analysis.english:
        return None
    text = analysis.simplified
    for word in analysis.place_words:
        text = text.replace(word, " ")
    text = re.sub(r"(?:19|20)\d{2}年?|全年|全区|全市|全县|全镇|的", " ", text)
    text = MONTHS.sub(" ", text)  # "1-11月一般公共预算收入": the months are the period, not the metric
    match = METRIC_PHRASE.search(text)
    return match.group(1) if match and len(match.group(1)) >= 4 else None


NOT_METRICS = {"规划", "五年规划", "政府工作报告"}


def metric_names(analysis: QueryAnalysis, weights: dict[str, float]) -> list[str]:
    """Names of the asked metric, most specific first: the Chinese metric (一般公共预算收入), the report
    wordings of an English question's terms, rarest first (实到 before 人民代表大会), then the head (收入);
    a figure is read after the first name found in its sentence."""
    names = [asked_metric(analysis)] if asked_metric(analysis) else []
    if analysis.english:
        wordings = {w for concept in english_concepts(analysis.text) for w in concept if len(w) >= 2
                    and not PERIOD.fullmatch(w) and w not in NOT_METRICS}  # "13th Five-Year Plan" is when, not what
        rarity = {w: max((weights.get(t, 0.0) for t in tokenize(w)), default=0.0) for w in wordings}
        names += sorted(wordings, key=lambda w: (-rarity[w], -len(w), w))
    head = asked_head(analysis)
    return names + ([head] if head and head not in names else [])


HEAD_UNITS = {"人数": re.compile(r"\d\s*万?人"), "人口": re.compile(r"\d\s*万?人"), "天数": re.compile(r"\d\s*天"),
              "面积": re.compile(r"\d\s*(?:万)?(?:平方|亩|公顷)")}


def head_by_unit(head: str, text: str) -> bool:
    """人数 is stated as "6.46万人", 面积 as "36平方公里": the unit stands for the head."""
    pattern = HEAD_UNITS.get(head)
    return bool(pattern and pattern.search(text))


ENGLISH_RATE = re.compile(r"\b(?:growth|grow|grew|rate|percent|percentage|share|proportion|ratio|increase[sd]?|"
                          r"decrease[sd]?|rise|rose|fell|fall|change|compared)\b", re.I)
HEAD_END = re.compile(METRIC_HEAD.pattern.split("(?:")[0].rstrip() + "$")


def asked_head(analysis: QueryAnalysis) -> str | None:
    """The head of the metric a question asks for: 收入 in 一般公共预算收入是多少, 率 in 失业率是多少,
    总值 in "What was the GDP of …" (an English question about a rate or a change asks for no amount)."""
    if analysis.english:
        metric = english_metric(analysis)
        return HEAD_END.search(metric).group(1) if metric else None
    match = METRIC_HEAD.search(report_wording(analysis.simplified))
    return match.group(1) if match else None


def english_metric(analysis: QueryAnalysis) -> str | None:
    """The report wording of the metric an English question asks the amount of ("fixed-asset investment" →
    固定资产投资); None for a question about a rate or a change."""
    if not analysis.english or ENGLISH_RATE.search(analysis.text):
        return None
    return next((wordings[0] for wordings in english_concepts(analysis.text) if HEAD_END.search(wordings[0])), None)


def asks_amount(analysis: QueryAnalysis) -> bool:
    """The question asks an amount (收入, 总值…), not its growth."""
    return asked_head(analysis) in MONEY_HEADS and not GROWTH_ASKED.search(analysis.simplified)


def report_wording(question: str) -> str:
    """The question with Latin abbreviations in report wording: "GDP是多少" asks for 地区生产总值, an amount."""
    return LATIN_ABBREVIATION.sub(lambda m: LATIN_ABBREVIATIONS[m.group().lower()], question)


LATIN_ABBREVIATION = re.compile("|".join(map(re.escape, LATIN_ABBREVIATIONS)) or "(?!)", re.I)  # compiled once: hot path


def content_pieces(analysis: QueryAnalysis) -> list[str]:
    """The question's stretches between places, years and question words: "合景泰富", "东方希望"."""
    content = analysis.simplified
    for word in analysis.place_words:
        content = content.replace(word, " ").replace(short_name(word), " ")
    return [p for p in QUESTION_WORDS.split(content) if len(p) >= 2]


def _phrase_cover(analysis: QueryAnalysis, text: str) -> float:
    """Share of the question's content bigrams (places, years, question words removed) in `text`."""
    pieces = content_pieces(analysis)
    bigrams = {p[i:i + 2] for p in pieces for i in range(len(p) - 1)}
    if not bigrams:
        return 0.0
    simplified = to_simplified(text)
    return sum(1 for b in bigrams if b in simplified) / len(bigrams)


def select_sentences(analysis: QueryAnalysis, passages: list[Passage], scorer: SentenceScorer) -> list[Sentence]:
    """The best sentence for each side of the question, then close runners-up, in reading order."""
    config = scorer.config
    weights = scorer.query_weights(analysis)
    unit = asked_unit(analysis)
    candidates = [s for s in passage_sentences(passages) if not addresses_assistant(s.text)
                  and about_asked(s, passages[s.passage], analysis)]
    own = own_metrics(analysis, scorer)
    own_weights = {place: scorer.query_weights(side) for place, side in own.items()}
    for sentence in candidates:
        passage = passages[sentence.passage]
        sentence.score = scorer.score(sentence, passage, weights, analysis, unit)
        for place, side in own.items():  # "A的X和B的Y": a sentence of A's report is held against X alone
            if on_side(passage, side):
                sentence.score = max(sentence.score, scorer.score(sentence, passage, own_weights[place], side,
                                                                  unit))
    if not candidates or max(s.score for s in candidates) < config.min_score:
        return []  # refusal is decided on the lexical evidence alone
    if scorer.embedder is not None and config.dense_weight:
        _blend_dense(candidates, analysis, scorer, passages)
    candidates.sort(key=lambda s: -s.score)
    chosen: list[Sentence] = []
    for side in analysis.sides() if analysis.is_comparison else [analysis]:
        for sentence in candidates:
            passage = passages[sentence.passage]
            if on_side(passage, side) and about_asked(sentence, passage, side) and sentence not in chosen:
                if sentence.score >= config.min_score * 0.8:
                    chosen.append(sentence)
                break
    best = candidates[0].score
    for sentence in candidates:  # runners-up: close in score and from a passage already cited (precise citations)
        if len(chosen) >= config.max_sentences:
            break
        if sentence in chosen or sentence.score < best * config.keep_ratio:
            continue
        if any(c.passage == sentence.passage for c in chosen):
            chosen.append(sentence)
    chosen = [_extend_heading(s, passages[s.passage], config.short_sentence) for s in chosen]
    if LIST_ASKED.search(analysis.simplified):
        chosen = [_extend_enumeration(s, passages[s.passage]) for s in chosen]
    return sorted(chosen, key=lambda s: (s.passage, s.start))


def own_metrics(analysis: QueryAnalysis, scorer: SentenceScorer) -> dict:
    """"A的X和B的Y": each place's side with its own metric; {} when a place is written without words of its own
    (it shares the question's metric: "苏尼特左旗(2021年)和饶阳县(2021年)城镇居民人均可支配收入")."""
    own = analysis.own_words() if analysis.is_comparison else {}
    return own if all(scorer.query_weights(side) for side in own.values()) else {}


def _blend_dense(candidates: list[Sentence], analysis: QueryAnalysis, scorer: SentenceScorer,
                 passages: list[Passage]) -> None:
    """Rank by lexical score blended with e5 similarity (rescaled from its usual 0.75–0.95 band).

    Only sentences that could still be chosen are embedded (embedding is most of an answer's time): one
    whose best possible blend is below the worst blend of every side's leader it could displace, and below
    the runner-up cut, keeps its worst blend. The choice is the same as embedding every candidate."""
    import numpy as np
    weight = scorer.config.dense_weight
    reach = {id(s): weight * min(1.0, s.score * 4) for s in candidates}  # what similarity 1 would add
    for sentence in candidates:
        sentence.score *= 1 - weight  # the blend at similarity 0
    sides = analysis.sides() if analysis.is_comparison else [analysis]
    sides_of = {id(s): [i for i, side in enumerate(sides) if on_side(passages[s.passage], side)] for s in candidates}
    side_floor = [max((s.score for s in candidates if i in sides_of[id(s)]), default=0.0) for i in range(len(sides))]
    runner_up_cut = scorer.config.keep_ratio * max(s.score for s in candidates)
    contenders = [s for s in candidates if s.score + reach[id(s)] >= runner_up_cut
                  or any(s.score + reach[id(s)] >= side_floor[i] for i in sides_of[id(s)])]
    query = scorer.embedder.embed_query(" ".join([analysis.simplified, *analysis.expansions]))
    vectors = scorer.embedder.embed_recent([to_simplified(s.text) for s in contenders], "passage")
    similarity = np.clip((vectors @ query - 0.75) / 0.2, 0.0, 1.0)
    for sentence, sim in zip(contenders, similarity):
        sentence.score += float(sim) * reach[id(sentence)]


def _extend_heading(sentence: Sentence, passage: Passage, short: int) -> Sentence:
    """A short heading ("1.打造三大产业集群") says little: quote it with the sentences after it."""
    if len(sentence.text) >= short:
        return sentence
    local_end = sentence.end - passage.start
    for match in SENTENCE.finditer(passage.text, local_end):
        if addresses_assistant(match.group()):
            break  # never quote instructions aimed at the assistant, even as context
        local_end = match.end()
        if local_end - (sentence.start - passage.start) >= 4 * short:
            break
    return _quoted_to(sentence, passage, local_end)


def _quoted_to(sentence: Sentence, passage: Passage, local_end: int) -> Sentence:
    """`sentence` quoted on to `local_end` (an offset in the passage), trailing whitespace left out."""
    local_end = len(passage.text[:local_end].rstrip())
    text = passage.text[sentence.start - passage.start:local_end]
    return Sentence(sentence.passage, text, sentence.start, passage.start + local_end, sentence.score)


LIST_ASKED = re.compile(r"哪些|哪几|哪[两二三四五六七八九十]|有什么|\bwhat are\b|\bwhich\b", re.I)
ENUMERATION_START = re.compile(r"(?:^|[:：,，])\s*(?:一是|第一[,，、]|其一[,，、])")
ENUMERATION_NEXT = re.compile(r"\s*(?:[二三四五六七八九十]是|第[二三四五六七八九十][,，、]|其[二三四五六七八九十][,，、])")
MAX_ENUMERATION = 10


def _extend_enumeration(sentence: Sentence, passage: Passage) -> Sentence:
    """"…抓了以下六方面工作:一是…;" asked which: quote it with the 二是…, 三是… clauses that follow it."""
    if not ENUMERATION_START.search(sentence.text):
        return sentence
    local_end = sentence.end - passage.start
    for count, match in enumerate(SENTENCE.finditer(passage.text, local_end)):
        if count >= MAX_ENUMERATION or not ENUMERATION_NEXT.match(match.group()) \
                or addresses_assistant(match.group()):
            break
        local_end = match.end()
    return _quoted_to(sentence, passage, local_end)


def on_side(passage: Passage, side: QueryAnalysis) -> bool:
    """Does this passage's report belong to this side of a comparison (its place and year)?"""
    facts = passage.facts
    if side.places and facts is not None and facts.place and place_match(facts, side.places) < 1.0:
        return False
    if side.report_years and facts is not None and facts.year is not None \
            and not facts.session_years & set(side.report_years):
        return False
    asked = side.asked_years
    return not (asked and passage.years and not set(passage.years) & asked) or at_asked_session(passage, side) \
        or bool(asked & header_years(passage.start, facts))


def header_years(offset: int, facts) -> set[int]:
    """For text at `offset` among a work or plan report's title, date and speaker lines: the year it reviews and
    the year it is given and plans for (never the five years it may look back over); empty elsewhere."""
    if facts is None or facts.kind not in PARTED_KINDS or not facts.plans_for or offset - facts.doc_start >= HEADER_REACH:
        return set()
    return {facts.plans_for - 1, facts.plans_for} | ({facts.year} if facts.year else set())


def about_asked(sentence: Sentence, passage: Passage, analysis: QueryAnalysis) -> bool:
    """May this sentence answer for the asked place and year? Never quote another place's or year's figure.

    A report of the asked place qualifies; a report of a place around it (the city's, for a district)
    only with a sentence that names the asked place. A part of a report about other years qualifies
    only with a sentence that names an asked year.
    """
    facts = passage.facts
    if analysis.places and facts is not None:
        match = place_match(facts, analysis.places)
        if match < 1.0:
            names = {n for p in analysis.places for n in (p.name, p.alias) if len(n) >= 2}
            if match < 0.5 or not any(n in to_simplified(sentence.text) for n in names):
                return False
    asked = analysis.asked_years
    if asked:
        plain = YEAR_SPAN.sub("", sentence.text)
        mentioned = years_named(plain)
        plan = facts.plan_year if facts is not None else None
        if plan and asks_outcome(analysis):  # a report's figures for the years it plans are targets, not outcomes
            asked = {y for y in asked if y < plan or y in mentioned}
            if not asked:
                return False
        if asks_outcome(analysis) and not PART_ASKED.search(analysis.simplified) and part_of_year(plain):
            return False  # "2022年上半年…实现地区生产总值46.31亿元" does not answer for the year 2022
        if at_asked_session(passage, analysis):
            return True
        topic = TOPIC_YEAR.match(sentence.text)
        planned = [m for m in YEAR_MENTION.finditer(plain) if OTHER_YEARS_PLAN.match(plain, m.end())]
        if (topic or planned or FIGURE_DATED.search(plain)) and not mentioned & asked:
            return False  # "2023年,全区…实现…1744亿元", "提出了2024年…预期目标": another year's figures
        part_years = part_years_of(sentence, passage)
        if analysis.periods and plan:  # "十三五期间…": a review part's "五年来…" speaks of the years it looks back over
            part_years |= {y for y in passage.years if y < plan}
        if not part_years & asked and not mentioned & asked and (part_years or mentioned):
            return False  # another year's part of a report, or a sentence that names only other years
    return True


PART_OF_YEAR = re.compile(r"[一二三四1-4]季度|上半年|下半年|前三季度|前\d{1,2}个月|(?<!\d)\d{1,2}\s*[-—–~至到]\s*(?:1[01]|[1-9])\s*月")
PART_ASKED = re.compile(rf"{PART_OF_YEAR.pattern}|\d{{1,2}}月|half|quarter|\bQ[1-4]\b|months?\b|January|February|March|"
                        r"April|May|June|July|August|September|October|November|December", re.I)
WHOLE_YEAR = re.compile(r"全年|年度|年末|年底|全年度")


# "265.73 億元(2020年)": a figure dated in brackets after it (an infobox field), that year's figure
FIGURE_DATED = re.compile(r"\d\s*[^\d\s(（]{0,4}\s*[(（](?:19|20)\d{2}年?[)）]")


def part_of_year(sentence: str) -> bool:
    """Are a sentence's figures for part of a year ("2022年上半年,…实现…46.31亿元"): it names the part before its
    first figure and says nothing of the whole year ("…,增速比上半年提高1个百分点" is the year's)?"""
    part = PART_OF_YEAR.search(sentence)
    return bool(part) and not DIGIT.search(YEAR_MENTION.sub("", sentence[:part.start()])) \
        and not WHOLE_YEAR.search(sentence)


OTHER_YEARS_PLAN = re.compile(r"[^，。,；;]{0,15}?(?:预期目标|主要目标|目标任务|工作安排|计划安排)")  # "2024年…预期目标"
PLAN_ASKED = re.compile(rf"{TARGET_ASKED.pattern}|将|拟|打算|安排|部署|任务|要求|提出|确保|争取|定下|设定|(?<![主需重只还])要(?![素点])|不低于|不少于|不超过|控制在|"
                        r"\bwill\b|going to", re.I)


def asks_outcome(analysis: QueryAnalysis) -> bool:
    """A how-much question about what happened ("2022年GDP是多少"), not about a plan or target."""
    return bool(QUANTITY.search(analysis.simplified)) and not PLAN_ASKED.search(analysis.simplified) \
        and not SESSION_ASKED.search(analysis.simplified)


SESSION_ASKED = re.compile(r"人代会|人民代表大会|大会|会议|出席|列席|代表|session|congress|deputies|delegates", re.I)


def at_asked_session(passage: Passage, analysis: QueryAnalysis) -> bool:
    """"2020年1月人代会开幕时…": a question about the session a report of the asked year is given at, whatever
    year the report reviews."""
    facts = passage.facts
    return bool(SESSION_ASKED.search(analysis.simplified)) and facts is not None and facts.year in analysis.years


def part_years_of(sentence: Sentence, passage: Passage) -> set[int]:
    """The years the part of a report holding `sentence` is about, when the sentence names none: a work
    report's review or plan year; for a report of no year, its paragraph's or its heading's."""
    facts = passage.facts
    header = header_years(sentence.start, facts)
    if header:
        return header
    return primary_years(passage) if facts is not None and facts.years else paragraph_year(sentence, passage)


HEADER_REACH = 150  # characters from a report's start that hold its title, date and speaker lines


def paragraph_year(sentence: Sentence, passage: Passage) -> set[int]:
    """For a report of no year: the year its paragraph last opened a sentence with before this one, else the
    year of the numbered heading above it ("三、2026年主要预期目标"), within the passage, else where the passage
    starts, its years, as a set; empty after a turn to 今年 or with no year."""
    local = sentence.start - passage.start
    if local < 0:
        return set()
    line_start = passage.text.rfind("\n", 0, local) + 1
    year = running_year(passage.text, line_start, local + 1)
    if year is None:
        headings = list(YEAR_HEADING.finditer(passage.text, 0, line_start))
        year = int(headings[-1].group(1)) if headings else None
    if year is None:
        return set(passage.years)
    return {year} if year else set()


# "三、2026年主要预期目标", "（二）2025年工作回顾": a numbered heading line that names its part's year
YEAR_HEADING = re.compile(r"(?m)^\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）])[^\n。；;]{0,12}?"
                          r"((?:19|20)\d{2})年[^\n。；;]{0,20}$")


def primary_years(passage: Passage) -> set[int]:
    """The year a sentence that names none is about: last year in a work report's review part (the five
    years it may look back over count only when named), this year in its planning part."""
    facts, years = passage.facts, set(passage.years)
    plan = facts.plans_for if facts is not None and facts.kind in PARTED_KINDS else None
    if not plan or not years:
        return years
    if all(y < plan for y in years):
        return {plan - 1}
    if all(y >= plan for y in years):
        return {plan}
    return {plan - 1, plan}  # parts not told apart: last year or this year, never the look-back


def evidence_sentences(analysis: QueryAnalysis, passages: list[Passage], scorer: SentenceScorer,
                       limit: int = 5, max_chars: int = 360, clauses: bool = True) -> list[Sentence]:
    """What an LLM is given: the chosen sentences and the best other candidates that fit `max_chars`
    (prompt processing dominates a small local model's time), in reading order; empty when the
    refusal gate finds no evidence: nothing worth a model call."""
    chosen = select_sentences(analysis, passages, scorer)
    if not chosen:
        return []
    config = scorer.config
    weights = scorer.query_weights(analysis)
    unit = asked_unit(analysis)
    others = [s for s in passage_sentences(passages) if about_asked(s, passages[s.passage], analysis)
              and not addresses_assistant(s.text) and not any(c.start <= s.start < c.end for c in chosen)]
    for sentence in others:
        sentence.score = scorer.score(sentence, passages[sentence.passage], weights, analysis,
                                      unit)
    picked = _widest(chosen, passages)
    budget = max_chars - sum(len(s.text) for s in picked)
    for sentence in sorted(others, key=lambda s: -s.score):
        if len(picked) >= limit or sentence.score < config.min_score * 0.5:
            break
        if len(sentence.text) <= budget and not _within_any(sentence, picked, passages):
            picked.append(sentence)
            budget -= len(sentence.text)
    if clauses:
        words = [w for w in metric_names(analysis, weights) if len(w) >= 2] + [
            t for t, weight in weights.items() if weight >= CLAUSE_WORD_WEIGHT and len(t) >= 2 and not t.isdigit()]
        picked = [clause_window(sentence, words) for sentence in picked]
    return sorted(picked, key=lambda s: (s.passage, s.start))


CLAUSE_END = re.compile(r"[,，;；。：]|:(?!\d)")  # not the colon of a ratio (1.87:1)
CLAUSE_MIN_CHARS = 60  # shorter sentences reach the model whole
CLAUSE_WORD_WEIGHT = 2.5  # question words at least this rare mark the clauses a model is given


def clause_window(sentence: Sentence, words: list[str]) -> Sentence:
    """The run of clauses of a long sentence from the first to the last that names one of `words` (and the
    figure right after a clause that names it without one), with exact offsets; the sentence when none do."""
    text = sentence.text
    if len(text) < CLAUSE_MIN_CHARS or not words:
        return sentence
    cuts = [0] + [m.end() for m in CLAUSE_END.finditer(text)]
    if cuts[-1] != len(text):
        cuts.append(len(text))
    clauses = list(zip(cuts, cuts[1:]))
    marked = [i for i, (a, b) in enumerate(clauses) if any(w in to_simplified(text[a:b]) for w in words)]
    if not marked:
        return sentence
    first, last = marked[0], marked[-1]
    if not re.search(r"\d", text[slice(*clauses[last])]) and last + 1 < len(clauses):
        last += 1
    start, end = clauses[first][0], clauses[last][1]
    while end > start and text[end - 1] in ",，;；:：":
        end -= 1  # "…535.97亿元、增长12.1%": the window ends on its own words, not on a comma
    return replace(sentence, text=text[start:end], start=sentence.start + start, end=sentence.start + end)


def _within_any(sentence: Sentence, kept: list[Sentence], passages: list[Passage]) -> bool:
    """The same source text as a kept sentence, or part of it (overlapping chunks cut it twice)."""
    source = passages[sentence.passage].source
    return any(passages[k.passage].source == source and k.start <= sentence.start and sentence.end <= k.end
               for k in kept)


def _widest(sentences: list[Sentence], passages: list[Passage]) -> list[Sentence]:
    """`sentences` without those another one contains: each text reaches the model once."""
    kept: list[Sentence] = []
    for sentence in sorted(sentences, key=lambda s: -(s.end - s.start)):
        if not _within_any(sentence, kept, passages):
            kept.append(sentence)
    return kept
