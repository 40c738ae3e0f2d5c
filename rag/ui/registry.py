"""Who added which report: `uploads.json` beside the index (UI bookkeeping, not part of the manifest).

A file the index holds and the registry does not know is part of the shared sample corpus. An
upload is visible to the browsers that uploaded it (their owner ids), or to everyone once shared.
"""
from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..store.files import atomic_write

REGISTRY = "uploads.json"
_lock = threading.Lock()


@dataclass
class UploadEntry:
    """One uploaded source file: its owners (browser ids), whether it is shared, when it was added."""

    name: str
    owners: list[str] = field(default_factory=list)
    shared: bool = False
    added: str = ""

    def visible_to(self, owner: str | None) -> bool:
        return self.shared or (owner is not None and owner in self.owners)


class Registry:
    """Read and change `<index_dir>/uploads.json`; every change is written atomically."""

    def __init__(self, index_dir: Path):
        self.path = index_dir / REGISTRY

    def entries(self) -> dict[str, UploadEntry]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ValueError(f"{self.path} is not valid JSON ({exc}); fix or delete it (uploads then count as "
                             "shared reports)") from exc
        return {name: UploadEntry(name=name, **{k: v for k, v in data.items() if k != "name"})
                for name, data in raw.items()}

    def _write(self, entries: dict[str, UploadEntry]) -> None:
        data = {name: {k: v for k, v in asdict(e).items() if k != "name"} for name, e in sorted(entries.items())}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))

    def add(self, name: str, owner: str, shared: bool) -> None:
        """Record `owner` as an uploader of `name` (shared stays shared once set)."""
        with _lock:
            entries = self.entries()
            entry = entries.get(name) or UploadEntry(name=name, added=datetime.now(UTC).isoformat(timespec="seconds"))
            if owner not in entry.owners:
                entry.owners.append(owner)
            entry.shared = entry.shared or shared
            entries[name] = entry
            self._write(entries)

    def forget(self, name: str, owner: str | None = None) -> bool:
        """Drop `owner` from `name` (everyone when None); True when nobody is left and the file can go."""
        with _lock:
            entries = self.entries()
            entry = entries.get(name)
            if entry is None:
                return True
            if owner is not None and owner in entry.owners and (len(entry.owners) > 1 or entry.shared):
                entry.owners.remove(owner)
                self._write(entries)
                return False
            del entries[name]
            self._write(entries)
            return True

    def restore(self, entry: UploadEntry | None, name: str) -> None:
        """Put back an entry (or its absence) as it was, after a failed change of the index."""
        with _lock:
            entries = self.entries()
            if entry is None:
                entries.pop(name, None)
            else:
                entries[name] = entry
            self._write(entries)
