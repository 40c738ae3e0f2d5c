#!/usr/bin/env python3
"""Check a question set (eval/<set>/questions.jsonl) against the files in eval/<set>/reports/.

Standalone: standard library only; uses OpenCC (t2s) for normalization when installed.
Run from anywhere:  python3 eval/check_questions.py outside|fresh2
Exits 1 if any problem is found.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = ["fact", "compare", "list", "traditional", "crosslingual", "disambiguation", "unanswerable"]
STANDARD = ({"fact": 16, "compare": 8, "list": 6, "traditional": 6, "crosslingual": 12, "disambiguation": 8,
             "unanswerable": 12}, 70, 80, True)  # the limits of every set since fresh3
LIMITS = {  # per set: minimum questions per type, total range, whether each type splits half/half
    "outside": ({"fact": 20, "compare": 6, "list": 6, "traditional": 6, "crosslingual": 8, "disambiguation": 8,
                 "unanswerable": 10}, 70, None, False),
    "fresh2": ({"fact": 16, "compare": 6, "list": 6, "traditional": 6, "crosslingual": 10, "disambiguation": 6,
                "unanswerable": 10}, 60, 70, True),
    **{f"fresh{n}": STANDARD for n in range(3, 23)},
}
MIN_SAME_NAME, SHARED = 4, 12
SET = sys.argv[1] if len(sys.argv) > 1 else "fresh2"
if SET not in LIMITS:
    sys.exit(f"usage: check_questions.py {{{'|'.join(LIMITS)}}}")
QUESTIONS = HERE / SET / "questions.jsonl"
REPORTS = HERE / SET / "reports"
MINIMUM, MIN_TOTAL, MAX_TOTAL, BALANCED = LIMITS[SET]

try:
    import opencc
    _t2s = opencc.OpenCC("t2s").convert
    NORMALIZER = "OpenCC t2s + strip commas/whitespace"
except Exception:  # pragma: no cover - optional dependency
    _t2s = None
    NORMALIZER = "strip commas/whitespace only (OpenCC not installed)"


def norm(text: str) -> str:
    if _t2s is not None:
        text = _t2s(text)
    return "".join(ch for ch in text if not ch.isspace() and ch not in ",\uff0c")


def shared_substring(a: str, b: str, n: int) -> str | None:
    grams = {a[i:i + n] for i in range(len(a) - n + 1)}
    for i in range(len(b) - n + 1):
        if b[i:i + n] in grams:
            return b[i:i + n]
    return None


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def main() -> int:
    problems: list[str] = []
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(REPORTS.glob("*.txt"))}
    records = []
    for number, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: bad JSON ({exc.msg})")
    ids = Counter(r["id"] for _, r in records)
    problems += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    per_type: Counter = Counter()
    per_file: Counter = Counter()
    split: Counter = Counter()
    same_name = 0
    for number, r in records:
        where = f"{r.get('id', '?')} (line {number})"
        t = r.get("type")
        if t not in TYPES:
            problems.append(f"{where}: bad type {t!r}")
            continue
        per_type[t] += 1
        split[(t, r.get("split"))] += 1
        if r.get("split") not in ("tune", "test"):
            problems.append(f"{where}: split must be tune or test")
        if "same-name" in (r.get("notes") or ""):
            same_name += 1
        q = r.get("question", "")
        if not q.strip():
            problems.append(f"{where}: empty question")
        if t == "crosslingual" and has_cjk(q):
            problems.append(f"{where}: crosslingual question contains Chinese characters")
        if t == "traditional" and _t2s is not None and _t2s(q) == q:
            problems.append(f"{where}: traditional question has no traditional characters")
        evidence = r.get("evidence", [])
        if t == "unanswerable":
            if r.get("answers") or evidence or r.get("source") is not None or r.get("answers_all"):
                problems.append(f"{where}: unanswerable needs answers [], evidence [], source null")
            if not r.get("notes"):
                problems.append(f"{where}: unanswerable needs notes saying why")
            continue
        if not evidence:
            problems.append(f"{where}: no evidence")
            continue
        sources = r.get("evidence_sources") or [r.get("source")] * len(evidence)
        if len(sources) != len(evidence):
            problems.append(f"{where}: evidence_sources length differs from evidence")
            continue
        if sources[0] != r.get("source"):
            problems.append(f"{where}: source is not the file of the first evidence string")
        if t == "compare" and (len(evidence) < 2 or not r.get("answers_all")):
            problems.append(f"{where}: compare needs two evidence strings and answers_all")
        for ev, src in zip(evidence, sources):
            if src not in texts:
                problems.append(f"{where}: unknown source file {src!r}")
                continue
            count = texts[src].count(ev)
            if count != 1:
                problems.append(f"{where}: evidence occurs {count} times in {src}: {ev[:30]}")
            per_file[src] += 0  # ensure key
        for src in set(sources):
            per_file[src] += 1
        joined = norm("".join(evidence))
        if not r.get("answers") and not r.get("answers_all"):
            problems.append(f"{where}: no answers and no answers_all")
        for a in r.get("answers", []):
            if norm(a) not in joined:
                problems.append(f"{where}: answer {a!r} not in evidence")
        for group in r.get("answers_all") or []:
            if not any(norm(a) in joined for a in group):
                problems.append(f"{where}: no variant of group {group!r} in evidence")
        nq = norm(q)
        for ev in evidence:
            hit = shared_substring(nq, norm(ev), SHARED)
            if hit:
                problems.append(f"{where}: question shares {SHARED} chars with evidence: {hit}")
    for t, m in MINIMUM.items():
        if per_type[t] < m:
            problems.append(f"type {t}: {per_type[t]} questions, need at least {m}")
    if not MIN_TOTAL <= len(records) <= (MAX_TOTAL or len(records)):
        problems.append(f"{len(records)} questions, need {MIN_TOTAL}-{MAX_TOTAL or '…'}")
    for t in TYPES if BALANCED else ():
        tune, test = split[(t, "tune")], split[(t, "test")]
        if abs(tune - test) > 1:
            problems.append(f"type {t}: split {tune}/{test} is not half/half")
    unused = sorted(set(texts) - {f for f, n in per_file.items() if n})
    if unused:
        problems.append(f"report files with no answerable question: {unused}")
    if same_name < MIN_SAME_NAME:
        problems.append(f"{same_name} same-name questions, need at least {MIN_SAME_NAME}")

    print(f"normalizer: {NORMALIZER}")
    print(f"report files: {len(texts)}  questions: {len(records)}  same-name: {same_name}")
    print("by type (tune/test):")
    for t in TYPES:
        print(f"  {t:15s} {per_type[t]:3d}  ({split[(t, 'tune')]}/{split[(t, 'test')]})")
    print("answerable questions per file:")
    for name in sorted(texts):
        print(f"  {name:28s} {len(texts[name]):5d} chars  {per_file[name]:3d}")
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print("  - " + p)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
