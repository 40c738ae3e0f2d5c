"""Finding places named in a text: full names, abbreviated names and pinyin.

Full names ("龙岗区", "赤峰市") are found for every place of the gazetteer. Abbreviated names
("龙岗") are found for the `known` places (those the corpus is about, and their parents), and
for other counties and cities only when the word is not a common word of the language (和平,
新华 are words first). Pinyin names ("Longgang District", "Chifeng") are found in English text.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from .gazetteer import Gazetteer, Place

MIN_ALIAS = 2
GENERIC_NAME = 3  # an abbreviated name shared by more places than this (经开区) names a kind of place
GENERIC_FULL_NAME = 10  # likewise for full names (城关镇 is the seat of dozens of counties)
COMMON_WORD_FREQ = 300  # jieba dictionary frequency above which a non-place-tagged word is a word first
ENGLISH_LEVELS = {"province": "province", "city": "city", "prefecture": "city", "district": "county",
                  "county": "county", "banner": "county", "town": "town", "township": "town",
                  "subdistrict": "town", "street": "town"}
NOT_A_PLACE_AFTER = set("路街巷桥站园厦馆院校港湾里")  # 北京路, 中山大学…: a street or a building, not the place
JOINERS = set("和与及同暨")
ORGAN_AFTER_LEVEL = set("委级")  # "市委、市政府和县委": 和 + 县委, not 和县; "和县级": 和 + 县级
LEVEL_SUFFIX = set("省市州盟县区旗镇乡")  # 金秀县: an abbreviated name may be read together with its level
_ENGLISH_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Mention:
    """A place named in a text: where, how, and which places the name can mean."""

    start: int
    end: int
    text: str
    candidates: tuple[Place, ...]
    kind: str  # "name" (full name), "alias" (abbreviated), "pinyin"


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Frequent words that jieba does not tag as place names."""
    import jieba
    words = set()
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3 and int(parts[1]) >= COMMON_WORD_FREQ and parts[2] != "ns":
                words.add(parts[0])
    return frozenset(words)


def _full_name_ok(name: str) -> bool:
    return len(name) >= 3 or name.endswith(("县", "旗", "市", "省"))


def _joiner_and_organ(text: str, position: int, size: int) -> bool:
    """Is the two-character name at `position` a joiner and the start of an organ word (和县委 = 和 + 县委)?"""
    return size == 2 and text[position] in JOINERS and text[position + size:position + size + 1] in ORGAN_AFTER_LEVEL


def _yielding_last_character(text: str, found: Mention, gaz: Gazetteer) -> Mention:
    """"济南市中区" is 济南 and its 市中区: a city's name gives up its 市 to a district of its own named with it."""
    start = found.end - 1
    for size in range(min(gaz.max_name, len(text) - start), 2, -1):
        inner = [p for p in gaz.lookup(text[start:start + size])
                 if any(p.is_within(c) and p != c for c in found.candidates)]
        if inner:
            return replace(found, end=start, text=found.text[:-1], kind="alias")
    return found


def _name_starts(text: str, position: int, gaz: Gazetteer) -> bool:
    """Does a full place name start at `position`?"""
    return any(gaz.lookup(text[position:position + size]) for size in range(3, min(gaz.max_name, len(text) - position) + 1))


def _within_previous(places: list[Place], mentions: list[Mention], position: int, text: str) -> list[Place]:
    """A two-character name such as 城区 is a place only right after a place it lies in (晋城市城区, 阳泉的郊区)."""
    if not places or not mentions or text[mentions[-1].end:position] not in ("", "的"):
        return []
    return [p for p in places if any(p.is_within(parent) and p != parent for parent in mentions[-1].candidates)]


class AliasTable(dict):
    """Abbreviated name → places, knowing its longest name (a question is scanned for names up to it)."""

    def __init__(self, table: dict[str, list[Place]]):
        super().__init__(table)
        self.longest = max((len(a) for a in table), default=0)


def alias_table(gaz: Gazetteer, known: Iterable[Place]) -> AliasTable:
    """Abbreviated names to look for: every known place and its parents, plus uncommon county/city names."""
    table: dict[str, list[Place]] = {}
    common = _common_words()
    for alias, places in gaz.by_alias.items():
        places = [p for p in places if p.level != "town"]
        if len(alias) >= MIN_ALIAS and alias not in common and len(places) <= GENERIC_NAME:
            table[alias] = places
    for place in known:
        for item in [place, *gaz.parents(place)]:
            if len(item.alias) >= MIN_ALIAS and item.alias != item.name:
                bucket = table.setdefault(item.alias, [])
                if item not in bucket:
                    bucket.append(item)
    return AliasTable({alias: places for alias, places in table.items() if places})


