"""Loading, report splitting and chunking on the real corpus files, plus bad and unusual inputs.

No embeddings here: everything runs in about a second.
"""
from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from rag.chunking import MIN_CHUNK_CHARS, chunk_document, embedding_text
from rag.config import PROJECT_ROOT, ChunkerSettings
from rag.corpus import scan
from rag.errors import LoadError
from rag.ingest.documents import split_documents
from rag.ingest.loaders import load_source
from rag.types import Chunk, Document

CORPUS = PROJECT_ROOT / "data" / "reports"
FILES = sorted(CORPUS.glob("*.txt"))

TITLES_002 = [  # (title, issuing place as a full gazetteer path, year, level)
    ("2019年增城区中新镇政府工作报告", "广东省/广州市/增城区/中新镇", 2019, "town"),
    ("2019年增城区小楼镇政府工作报告", "广东省/广州市/增城区/小楼镇", 2019, "town"),
    ("2019年花都区梯面镇政府工作报告", "广东省/广州市/花都区/梯面镇", 2019, "town"),
    ("2019年花都区花山镇政府工作报告", "广东省/广州市/花都区/花山镇", 2019, "town"),
    ("广州市政府工作报告", "广东省/广州市", 2021, "city"),
    ("2021年黄埔区政府工作报告", "广东省/广州市/黄埔区", 2021, "county"),
    ("2021年荔湾区政府工作报告", "广东省/广州市/荔湾区", 2021, "county"),
    ("2021年天河区政府工作报告", "广东省/广州市/天河区", 2021, "county"),
    ("2021年越秀区政府工作报告", "广东省/广州市/越秀区", 2021, "county"),
    ("2021年从化区政府工作报告", "广东省/广州市/从化区", 2021, "county"),
]
BOILERPLATE = ("分享到", "浏览量", "您当前所在的位置")
SHARE_LINE = re.compile(r"^\s*(微信|QQ空间|Twitter)\s*$", re.M)


def _by_prefix(prefix: str) -> Path:
    matches = [p for p in FILES if p.name.startswith(prefix)]
    assert len(matches) == 1, f"expected one corpus file starting with {prefix}, found {matches}"
    return matches[0]


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[str, list[Document]]]:
    """File name -> (file text, documents) for the real corpus."""
    assert len(FILES) == 5, f"data/reports should hold 5 files, found {[p.name for p in FILES]}"
    result = {}
    for path in FILES:
        source = load_source(path)
        result[path.name] = (source.text, split_documents(source))
    return result


def _chunks(corpus, settings: ChunkerSettings) -> dict[str, list[Chunk]]:
    return {name: [c for d in docs for c in chunk_document(text, d, settings)]
            for name, (text, docs) in corpus.items()}


# --- the real corpus ----------------------------------------------------------------


def test_real_corpus_has_fourteen_documents(corpus):
    counts = {name[:3]: len(docs) for name, (_, docs) in corpus.items()}
    assert counts == {"000": 1, "001": 1, "002": 10, "003": 1, "004": 1}
    assert sum(counts.values()) == 14


def test_file_002_splits_into_ten_titled_reports(corpus):
    text, docs = corpus[_by_prefix("002").name]
    assert [(d.title, d.facts.place, d.facts.year, d.facts.level) for d in docs] == TITLES_002
    for doc in docs:
        assert doc.page is None
        assert doc.facts.kind == "work_report" and not doc.facts.notes
        assert (doc.facts.doc_start, doc.facts.doc_end) == (doc.start, doc.end)
        # A year-N work report reviews N-1 and plans N; the plan part starts inside the report.
        assert doc.facts.year - 1 in doc.facts.years and doc.facts.year in doc.facts.years
        assert doc.start < doc.facts.plan_start < doc.end
        # Each report starts at its tagged title line, e.g. 【广州招商】2019年…政府工作报告.
        first_line = text[doc.start:text.index("\n", doc.start)]
        assert first_line.startswith("【") and first_line.endswith(doc.title)


