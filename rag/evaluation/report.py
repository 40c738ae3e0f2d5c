"""Write an evaluation report as report.json, report.md and report.png."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

# (key in the report dict, label in report.md / report.png); `{k}` is filled in.
METRICS: tuple[tuple[str, str], ...] = (
    ("hit_at_k", "hit@{k}"), ("recall_at_k", "recall@{k}"), ("mrr", "MRR"),
    ("key_fact_accuracy", "key-fact accuracy"), ("strict_accuracy", "strict accuracy"),
    ("refusal_accuracy", "refusal accuracy"),
    ("false_refusal_rate", "false-refusal rate"), ("citation_exactness", "citation exactness"),
    ("citation_support", "citation support"), ("citation_precision", "citation precision"),
    ("claims_checked", "claims checked (every number passed)"),
    ("retrieve_p50_ms", "retrieve p50 (ms)"), ("retrieve_p95_ms", "retrieve p95 (ms)"),
    ("answer_p50_ms", "answer p50 (ms)"), ("answer_p95_ms", "answer p95 (ms)"),
)
CHART_METRICS = ("hit_at_k", "recall_at_k", "mrr", "key_fact_accuracy", "strict_accuracy",
                 "refusal_accuracy", "citation_exactness", "citation_support",
                 "citation_precision")
ANSWER_CHARS = 300


def load_baseline(baseline: str | Path | dict[str, Any]) -> dict[str, Any]:
    """A previous report: a dict as is, or read from a report.json path."""
    if isinstance(baseline, dict):
        return baseline
    path = Path(baseline)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"baseline {path} not found; pass the report.json of an "
                          "earlier run") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"baseline {path} is not valid JSON ({exc}); pass a "
                          "report.json written by rag eval") from None
    if not isinstance(data, dict) or "overall" not in data:
        raise ConfigError(f"baseline {path} has no 'overall' section; pass a report.json "
                          "written by rag eval")
    return data


def _delta_rows(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, _ in METRICS:
        a, b = old.get(key), new.get(key)
        if a is None and b is None:
            continue
        delta = b - a if a is not None and b is not None else None
        rows.append({"metric": key, "old": a, "new": b, "delta": delta})
    return rows


def baseline_delta(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Per-metric old/new/delta, overall and for every type present in either report."""
    old_types, new_types = old.get("per_type", {}), new.get("per_type", {})
    types = list(new_types) + [t for t in old_types if t not in new_types]
    return {
        "baseline": (old.get("config") or {}).get("created"),
        "overall": _delta_rows(old.get("overall", {}), new.get("overall", {})),
        "per_type": {t: _delta_rows(old_types.get(t, {}), new_types.get(t, {}))
                     for t in types},
    }


def _fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"
    return str(value)


def _signed(value: Any, key: str) -> str:
    return "–" if value is None else ("+" if value > 0 else "") + _fmt(float(value), key)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _label(key: str, k: int) -> str:
    return dict(METRICS)[key].format(k=k)


def _headline(report: dict[str, Any], k: int) -> list[str]:
    scopes = {"overall": report["overall"], **report.get("per_type", {})}
    lines = ["| metric | " + " | ".join(scopes) + " |",
             "|---|" + "---:|" * len(scopes),
             "| n | " + " | ".join(str(s.get("n", "–")) for s in scopes.values()) + " |"]
    for key, _ in METRICS:
        cells = [_fmt(s.get(key), key) for s in scopes.values()]
        lines.append(f"| {_label(key, k)} | " + " | ".join(cells) + " |")
    return lines


def _delta_section(delta: dict[str, Any], k: int) -> list[str]:
    lines = ["", "## Change vs baseline", ""]
    scopes = {"overall": delta.get("overall", []), **delta.get("per_type", {})}
    for scope, rows in scopes.items():
        if not rows:
            continue
        lines += [f"### {scope}", "", "| metric | old | new | delta |", "|---|---:|---:|---:|"]
        lines += [f"| {_label(r['metric'], k)} | {_fmt(r['old'], r['metric'])} | "
                  f"{_fmt(r['new'], r['metric'])} | {_signed(r['delta'], r['metric'])} |"
                  for r in rows]
        lines.append("")
    return lines


