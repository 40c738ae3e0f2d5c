"""Split a file's text into documents (reports) with their facts and indexable segments."""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from ..textnorm import to_simplified
from ..types import Document
from .facts import read_facts
from .loaders import SourceText

TITLE_WORDS = re.compile(r"报告|报吿|规划|纲要|计划|统计公报")
# A line that can title a report: short, names a report kind, is not a sentence or a quotation.
REPORT_TITLE = re.compile(r"^[ \t]*(?:【[^】\n]{1,20}】)?[^\n。；;，,：:《》]{0,50}"
                          r"(?:政府工作报告|工作报告|规划纲要|五年规划|统计公报|计划执行情况[^\n。]{0,30}报告)"
                          r"[^\n。；;，,]{0,12}[ \t]*$", re.M)
# What follows a report's title within a few lines: the speech line or the opening address.
REPORT_HEADER = re.compile(r"人民代表大会|各位代表|工作回顾|过去一年|过去五年|(?:19|20)\d{2}年\d{1,2}月\d{1,2}日")
HEADER_WINDOW = 400
MIN_REPORT_CHARS = 300


@lru_cache(maxsize=1)
def _chrome_line() -> re.Pattern:
    lines = resources.files("rag.ingest").joinpath("web_chrome.txt").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return re.compile(r"^\s*(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\s*$")


def is_chrome(line: str) -> bool:
    """Is this line web-page chrome (breadcrumbs, share buttons, dates, footers)?"""
    return bool(line.strip()) and bool(_chrome_line().match(line.rstrip("\r\n")))


def report_starts(text: str) -> list[int]:
    """Offsets of the report titles in a file that holds several reports (empty for one report)."""
    simplified = to_simplified(text)
    starts = [m.start() + len(m.group()) - len(m.group().lstrip()) for m in REPORT_TITLE.finditer(simplified)
              if REPORT_HEADER.search(simplified, m.end(), m.end() + HEADER_WINDOW)]
    # A title repeated a few lines down ("2017政府工作报告" then "政府工作报告") starts no new report.
    kept = [s for s, following in zip(starts, starts[1:] + [len(text)]) if following - s >= MIN_REPORT_CHARS]
    return kept if len(kept) >= 2 else []


def split_documents(source: SourceText) -> list[Document]:
    """Documents of a file: one per report title followed by a report header, else the whole file."""
    text = source.text
    starts = report_starts(text)
    if not starts:
        spans = [(0, len(text))]
    else:
        spans = [(s, e) for s, e in zip(starts, starts[1:] + [len(text)], strict=True)]
        if text[: starts[0]].strip() and not _is_chrome_only(text[: starts[0]]):
            spans.insert(0, (0, starts[0]))
    documents = []
    for start, end in spans:
        pages = [(a, b, page, tuple(indexable_segments(text, a, b)))
                 for a, b, page in _pages_within(source, start, end)]
        pages = [p for p in pages if p[3]]
        if not pages:
            continue
        segments = tuple(s for p in pages for s in p[3])
        title = find_title(text, segments)
        facts = read_facts(text, start, end, title or "",  # the whole report's facts: later PDF pages keep them
                           file_name=source.name if len(spans) == 1 else None)
        if not title:
            facts = replace(facts, title=derived_title(facts) or source.name)
        elif facts.place and not _names_place(title, facts.place):
            # "政府工作报告" alone does not say whose it is; answers quote titles to say whose figure it is
            facts = replace(facts, title=f"{place_label(facts.place)}：{title}")
        for page_start, page_end, page, page_segments in pages:
            documents.append(Document(source=source.name, facts=facts, start=page_start, end=page_end,
                                      page=page, segments=page_segments))
    return documents


def _pages_within(source: SourceText, start: int, end: int):
    if not source.pages:
        yield start, end, None
        return
    for page_start, page_end, page in source.pages:
        lo, hi = max(start, page_start), min(end, page_end)
        if lo < hi:
            yield lo, hi, page


def _is_chrome_only(text: str) -> bool:
    return all(not line.strip() or is_chrome(line) for line in text.splitlines())


def indexable_segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Maximal runs of lines in [start, end) that are not web chrome, whitespace-trimmed."""
    segments: list[tuple[int, int]] = []
    run_start = None
    pos = start
    while pos < end:
        newline = text.find("\n", pos, end)
        line_end = end if newline == -1 else newline + 1
        line = text[pos:line_end]
        if is_chrome(line):
            if run_start is not None:
                segments.append((run_start, pos))
                run_start = None
        elif run_start is None and line.strip():
            run_start = pos
        pos = line_end
    if run_start is not None:
        segments.append((run_start, end))
    return [s for s in (trim_span(text, a, b) for a, b in segments) if s[1] > s[0]]


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow [start, end) past leading and trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_title(text: str, segments: tuple[tuple[int, int], ...]) -> str | None:
    """The report's title: a tagged title line, else an early short line naming a report or plan."""
    lines = []
    for a, b in segments:
        lines.extend(line.strip() for line in text[a:b].split("\n") if line.strip())
        if len(lines) > 30:
            break
    if not lines:
        return None
    first = lines[0]
    if first.startswith("【") and "】" in first:
        tagged = first.split("】", 1)[1].strip()
        if len(tagged) <= MAX_TITLE_CHARS and not re.search(r"[。；;]", tagged):
            return tagged or first
        first = lines[0] = tagged  # "【概 况】 袁州区位于…。辖14个镇…": a section tag over the text, not a title
    for at, line in enumerate(lines[:20]):
        if len(line) <= MAX_TITLE_CHARS and TITLE_WORDS.search(to_simplified(line)) \
                and not line.endswith(("。", ":", "：", ",", "，")) and "《" not in line:
            if re.fullmatch(r"(\S\s+){3,}\S", line):
                return _unspaced(line)  # "政 府 工 作 报 告"
            if re.search(r"[,，]", line):
                return _with_tail(_title_from_line(line), line, lines[at + 1:])
            return _continued(_with_head(line, lines[:at]), lines[at + 1:])
    return None if SPEECH_LINE.search(to_simplified(first)) else _with_tail(_title_from_line(first), first, lines[1:])