def test_documents_are_ordered_disjoint_and_segments_inside(corpus):
    for name, (text, docs) in corpus.items():
        previous_end = 0
        for doc in docs:
            assert doc.source == name
            assert previous_end <= doc.start < doc.end <= len(text)
            previous_end = doc.end
            assert doc.segments, f"{name}: {doc.title} has no indexable text"
            for a, b in doc.segments:
                assert doc.start <= a < b <= doc.end
                assert not text[a].isspace() and not text[b - 1].isspace()


@pytest.mark.parametrize("prefix, place, year, kind, years, title_part", [
    # A news page mostly about 2023 (its year mentions): that year and the ones beside it.
    ("000", "广东省/广州市/增城区", 2023, "other", (2022, 2023, 2024), "数字政府2.0"),
    # The 十四五 plan (第十四個五年規劃) covers 2021–2025 and reviews the 十三五 period, 2016–2020.
    ("001", "广东省/广州市/增城区", 2021, "five_year_plan", tuple(range(2016, 2026)),
     "第十四個五年規劃和2035年遠景目標綱要"),
    ("003", "广东省/广州市/海珠区", 2024, "work_report", (2023, 2024), "海珠区2024年政府工作报告"),
    ("004", "广东省/广州市/海珠区", 2020, "work_report", (2019, 2020), "海珠区2020年政府工作报告"),
])
def test_single_report_files_place_year_title(corpus, prefix, place, year, kind, years, title_part):
    _, docs = corpus[_by_prefix(prefix).name]
    assert len(docs) == 1
    doc = docs[0]
    assert (doc.facts.place, doc.facts.level, doc.facts.year) == (place, "county", year)
    assert doc.facts.place_name == place.rsplit("/", 1)[-1]
    assert (doc.facts.kind, doc.facts.years) == (kind, years)
    assert title_part in doc.title


@pytest.mark.parametrize("size, overlap", [(300, 60), (120, 20)])
def test_every_chunk_points_exactly_into_its_file(corpus, size, overlap):
    settings = ChunkerSettings(size=size, overlap=overlap)
    chunks = _chunks(corpus, settings)
    total = 0
    for name, file_chunks in chunks.items():
        text, docs = corpus[name]
        assert file_chunks, f"{name} produced no chunks"
        spans = {(d.facts.doc_start, d.facts.doc_end): d for d in docs}
        for chunk in file_chunks:
            total += 1
            assert chunk.source == name
            assert text[chunk.start:chunk.end] == chunk.text
            assert 0 < len(chunk.text) <= size
            assert chunk.text == chunk.text.strip()
            doc = spans[(chunk.facts.doc_start, chunk.facts.doc_end)]
            assert chunk.facts == doc.facts and chunk.title == doc.title
            assert any(a <= chunk.start and chunk.end <= b for a, b in doc.segments)
            # Section years: a work report's review part is about last year, its plan part this year.
            facts = chunk.facts
            if facts.kind == "work_report" and facts.plan_start is not None:
                if chunk.start >= facts.plan_start:  # this year, and the later years it sets targets for
                    assert facts.year in chunk.years and min(chunk.years) == facts.year
                    assert set(chunk.years) <= set(facts.years)
                else:
                    assert chunk.years and facts.year not in chunk.years
                    assert set(chunk.years) <= set(facts.years)
            else:
                assert chunk.years == facts.years
        # Chunks advance through the file and, with the overlap, leave no indexable text out.
        starts = [c.start for c in file_chunks]
        assert starts == sorted(starts)
        covered = bytearray(len(text))
        for chunk in file_chunks:
            covered[chunk.start:chunk.end] = b"\x01" * (chunk.end - chunk.start)
        # Only fragments shorter than MIN_CHUNK_CHARS (a lone heading such as 金融科技。 next to a
        # paragraph longer than the chunk size) may be dropped; at the default size nothing is.
        marked = "".join(ch if not covered[i] else "\x01" for i, ch in enumerate(text))
        for doc in docs:
            for a, b in doc.segments:
                missed = [m.strip() for m in marked[a:b].split("\x01") if m.strip()]
                limit = 1 if size == 300 else MIN_CHUNK_CHARS
                assert all(len(m) < limit for m in missed), f"{name}: text left out of every chunk: {missed[:3]}"
    assert total > 14 * 3


