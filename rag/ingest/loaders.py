"""Read a source file into text: one loader per file type, picked by extension.

The text a loader returns is "the original file text" that chunk offsets and
citations point into, so the same loader must serve indexing and `read_source`.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import LoadError


@dataclass(frozen=True)
class SourceText:
    """A file's text; `pages` holds (start, end, page_number) for paged formats."""

    name: str
    text: str
    pages: tuple[tuple[int, int, int], ...] = ()


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 first (BOM tolerated), then GB18030; binary content is refused."""
    if not data.strip():
        raise LoadError(f"{name}: file is empty")
    if b"\x00" in data[:8192]:
        raise LoadError(f"{name}: looks binary (NUL bytes), not a text report")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _mostly_printable(text):
            return text
    raise LoadError(f"{name}: not decodable as UTF-8 or GB18030; re-save it as UTF-8")


def _mostly_printable(text: str) -> bool:
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad <= max(2, len(sample) // 100)


def load_plain(path: Path) -> SourceText:
    return SourceText(path.name, decode_text(path.read_bytes(), path.name))


def load_pdf(path: Path) -> SourceText:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - pypdf is a core dependency
        raise LoadError("reading PDF needs pypdf: pip install pypdf") from exc
    try:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        page_texts = [(page.extract_text() or "") for page in reader.pages]
    except Exception as exc:  # pypdf raises many types for damaged files
        raise LoadError(f"{path.name}: unreadable PDF ({exc})") from exc
    parts, pages, offset = [], [], 0
    for number, page_text in enumerate(page_texts, start=1):
        if parts:
            parts.append("\n\n")
            offset += 2
        parts.append(page_text)
        pages.append((offset, offset + len(page_text), number))
        offset += len(page_text)
    text = "".join(parts)
    if not text.strip():
        raise LoadError(f"{path.name}: PDF has no extractable text (scanned? run OCR first)")
    return SourceText(path.name, text, tuple(pages))


def load_docx(path: Path) -> SourceText:
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - python-docx is a core dependency
        raise LoadError("reading .docx needs python-docx: pip install python-docx") from exc
    try:
        document = docx.Document(io.BytesIO(path.read_bytes()))
    except Exception as exc:
        raise LoadError(f"{path.name}: unreadable .docx ({exc})") from exc
    text = "\n".join(p.text for p in document.paragraphs)
    if not text.strip():
        raise LoadError(f"{path.name}: .docx holds no text")
    return SourceText(path.name, text)


LOADERS: dict[str, Callable[[Path], SourceText]] = {
    ".txt": load_plain,
    ".md": load_plain,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS and not path.name.startswith(".")


def load_source(path: Path) -> SourceText:
    """Load one file; raises LoadError with the file name on any problem."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"{path.name}: unsupported type {path.suffix!r}; use one of {', '.join(LOADERS)}")
    try:
        return loader(path)
    except OSError as exc:
        raise LoadError(f"{path.name}: cannot read ({exc.strerror})") from exc
