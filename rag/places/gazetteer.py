"""Every administrative division of China, from the `jionlp` package's division dictionary.

Loaded lazily once per process. No place is named in this code: names, aliases, parent
chains and levels all come from the data file (province → city → county → town).
"""
from __future__ import annotations

import importlib.util
import io
import zipfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from ..errors import ConfigError

LEVELS = ("province", "city", "county", "town")
TOWN_SUFFIXES = ("街道", "镇", "乡", "苏木")
# Suffixes an abbreviated name drops ("龙岗区" → "龙岗"); the data gives aliases down to counties.
NAME_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "街道", "新区", "林区", "地区", "苏木",
                 "省", "市", "区", "县", "旗", "盟", "州", "镇", "乡")
# Rows of the data that group counties without being a place of their own.
GROUPING_ROWS = ("省直辖行政区划", "省直辖县级行政区划", "自治区直辖县级行政区划", "县", "市辖区")


@dataclass(frozen=True)
class Place:
    """One administrative division: its full path of names and its level."""

    path: tuple[str, ...]
    level: str
    alias: str

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def key(self) -> str:
        """How the index stores a place: "广东省/深圳市/龙岗区"."""
        return "/".join(self.path)

    @property
    def label(self) -> str:
        """The name a reader knows it by, with its city when that tells namesakes apart: "深圳市龙岗区"."""
        if self.level in ("county", "town") and len(self.path) >= 2:
            return "".join(self.path[-2:])
        return self.name

    def is_within(self, other: Place) -> bool:
        """True when `other` is this place or one of its parents."""
        return self.path[:len(other.path)] == other.path


def short_name(name: str) -> str:
    """A name without its administrative suffix: 龙岗区 → 龙岗, 中新镇 → 中新 (never below 2 characters)."""
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def child_level(parent: Place, name: str) -> str:
    """The level of a division called `name` directly under `parent` (a municipality's 区 is a county)."""
    if name.endswith(TOWN_SUFFIXES):
        return "town"
    if parent.level == "province" and name.endswith(("区", "县", "旗")):
        return "county"
    return LEVELS[min(LEVELS.index(parent.level) + 1, len(LEVELS) - 1)]


def _child(parent: Place, name: str) -> Place:
    """A division called `name` directly under `parent`, as the data would list it."""
    return Place((*parent.path, name), child_level(parent, name), short_name(name))


def _data_file() -> bytes:
    spec = importlib.util.find_spec("jionlp")  # the data only: importing jionlp itself is slow
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the place gazetteer needs the `jionlp` package: pip install jionlp")
    path = Path(spec.submodule_search_locations[0]) / "dictionary" / "china_location.zip"
    with zipfile.ZipFile(path) as archive:
        return archive.read("china_location.txt")


class Gazetteer:
    """All places, looked up by full name or abbreviated name."""

    def __init__(self, places: list[Place]):
        self.places = places
        self.by_name: dict[str, list[Place]] = {}
        self.by_alias: dict[str, list[Place]] = {}
        self.by_key: dict[str, Place] = {}
        for place in places:
            self.by_name.setdefault(place.name, []).append(place)
            if place.alias != place.name:
                self.by_alias.setdefault(place.alias, []).append(place)
            self.by_key[place.key] = place
        self.max_name = max((len(n) for n in self.by_name), default=0)

    @classmethod
    def from_lines(cls, lines: io.TextIOBase | list[str]) -> Gazetteer:
        """Parse jionlp's tab-indented dictionary (villages, the fifth level, are skipped)."""
        places: list[Place] = []
        chain: list[str] = []
        for raw in lines:
            depth = len(raw) - len(raw.lstrip("\t"))
            if depth > 3 or not raw.strip():
                continue
            fields = raw.strip().split("\t")
            name = fields[0]
            alias = fields[2].split("/")[0] if len(fields) >= 3 else short_name(name)
            del chain[depth:]
            chain.extend([""] * (depth - len(chain)))
            chain.append(name)
            # 上海市/上海市/嘉定区 → 上海市/嘉定区; 湖北省/省直辖行政区划/仙桃市 → 湖北省/仙桃市
            path = tuple(n for i, n in enumerate(chain) if n and n not in GROUPING_ROWS
                         and not (i == 1 and chain[0].startswith(n)))
            if depth == 1 and (name in GROUPING_ROWS or name == chain[0] or chain[0].startswith(name)):
                continue
            if depth == 3 and not name.endswith(TOWN_SUFFIXES):
                continue  # farms, development zones, prisons: not governments that issue reports
            level = LEVELS[depth]
            places.append(Place(path, level, alias if depth < 3 else short_name(name)))
        return cls(places)

    def lookup(self, name: str) -> list[Place]:
        """Places with this full name."""
        return self.by_name.get(name, [])

    def lookup_alias(self, alias: str) -> list[Place]:
        """Places with this abbreviated name (full names are looked up with `lookup`)."""
        return self.by_alias.get(alias, [])

    def parents(self, place: Place) -> list[Place]:
        """The places around `place`, nearest first."""
        found = []
        for size in range(len(place.path) - 1, 0, -1):
            parent = self.by_key.get("/".join(place.path[:size]))
            if parent:
                found.append(parent)
        return found

    def get(self, key: str | None) -> Place | None:
        """The place stored under `key`; a place the data lacks under a parent it has (a district abolished or
        renamed since, read from a report that names its city) is rebuilt from the key."""
        if not key:
            return None
        return self.by_key.get(key) or self.unlisted(key)

    def unlisted(self, key: str) -> Place | None:
        """A place the data does not list, `key` naming a listed parent and a division name under it."""
        *parents, name = key.split("/")
        parent = self.by_key.get("/".join(parents)) if parents else None
        if parent is None or parent.level == "town" or short_name(name) == name:
            return None
        return _child(parent, name)

    def under(self, parent: Place, name: str) -> Place:
        """The place called `name` within `parent`: the listed one, else one the data lacks."""
        listed = [p for p in self.lookup(name) if p.is_within(parent) and p != parent]
        return listed[0] if listed else _child(parent, name)

    def with_places(self, extra: list[Place]) -> Gazetteer:
        """This gazetteer and places it does not list (read from reports), looked up like the others."""
        extra = [p for p in dict.fromkeys(extra) if p.key not in self.by_key]
        return Gazetteer([*self.places, *extra]) if extra else self

    @cached_property
    def children(self) -> dict[str, list[Place]]:
        kids: dict[str, list[Place]] = {}
        for place in self.places:
            if len(place.path) > 1:
                kids.setdefault("/".join(place.path[:-1]), []).append(place)
        return kids


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (about 47,000 places; read once, on first use)."""
    return Gazetteer.from_lines(_data_file().decode("utf-8").split("\n"))
