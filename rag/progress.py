"""What a running `rag index` has done so far: a progress file for readers, a checkpoint to resume from.

Both live in `<index dir>/.build/`. The progress file is rewritten atomically after every block;
the checkpoint is append-only (keys in one file, float32 vectors in another), so a build killed
mid-write loses at most the block being written.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BUILD_DIR = ".build"
PROGRESS = "progress.json"
CHECKPOINT_BLOCK = 32  # chunks embedded between checkpoints and cancel checks (one embedding batch)


@dataclass(frozen=True)
class BuildProgress:
    """A build's state as its progress file tells it."""

    state: str  # embedding | saving | cancelled
    done: int
    total: int
    pid: int
    updated: float

    @property
    def running(self) -> bool:
        """The process that wrote it is still alive (a killed build leaves a stale file)."""
        if self.state == "cancelled":
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def describe(self) -> str:
        if self.state == "saving":
            return "the index is being updated: all chunks embedded, saving"
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        return f"the index is being updated: {self.done}/{self.total} new chunks embedded{share}"


def _build_dir(index_dir: Path) -> Path:
    return index_dir / BUILD_DIR


def write_progress(index_dir: Path, state: str, done: int, total: int) -> None:
    directory = _build_dir(index_dir)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{PROGRESS}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"state": state, "done": done, "total": total, "pid": os.getpid(),
                               "updated": time.time()}), encoding="utf-8")
    os.replace(tmp, directory / PROGRESS)


def read_progress(index_dir: Path) -> BuildProgress | None:
    """The last progress a build wrote, or None (no build, or an unreadable file)."""
    try:
        data = json.loads((_build_dir(index_dir) / PROGRESS).read_text(encoding="utf-8"))
        return BuildProgress(str(data["state"]), int(data["done"]), int(data["total"]), int(data["pid"]),
                             float(data["updated"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_progress(index_dir: Path) -> None:
    (_build_dir(index_dir) / PROGRESS).unlink(missing_ok=True)


class Checkpoint:
    """Vectors embedded by an unfinished build, keyed by the hash of the embedded text."""

    def __init__(self, index_dir: Path, backend: str, model: str):
        self.directory = _build_dir(index_dir)
        self.identity = {"backend": backend, "model": model}
        self.keys_path = self.directory / "checkpoint-keys.txt"
        self.vectors_path = self.directory / "checkpoint-vectors.f32"
        self.meta_path = self.directory / "checkpoint.json"

    def load(self) -> dict[str, np.ndarray]:
        """The complete records of the checkpoint; one of another embedding model is discarded."""
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            keys = self.keys_path.read_text(encoding="ascii").split("\n")
            raw = np.fromfile(self.vectors_path, dtype="float32")
        except (OSError, ValueError):
            self.clear()
            return {}
        if {k: meta.get(k) for k in self.identity} != self.identity or not meta.get("dim"):
            self.clear()
            return {}
        dim = int(meta["dim"])
        keys = [k for k in keys if len(k) == 40]  # a line cut short by a kill is not a key
        count = min(len(keys), len(raw) // dim)
        # drop what a kill cut short, so the next append lines up with the keys
        with open(self.vectors_path, "r+b") as handle:
            handle.truncate(count * dim * 4)
        self.keys_path.write_text("".join(k + "\n" for k in keys[:count]), encoding="ascii")
        vectors = raw[:count * dim].reshape(count, dim)
        return dict(zip(keys[:count], vectors))

    def append(self, keys: list[str], vectors: np.ndarray) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.meta_path.exists():
            self.meta_path.write_text(json.dumps({**self.identity, "dim": int(vectors.shape[1])}), encoding="utf-8")
        # vectors first: a key only counts once its vector is on disk
        with open(self.vectors_path, "ab") as handle:
            handle.write(np.ascontiguousarray(vectors, dtype="float32").tobytes())
            handle.flush()
            os.fsync(handle.fileno())
        with open(self.keys_path, "a", encoding="ascii") as handle:
            handle.write("".join(k + "\n" for k in keys))
            handle.flush()
            os.fsync(handle.fileno())

    def clear(self) -> None:
        for path in (self.keys_path, self.vectors_path, self.meta_path):
            path.unlink(missing_ok=True)