def _inside_previous(places, mentions: list[Mention], position: int) -> bool:
    """"甘肃兰州": the alias starts where a mention of a place around it ends."""
    return bool(mentions) and mentions[-1].end == position and any(
        p.is_within(o) and p != o for p in places for o in mentions[-1].candidates)


def _outer_of_next(places, aliases, text: str, end: int) -> bool:
    """"甘肃兰州": the alias is followed at once by an alias of a place inside it."""
    return any(text.startswith(alias, end) and any(p.is_within(o) and p != o for p in inner for o in places)
               for alias, inner in ((a, aliases[a]) for a in (text[end:end + n] for n in range(2, 5)) if a in aliases))


def find_mentions(text: str, gaz: Gazetteer, aliases: dict[str, list[Place]] | None = None,
                  english: bool = True, pinyin: dict[str, list[Place]] | None = None) -> list[Mention]:
    """Places named in `text` (simplified Chinese, or English), longest name first at each position.

    `pinyin` is `pinyin_table(gaz, aliases)`, built once by the caller (it takes a while).
    """
    aliases = aliases if aliases is not None else {}
    longest = max(gaz.max_name, aliases.longest if isinstance(aliases, AliasTable) else
                  max((len(a) for a in aliases), default=0))
    mentions: list[Mention] = []
    bounds: set[int] | None = None  # jieba's word boundaries, read when an abbreviated name is first met
    position = 0
    while position < len(text):
        found = None
        for size in range(min(longest, len(text) - position), 1, -1):
            piece = text[position:position + size]
            places = gaz.lookup(piece) if _full_name_ok(piece) else _within_previous(gaz.lookup(piece), mentions,
                                                                                    position, text)
            if places and _joiner_and_organ(text, position, size):
                places = []
            if places:
                found = Mention(position, position + size, piece, tuple(places), "name")
                break
            if piece in aliases and (text[position + size:position + size + 1] not in NOT_A_PLACE_AFTER
                                     or _name_starts(text, position + size, gaz)):  # 张家口桥东区: no bridge
                bounds = bounds if bounds is not None else word_bounds(text)
                if (position in bounds or _inside_previous(aliases[piece], mentions, position)) and (
                        position + size in bounds or text[position + size:position + size + 1] in LEVEL_SUFFIX
                        or _outer_of_next(aliases[piece], aliases, text, position + size)):
                    # 金秀县, 深圳龙岗, 甘肃兰州 (one word to jieba), not 资中 of 招商引资中…
                    found = Mention(position, position + size, piece, tuple(aliases[piece]), "alias")
                    break
        if found and found.kind == "name":
            found = _yielding_last_character(text, found, gaz)
        if found:
            mentions.append(found)
            position = found.end
        else:
            position += 1
    if english and _ENGLISH_WORD.search(text):
        mentions += pinyin_mentions(text, pinyin if pinyin is not None else pinyin_table(gaz, aliases))
    return sorted(mentions, key=lambda m: m.start)


def placed_under(mentions: list[Mention], gaz: Gazetteer, text: str, gap: re.Pattern | None = None) -> list[Mention]:
    """A full county-level name written right after a city it is not listed under ("石家庄市桥东区": the data's
    one 桥东区 is 张家口's, 石家庄's was abolished) is read as that city's place, which the data lacks."""
    settled = list(mentions)
    for i in range(1, len(settled)):
        outer, inner = settled[i - 1], settled[i]
        between = text[outer.end:inner.start]
        if (inner.kind != "name" or len(outer.candidates) != 1 or not inner.text.endswith(("区", "县", "旗"))
                or not (gap.fullmatch(between) if gap is not None else between == "")):
            continue
        city = outer.candidates[0]
        if city.level in ("city", "province") and not any(c.is_within(city) for c in inner.candidates):
            settled[i] = replace(inner, candidates=(gaz.under(city, inner.text),))
    return settled


def word_bounds(text: str) -> set[int]:
    """Where jieba's words of `text` start and end: an abbreviated name must not straddle a word."""
    from ..retrieval.lexical import jieba_engine
    bounds, at = {0}, 0
    for word in jieba_engine().cut(text):
        at += len(word)
        bounds.add(at)
    return bounds


