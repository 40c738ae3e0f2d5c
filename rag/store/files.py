"""Atomic writes and generation directories: a save never touches the files the manifest names."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path


def new_generation() -> str:
    return time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]


def generation_dir(directory: Path, generation: str) -> Path:
    return directory / f"gen-{generation}"


def publish_dir(tmp: Path, final: Path) -> None:
    """fsync every file of `tmp`, then rename it to `final` in one step."""
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    os.replace(tmp, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_generations(directory: Path, generation: str) -> None:
    """Delete every generation but `generation` (older ones, and debris of killed saves)."""
    if not directory.exists():
        return
    for stale in directory.iterdir():
        name = stale.name
        if generation and generation in name:
            continue
        if stale.is_dir() and (name.startswith("gen-") or name.startswith(".gen-")):
            shutil.rmtree(stale, ignore_errors=True)
        elif stale.suffix in (".faiss", ".jsonl") and ("index-" in name or "chunks-" in name):
            stale.unlink(missing_ok=True)  # generations of format 2


def atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
