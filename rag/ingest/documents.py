"""Split a file's text into documents (reports) with metadata and indexable segments."""
from __future__ import annotations

import re
from dataclasses import replace

from ..types import Document
from .loaders import SourceText
from .places import find_place, to_simplified

# A multi-report file: each report starts with a line like 【广州招商】2019年…政府工作报告
REPORT_TITLE = re.compile(r"^【[^】\n]{1,20}】[^\n]{0,60}(政府工作报告|工作报告|规划|纲要)[^\n]{0,10}$", re.M)
TITLE_WORDS = re.compile(r"报告|报吿|规划|規劃|纲要|綱要|计划|計劃")
BOILERPLATE_LINE = re.compile(
    r"^\s*(?:您当前所在的位置.*|当前位置.*|首页\s*>.*|分享到[:：]?.*|浏览量[:：]?.*|发布日期[:：].*|"
    r"微信|新浪微博|微博|QQ空间|QQ好友|豆瓣|Facebook|Twitter|打印|关闭|【打印】|【关闭】|"
    r"-+|\d{4}-\d{2}-\d{2}|字号[:：].*)\s*$"
)
YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})年")
SPEECH_DATE = re.compile(r"((?:19|20)\d{2})年\d{1,2}月\d{1,2}日")
PUBLISH_DATE = re.compile(r"发布日期[:：]\s*((?:19|20)\d{2})-")


def split_documents(source: SourceText) -> list[Document]:
    """Documents of a file: one per report title line, else the whole file."""
    text = source.text
    starts = [m.start() for m in REPORT_TITLE.finditer(text)]
    if not starts:
        spans = [(0, len(text))]
    else:
        spans = [(s, e) for s, e in zip(starts, starts[1:] + [len(text)], strict=True)]
        if text[: starts[0]].strip() and not _is_boilerplate_only(text[: starts[0]]):
            spans.insert(0, (0, starts[0]))
    documents = []
    for start, end in spans:
        pages = [(a, b, page, tuple(indexable_segments(text, a, b)))
                 for a, b, page in _pages_within(source, start, end)]
        pages = [p for p in pages if p[3]]
        if not pages:
            continue
        # Title, place and year describe the whole report, so later pages of a PDF keep them.
        report = _describe(source, start, end, None, tuple(s for p in pages for s in p[3]))
        for page_start, page_end, page, segments in pages:
            documents.append(replace(report, start=page_start, end=page_end, page=page, segments=segments))
    return documents


def _pages_within(source: SourceText, start: int, end: int):
    if not source.pages:
        yield start, end, None
        return
    for page_start, page_end, page in source.pages:
        lo, hi = max(start, page_start), min(end, page_end)
        if lo < hi:
            yield lo, hi, page


def _is_boilerplate_only(text: str) -> bool:
    return all(not line.strip() or BOILERPLATE_LINE.match(line) for line in text.splitlines())


def indexable_segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Maximal runs of lines in [start, end) that are not web boilerplate, whitespace-trimmed."""
    segments: list[tuple[int, int]] = []
    run_start = None
    pos = start
    while pos < end:
        newline = text.find("\n", pos, end)
        line_end = end if newline == -1 else newline + 1
        line = text[pos:line_end]
        if line.strip() and BOILERPLATE_LINE.match(line.rstrip("\r\n")):
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


def _describe(source: SourceText, start: int, end: int, page: int | None,
              segments: tuple[tuple[int, int], ...]) -> Document:
    body = source.text[start:end]
    title = find_title(source.text, segments) or source.name
    simplified_title = to_simplified(title)
    head = to_simplified(body[:3000])
    return Document(source=source.name, title=title, start=start, end=end,
                    place=find_place(simplified_title) or find_place(head),
                    year=find_year(simplified_title, body), page=page, segments=segments)


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
        return first.split("】", 1)[1].strip() or first
    for line in lines[:20]:
        if len(line) <= 80 and TITLE_WORDS.search(line) and not line.endswith(("。", ":", "：", ",")) \
                and "《" not in line:
            return line.replace(" ", "") if re.fullmatch(r"(\S ){3,}\S", line) else line
    return first[:80]


def find_year(title: str, body: str) -> int | None:
    """Year of the report: from its title, else its speech or publication date."""
    if not re.search(r"远景|遠景", title):
        match = YEAR_IN_TITLE.search(title)
        if match:
            return int(match.group(1))
    for pattern in (PUBLISH_DATE, SPEECH_DATE):
        match = pattern.search(body[:3000])
        if match:
            return int(match.group(1))
    dates = SPEECH_DATE.findall(body)
    return int(dates[-1]) if dates else None