MAX_SPELLINGS = 8  # readings tried for a name with characters of several readings (长治: zhangzhi, changzhi…)


def spellings(name: str) -> list[str]:
    """The pinyin of `name`, pypinyin's usual reading first, then the other readings of its characters
    (pypinyin reads 长治 zhangzhi; the place is Changzhi)."""
    from itertools import islice, product

    from pypinyin import Style, lazy_pinyin, pinyin
    usual = "".join(lazy_pinyin(name))
    readings = ("".join(r) for r in product(*pinyin(name, heteronym=True, style=Style.NORMAL)))
    return list(dict.fromkeys([usual, *islice(readings, MAX_SPELLINGS)]))


@lru_cache(maxsize=1)
def plain_pinyin() -> dict[str, list[Place]]:
    """The gazetteer's own pinyin table (no corpus aliases), built once."""
    from .gazetteer import gazetteer
    return pinyin_table(gazetteer(), {})


def pinyin_table(gaz: Gazetteer, aliases: dict[str, list[Place]]) -> dict[str, list[Place]]:
    """Pinyin spellings ("longgang") of every county and city, and of the `aliases` places; a name's other
    readings only where no name's usual reading is spelled so."""
    names: dict[str, list[Place]] = {}
    for place in gaz.places:
        if place.level != "town":
            names.setdefault(place.alias, []).append(place)
    for alias, places in aliases.items():
        names[alias] = list(dict.fromkeys([*names.get(alias, []), *places]))
    full = {place.name: [place] for place in gaz.places if place.level != "town" and place.name != place.alias}
    table: dict[str, list[Place]] = {}
    others: dict[str, list[Place]] = {}
    for group in (names, full):  # the full name, level included: "Sunite Youqi", "Jianyang Shi"
        for name, places in group.items():
            usual, *rest = spellings(name)
            for spelled, into in [(usual, table)] + [(r, others) for r in rest]:
                if spelled.isascii() and len(spelled) >= 4:
                    bucket = into.setdefault(spelled, [])
                    bucket += [p for p in places if p not in bucket]
    for spelled, places in others.items():
        table.setdefault(spelled, places)
    return table


DIRECTION_WORDS = {"right": "右", "left": "左", "front": "前", "rear": "后", "back": "后", "middle": "中",
                   "central": "中", "east": "东", "west": "西", "south": "南", "north": "北", "upper": "上"}
LEVEL_WORD_ENDINGS = {"banner": ("旗",), "county": ("县",), "district": ("区",), "city": ("市", "州", "盟"),
                      "prefecture": ("州", "地区", "盟"), "town": ("镇",), "township": ("乡",)}
LEVEL_ENDINGS = ("自治旗", "自治县", "自治州", "旗", "县", "区", "市", "盟", "州", "镇", "乡")  # 洋县 → 洋: unlike
# gazetteer.short_name, a one-character name is stripped too, since only its sound is compared
SOUND_ALIKE = 0.8  # how close an English spelling's consonants must be to a corpus place's pinyin


def _consonants(spelled: str) -> str:
    """A spelling's consonant skeleton, with sounds English and pinyin write differently made one."""
    skeleton = re.sub(r"[aeiouyw'’ -]", "", spelled.lower())
    skeleton = skeleton.translate(str.maketrans("rdbgvk", "ltphfh"))  # Horqin is 科尔沁 (ke'erqin)
    return re.sub(r"(.)\1+", r"\1", skeleton)


def sound_alike(name: str, places: Iterable[Place]) -> list[Place]:
    """The corpus place an English name not spelled in pinyin stands for ("Sonid Right Banner" for a held
    苏尼特右旗): same level and direction words, and a consonant skeleton close to its pinyin; [] unless one
    place is clearly closest."""
    from difflib import SequenceMatcher

    words = name.split()
    level = ENGLISH_LEVELS.get(words[-1].lower())
    directions = "".join(DIRECTION_WORDS.get(w.lower(), "") for w in words[:-1])
    proper = "".join(w for w in words[:-1] if w.lower() not in DIRECTION_WORDS and w.lower() != "autonomous")
    if not level or not proper:
        return []
    endings = LEVEL_WORD_ENDINGS.get(words[-1].lower(), ())
    scored = []
    for place in places:
        if place.level != level or (endings and not place.name.endswith(endings)):
            continue
        core = next((place.name[:-len(e)] for e in LEVEL_ENDINGS if place.name.endswith(e)), place.name)
        core = core.replace("翼", "")  # 科尔沁右翼中旗: "Horqin Right Middle Banner" writes no 翼 (wing)
        if directions:
            if not core.endswith(directions):
                continue
            core = core[:-len(directions)]
        elif core and core[-1] in DIRECTION_WORDS.values():
            continue
        heard = _consonants(proper)
        similarity = max((SequenceMatcher(None, heard, _consonants(s)).ratio() for s in spellings(core)
                          if _consonants(s)[:1] == heard[:1]), default=0.0)  # Hengzhou is not Changzhi
        scored.append((similarity, place))
    scored.sort(key=lambda item: -item[0])
    if not scored or scored[0][0] < SOUND_ALIKE or (len(scored) > 1 and scored[1][0] >= scored[0][0]):
        return []
    return [scored[0][1]]