def test_default_chunking_matches_corpus_scale(corpus):
    chunks = _chunks(corpus, ChunkerSettings())
    per_file = {name[:3]: len(c) for name, c in chunks.items()}
    # 300-character chunks over ~670k bytes of text: about 1100 chunks, 002 the biggest file.
    assert 900 <= sum(per_file.values()) <= 1400
    assert max(per_file, key=per_file.get) == "002"


def test_no_chunk_contains_web_boilerplate(corpus):
    raw = {name: text for name, (text, _) in corpus.items()}
    # The boilerplate is really in the files (003/004 page headers, 000's share buttons)...
    assert any("分享到" in t for t in raw.values()) and any(SHARE_LINE.search(t) for t in raw.values())
    for settings in (ChunkerSettings(), ChunkerSettings(size=120, overlap=20)):
        for name, file_chunks in _chunks(corpus, settings).items():
            for chunk in file_chunks:
                # ...but never in what gets indexed or embedded.
                for needle in BOILERPLATE:
                    assert needle not in chunk.text, f"{name}@{chunk.start}: {needle} in chunk"
                assert not SHARE_LINE.search(chunk.text), f"{name}@{chunk.start}: share line in chunk"
                assert "发布日期" not in chunk.text


def test_embedding_text_is_title_plus_simplified_chunk(corpus):
    chunks = _chunks(corpus, ChunkerSettings())[_by_prefix("001").name]
    chunk = chunks[5]
    embedded = embedding_text(chunk)
    title, body = embedded.split("\n", 1)
    assert title.startswith("广州市增城区") and "规划" in title  # traditional title converted
    assert len(body) == len(chunk.text)
    assert "區" not in embedded and "規劃" not in embedded


# --- bad and unusual input -------------------------------------------------------------

GBK_TEXT = "2022年示例镇政府工作报告\n各位代表：现在，我代表镇人民政府向大会报告工作。\n全年地区生产总值增长百分之六。\n"


def test_gbk_encoded_text_loads(tmp_path):
    path = tmp_path / "gbk_report.txt"
    path.write_text(GBK_TEXT, encoding="gbk")
    assert path.read_bytes() != GBK_TEXT.encode("utf-8")
    source = load_source(path)
    assert source.text == GBK_TEXT
    docs = split_documents(source)
    assert [(d.title, d.facts.year, d.facts.kind) for d in docs] == [("2022年示例镇政府工作报告", 2022, "work_report")]
    # 示例镇 is no real place: the facts say so instead of guessing.
    assert docs[0].facts.place is None and docs[0].facts.notes
    chunks = chunk_document(source.text, docs[0], ChunkerSettings())
    assert chunks and all(source.text[c.start:c.end] == c.text for c in chunks)
    assert "地区生产总值增长百分之六" in chunks[-1].text


