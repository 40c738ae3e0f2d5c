"""👍/👎 and comments on answers: one JSON line per answer in the feedback file, the last click wins."""
from __future__ import annotations

import fcntl
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from ..store.files import atomic_write

_lock = threading.Lock()


def feedback_record(answer_id: str, turn: dict, rating: str | None, comment: str | None) -> dict:
    """The record of one answer: question, answer text, citations, rating ('helpful' | 'wrong'), comment."""
    return {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "answer_id": answer_id,
            "question": turn.get("question"), "answer": turn.get("answer"), "citations": turn.get("citations") or [],
            "rating": rating, "comment": comment or "", "mode": turn.get("mode")}


def upsert_feedback(path: Path, record: dict) -> None:
    """Write `record` in place of any earlier record of the same answer (an flock keeps processes apart)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, open(path.with_name(path.name + ".lock"), "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            kept = []
            for line in lines:
                try:
                    same = json.loads(line).get("answer_id") == record["answer_id"]
                except (ValueError, AttributeError):
                    same = False
                if not same:
                    kept.append(line)
            kept.append(json.dumps(record, ensure_ascii=False))
            atomic_write(path, ("\n".join(kept) + "\n").encode("utf-8"))
        finally:
            fcntl.flock(guard, fcntl.LOCK_UN)


def read_feedback(path: Path, answer_id: str) -> dict | None:
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("answer_id") == answer_id:
            return record
    return None