_LEVEL_NAMES = "|".join(w.capitalize() for w in ENGLISH_LEVELS)
_NAMED_PLACE = re.compile(r"((?:[A-Z][a-z]+(?:['’-][A-Za-z]+)?\s+){1,4})(?:Autonomous\s+)?(" + _LEVEL_NAMES + r")\b")
_NOT_A_NAME = {"The", "What", "Which", "How", "In", "For", "Of", "And", "Or", "Its", "Each", "Every", "This",
               "That", "Whole", "Central", "Main", "Old", "New", "Our", "Their", "Did", "Does", "Was", "Were",
               "Is", "Are", "By", "At", "From", "To", "Compare", "List", "Both", "Same", "Home", "National"}


def unknown_english_places(text: str, mentions: list[Mention]) -> list[str]:
    """Names an English question gives as a place ("Ejin Horo Banner") that no pinyin spelling matches."""
    unknown = []
    for match in _NAMED_PLACE.finditer(text):
        words = match.group(1).split()
        while words and words[0] in _NOT_A_NAME:
            words.pop(0)
        if not words:
            continue
        start = match.start(1) + match.group(1).index(words[0])
        if not any(m.start < match.end() and start < m.end for m in mentions):
            unknown.append(text[start:match.end()])
    return unknown


def _with_ending(table: dict[str, list[Place]], spelled: str, level_word: str) -> list[Place]:
    """"Linxia County" when "Linxia" is the prefecture 临夏州: the place spelled with the level's ending, 临夏县."""
    found = []
    for ending in LEVEL_WORD_ENDINGS.get(level_word, ()):
        found += [p for p in table.get(spelled + spellings(ending)[0], []) if p.name.endswith(ending)]
    return found


def pinyin_mentions(text: str, table: dict[str, list[Place]]) -> list[Mention]:
    """Places named in pinyin: "Longgang District", "Chifeng City", "Gulou District of Fuzhou"."""
    words = list(_ENGLISH_WORD.finditer(text))
    mentions = []
    index = 0
    while index < len(words):
        matched = None
        for size in (3, 2, 1):
            group = words[index:index + size]
            if len(group) < size or not group[0].group()[0].isupper():
                continue
            if any(text[a.end():b.start()] not in ("", " ", "-", "'") for a, b in zip(group, group[1:])):
                continue
            spelled = "".join(w.group().lower() for w in group)
            if spelled in table:
                matched = (group, table[spelled])
                break
            after = words[index + size] if index + size < len(words) else None
            named = _with_ending(table, spelled, after.group().lower()) if after else []
            if named and text[group[-1].end():after.start()].strip() == "":
                matched = (group, named)  # "Hengzhou City": only 横州市 is spelled so, with its 市
                break
        if not matched:
            index += 1
            continue
        group, places = matched
        end = group[-1].end()
        following = words[index + len(group)] if index + len(group) < len(words) else None
        level = ENGLISH_LEVELS.get(following.group().lower()) if following else None
        if level and text[end:following.start()].strip() == "":
            ended = _with_ending(table, "".join(w.group().lower() for w in group), following.group().lower())
            narrowed = list(dict.fromkeys([p for p in places if p.level == level] + ended))  # "Xi'an District":
            # 辽源's 西安区 is listed under "xian", 牡丹江's under "xianqu"
            places, end = (narrowed or places), following.end()
        mentions.append(Mention(group[0].start(), end, text[group[0].start():end], tuple(places), "pinyin"))
        index += len(group) + (1 if level else 0)
    return mentions