def test_utf8_bom_is_not_part_of_the_text(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff".encode() + GBK_TEXT.encode("utf-8"))
    assert load_source(path).text == GBK_TEXT


@pytest.mark.parametrize("name, content", [
    ("empty.txt", b""),
    ("blank.txt", b"  \n\n \t\n"),
    ("binary.txt", bytes(random.Random(7).randrange(256) for _ in range(4096)) + b"\x00\x00\x01"),
    ("nuls.md", b"\x00" * 64 + "正文".encode()),
])
def test_empty_or_binary_files_raise_load_error_naming_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as info:
        load_source(path)
    assert name in str(info.value)
    assert re.search(r"empty|binary", str(info.value))


def test_missing_and_unsupported_files_raise_load_error(tmp_path):
    with pytest.raises(LoadError, match="gone.txt"):
        load_source(tmp_path / "gone.txt")
    odd = tmp_path / "table.csv"
    odd.write_text("a,b\n1,2\n")
    with pytest.raises(LoadError, match=r"table\.csv.*unsupported"):
        load_source(odd)


def test_damaged_pdf_and_docx_raise_load_error(tmp_path):
    for name in ("broken.pdf", "broken.docx"):
        (tmp_path / name).write_bytes(b"PK\x03\x04 not really " + os.urandom(64))
        with pytest.raises(LoadError, match=re.escape(name)):
            load_source(tmp_path / name)


def test_scan_picks_supported_files_only(tmp_path):
    for name in ("b.txt", "a.md", "c.pdf", "d.docx", "notes.csv", ".hidden.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.txt").write_bytes(b"y")
    assert [f.name for f in scan([tmp_path])] == ["a.md", "b.txt", "c.pdf", "d.docx", "e.txt"]


PDF_PAGE1 = ("Annual Work Report of Example City 2023\n"
             "The city economy grew by 5.2 percent in 2022. Seven new parks were opened along the river.")
PDF_PAGE2 = ("Transport. The metro line 9 extension opened to passengers in December, "
             "and 120 new electric buses replaced diesel ones.")


def _make_pdf(path: Path) -> None:
    from fpdf import FPDF
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for body in (PDF_PAGE1, PDF_PAGE2):
        pdf.add_page()
        pdf.multi_cell(0, 8, body)
    pdf.output(str(path))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_pdf_loads_with_pages_and_exact_offsets(tmp_path):
    path = tmp_path / "city_report.pdf"
    _make_pdf(path)
    source = load_source(path)
    assert [p[2] for p in source.pages] == [1, 2]
    (a1, b1, _), (a2, b2, _) = source.pages
    assert _squash(source.text[a1:b1]) == _squash(PDF_PAGE1)
    assert _squash(source.text[a2:b2]) == _squash(PDF_PAGE2)
    assert b1 <= a2

    docs = split_documents(source)
    assert [d.page for d in docs] == [1, 2]
    # Page 2 belongs to the same report: it keeps the title found on page 1.
    assert {d.title for d in docs} == {"Annual Work Report of Example City 2023"}
    assert a1 <= docs[0].start and docs[0].end <= b1 and a2 <= docs[1].start and docs[1].end <= b2

    chunks = [c for d in docs for c in chunk_document(source.text, d, ChunkerSettings(size=80, overlap=10))]
    assert len(chunks) >= 4
    for chunk in chunks:
        assert source.text[chunk.start:chunk.end] == chunk.text
        lo, hi = (a1, b1) if chunk.page == 1 else (a2, b2)
        assert lo <= chunk.start and chunk.end <= hi
    metro = [c for c in chunks if "metro line 9" in c.text]
    assert metro and all(c.page == 2 for c in metro)
    assert all(c.page == 1 for c in chunks if "parks" in c.text)
    # What indexing and citation reading see is the same text.
    assert load_source(path).text == source.text


DOCX_PARAGRAPHS = [
    "2023年示例区政府工作报告",
    "各位代表：现在，我代表区人民政府向大会报告工作，请予审议。",
    "一、2022年工作回顾。全区地区生产总值增长5.2%，新增就业岗位一万二千个。",
    "二、2023年工作安排。加快建设地铁十号线，新建公园三个。",
]


def test_docx_with_chinese_paragraphs_loads(tmp_path):
    import docx
    document = docx.Document()
    for paragraph in DOCX_PARAGRAPHS:
        document.add_paragraph(paragraph)
    path = tmp_path / "district_report.docx"
    document.save(str(path))

    source = load_source(path)
    assert source.text == "\n".join(DOCX_PARAGRAPHS)
    assert source.pages == ()
    docs = split_documents(source)
    assert [(d.title, d.facts.year, d.page) for d in docs] == [("2023年示例区政府工作报告", 2023, None)]
    assert docs[0].facts.years == (2022, 2023)
    chunks = chunk_document(source.text, docs[0], ChunkerSettings(size=40, overlap=5))
    assert len(chunks) >= 3
    assert all(source.text[c.start:c.end] == c.text and len(c.text) <= 40 for c in chunks)
    assert any("地铁十号线" in c.text for c in chunks)
