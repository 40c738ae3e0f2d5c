"""Finding source files, hashing them, and reading their original text back for citations."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import LoadError
from .ingest.loaders import is_supported

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceFile:
    """A file that belongs in the index; `name` is its key (the file name)."""

    name: str
    path: Path
    sha256: str
    size: int


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scan(paths: list[Path]) -> list[SourceFile]:
    """Supported files under `paths` (files or directories), sorted by name; duplicates warned."""
    found: dict[str, SourceFile] = {}
    for root in paths:
        if not root.exists():
            raise LoadError(f"{root}: no such file or directory")
        candidates = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in candidates:
            if not is_supported(path):
                if root.is_file():
                    log.warning("%s: unsupported file type, skipped", path.name)
                continue
            if path.name in found and found[path.name].path != path.resolve():
                log.warning("%s: a file with the same name is already indexed from %s; skipped",
                            path, found[path.name].path)
                continue
            found[path.name] = SourceFile(path.name, path.resolve(), file_sha256(path), path.stat().st_size)
    return [found[name] for name in sorted(found)]


def stored_path(path: Path, corpus_dir: Path) -> str:
    """How the manifest records a path: relative to the corpus dir when inside it."""
    try:
        return str(path.resolve().relative_to(corpus_dir.resolve()))
    except ValueError:
        return str(path.resolve())


def indexed_path(files: dict, name: str, corpus_dir: Path) -> Path:
    """Where the manifest entry `files[name]` lives on disk; LoadError if the index lacks it."""
    entry = files.get(name)
    if entry is None:
        raise LoadError(f"{name}: not in the index; run `rag index` after adding it")
    return resolve_stored(entry.path, corpus_dir)


def resolve_stored(stored: str, corpus_dir: Path) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else corpus_dir / path