def _failure(rec: dict[str, Any]) -> list[str]:
    reasons = ", ".join(rec.get("failures", []) + rec.get("errors", []))
    expected = " / ".join(rec.get("expected") or [])
    if rec.get("answers_all"):
        expected += (" + " if expected else "") + "all of " + "; ".join(
            "/".join(g) for g in rec["answers_all"])
    sources = sorted(set(rec.get("evidence_sources") or [])) or [rec.get("source")]
    where = ", ".join(s for s in sources if s)
    lines = [f"### {rec['id']} ({rec['type']}): {_cell(reasons)}", "",
             f"- question: {_cell(rec['question'])}",
             f"- expected: {_cell(expected or '(a refusal)')}"
             + (f" (evidence in {where})" if where else "")]
    retrieved = rec.get("retrieved") or []
    lines.append("- retrieved:" + ("" if retrieved else " nothing"))
    lines += [f"  {p['rank']}. {_cell(p['title'])} — {p['source']} [{p['start']}:{p['end']}]"
              + (" ✓" if p.get("covers_evidence") else "") for p in retrieved]
    if "answer" in rec:
        text = rec["answer"] or ""
        short = text if len(text) <= ANSWER_CHARS else text[:ANSWER_CHARS] + "…"
        lines.append(f"- answer{' (refused)' if rec.get('refused') else ''}: {_cell(short)}")
    if rec.get("cited"):
        lines.append("- cited:")
    for c in rec.get("cited") or []:
        mark = {True: " ✓", False: " ✗ imprecise"}.get(c.get("precise"), "")
        lines.append(f"  [{c['marker']}] {_cell(c['title'])} — {c['source']} "
                     f"[{c['start']}:{c['end']}]{mark}")
    for w in rec.get("warnings", []):
        lines.append(f"- warning: {_cell(w)}")
    return lines + [""]


def render_markdown(report: dict[str, Any], failures: bool = True) -> str:
    """The report as Markdown: headline table, optional baseline delta, failures."""
    cfg = report.get("config", {})
    k = cfg.get("k", 5)
    lines = ["# RAG evaluation", "",
             f"Questions: `{cfg.get('questions')}`"
             + (f" · split={cfg['split']}" if cfg.get("split") else "")
             + f" · k={k} · mode={cfg.get('mode')}"
             + (" · retrieval only" if cfg.get("retrieval_only") else "")
             + f" · {cfg.get('created', '')}"]
    if cfg.get("corpus") or cfg.get("index_dir"):
        lines += ["", f"Corpus: `{cfg.get('corpus')}` · index: `{cfg.get('index_dir')}`"]
    lines += ["", "## Metrics", ""]
    lines += _headline(report, k)
    if report.get("baseline_delta"):
        lines += _delta_section(report["baseline_delta"], k)
    failed = [r for r in report.get("questions", []) if r.get("failures") or r.get("errors")]
    lines += ["", f"## Failures ({len(failed)})", ""]
    if not failures:
        return "\n".join(lines).rstrip() + " (see report.md)\n"
    for rec in failed:
        lines += _failure(rec)
    if not failed:
        lines.append("None.")
    return "\n".join(lines).rstrip() + "\n"


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def plot_report(report: dict[str, Any], path: str | Path) -> Path:
    """Grouped bar chart of the main metrics per type (ASCII labels only)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    k = report.get("config", {}).get("k", 5)
    scopes = {"overall": report["overall"], **report.get("per_type", {})}
    keys = [key for key in CHART_METRICS if any(s.get(key) is not None for s in scopes.values())]
    fig = Figure(figsize=(max(8.0, 1.5 * len(scopes) + 2), 5.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(keys))
    for i, key in enumerate(keys):
        xs = [j + (i - (len(keys) - 1) / 2) * width for j in range(len(scopes))]
        ys = [s.get(key) or 0.0 for s in scopes.values()]
        ax.bar(xs, ys, width, label=_ascii(_label(key, k)))
    ax.set_xticks(range(len(scopes)))
    ax.set_xticklabels([_ascii(f"{name}\n(n={s.get('n', 0)})") for name, s in scopes.items()],
                       fontfamily="DejaVu Sans")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score", fontfamily="DejaVu Sans")
    ax.set_title(_ascii(f"RAG evaluation (k={k})"), fontfamily="DejaVu Sans")
    ax.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              prop={"family": "DejaVu Sans", "size": "small"})
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path


def write_report(report: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write report.json, report.md and report.png into `out` (created if missing)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "md": out / "report.md", "png": out / "report.png"}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    plot_report(report, paths["png"])
    return paths