def _with_tail(title: str, line: str, following: list[str]) -> str:
    """A title broken over two lines: "2020年大东区国民经济和社会发展" over "统 计 公 报"."""
    rest = _unspaced(following[0]) if following else ""
    if title == line and not TITLE_WORDS.search(to_simplified(title)) and len(rest) <= TITLE_TAIL_CHARS \
            and TITLE_TAIL.search(rest):
        return title + rest
    return title


def _unspaced(line: str) -> str:
    """A line with its spaces taken out ("统 计 公 报" → 统计公报)."""
    return re.sub(r"\s+", "", line)


def _title_piece(line: str) -> bool:
    """A short line with no sentence marks that may be one piece of a title set over several lines."""
    flat = _unspaced(line)
    return len(flat) <= TITLE_PIECE_CHARS and not TITLE_PIECE_STOP.search(flat) \
        and not SPEECH_LINE.search(to_simplified(flat))


def _with_head(line: str, before: list[str]) -> str:
    """A short title line under the lines it continues: "2020年日照市" / "国民经济和社会发展" / "统计公报"."""
    if len(_unspaced(line)) > TITLE_PIECE_CHARS or not before or len(before) > MAX_TITLE_PIECES - 1 \
            or not all(_title_piece(piece) for piece in before):
        return line
    return "".join(_unspaced(piece) for piece in before) + line


def _continued(title: str, following: list[str]) -> str:
    """A title that runs on: "关于…2021年国民经济和社会发展计划" / "执行情况与2022年…计划" / "草案的报告"."""
    for piece in following[:MAX_TITLE_PIECES - 1]:
        if not (_title_piece(piece) and TITLE_GOES_ON.match(_unspaced(piece))):
            break
        title += _unspaced(piece)
    return title


MAX_TITLE_CHARS = 80
TITLE_PIECE_CHARS = 30
MAX_TITLE_PIECES = 3
TITLE_PIECE_STOP = re.compile(r"[。，,；;：:！？!?、《》“”\"]|人民代表大会|各位代表|文件")  # "…会议文件之二" labels a title
TITLE_GOES_ON = re.compile(r"(?:执行情况|草案|的报告|与(?:19|20)\d{2}年)")  # words that only continue a title
TITLE_TAIL = re.compile(r"^[\u4e00-\u9fff]{0,6}(?:公报|报告|规划|纲要|计划)$")
TITLE_TAIL_CHARS = 10
TITLE_END = re.compile(r"^.{0,60}?(?:报告|规划|纲要|计划|统计公报)")
MAX_FALLBACK_TITLE = 40


def _title_from_line(line: str) -> str:
    """A title from a first line that runs into the text: up to the report word, else its first sentence."""
    simplified = to_simplified(line)
    match = TITLE_END.match(simplified) if len(simplified) == len(line) else None
    if match:
        return line[:match.end()].strip()
    sentence = re.split(r"[。！？!?；;]", line, maxsplit=1)[0].strip()
    return sentence if len(sentence) <= MAX_FALLBACK_TITLE else sentence[:MAX_FALLBACK_TITLE] + "…"


KIND_TITLES = {"work_report": "政府工作报告", "five_year_plan": "五年规划", "plan_execution": "计划执行情况报告",
               "statistics": "统计公报"}
SPEECH_LINE = re.compile(r"^(?:[—\-－]+|[（(])\s*(?:19|20)\d{2}年|^各位代表")  # the date line under a title


def place_label(key: str) -> str:
    from ..places import gazetteer
    place = gazetteer().get(key)
    return place.label if place else key.rsplit("/", 1)[-1]


def _names_place(title: str, key: str) -> bool:
    from ..places.gazetteer import short_name
    name = key.rsplit("/", 1)[-1]
    return short_name(name) in to_simplified(title)


def derived_title(facts) -> str | None:
    """A title from the report's facts when its text has none: "南昌市西湖区2021年政府工作报告"."""
    from ..places import gazetteer
    place = gazetteer().get(facts.place)
    if place is None or facts.kind not in KIND_TITLES:
        return None
    return f"{place.label}{f'{facts.year}年' if facts.year else ''}{KIND_TITLES[facts.kind]}"
