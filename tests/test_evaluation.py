"""Evaluation harness on tiny hand-made cases whose right numbers are known."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rag.errors import QuestionSetError
from rag.evaluation import Question, evaluate, load_questions
from rag.evaluation import metrics as m
from rag.evaluation.report import baseline_delta
from rag.types import Answer, Citation, Passage

EV1 = "地区生产总值达到2720.16亿元"
EV2 = "工业增加值增长8.6%"
TEXTS = {
    "a.txt": "前言部分。" * 4 + EV1 + "，同比增长7.6%。" + "其他内容。" * 6,
    "b.txt": "无关段落。" * 5 + EV2 + "。结尾。" * 3,
}
A1 = TEXTS["a.txt"].index(EV1)
B2 = TEXTS["b.txt"].index(EV2)

QUESTIONS = [
    {"id": "q01", "question": "2023年地区生产总值是多少？", "answers": ["2720.16亿元", "2720.16"],
     "evidence": [EV1], "source": "a.txt", "type": "fact", "note": "kept in extra"},
    {"id": "q02", "question": "GDP和工业增加值分别增长多少？", "answers": [],
     "answers_all": [["7.6%"], "8.6%"], "evidence": [EV1, EV2],
     "evidence_sources": ["a.txt", "b.txt"], "source": "a.txt", "type": "compare"},
    {"id": "q03", "question": "2030年火星基地预算是多少？", "answers": [], "evidence": [],
     "source": None, "type": "unanswerable"},
]


def read_source(name: str) -> str:
    return TEXTS[name]


def passage(source: str, start: int, end: int, title: str = "报告") -> Passage:
    return Passage(source=source, title=title, text=TEXTS[source][start:end],
                   start=start, end=end)


def cite(marker: int, source: str, start: int, end: int, text: str | None = None) -> Citation:
    return Citation(marker=marker, source=source, title="报告", start=start, end=end,
                    text=TEXTS[source][start:end] if text is None else text)


COVER_A1 = passage("a.txt", A1 - 3, A1 + len(EV1) + 3, "甲市政府工作报告")
COVER_B2 = passage("b.txt", B2, B2 + len(EV2), "乙市统计公报")
OTHER_B = passage("b.txt", 0, 10, "乙市无关段落")

RETRIEVED = {"q01": [OTHER_B, COVER_A1], "q02": [COVER_A1], "q03": [OTHER_B]}
ANSWERS = {
    "q01": Answer(question="", text="地区生产总值为2,720.16亿元[1][2]。",
                  citations=[cite(1, "a.txt", A1, A1 + len(EV1)),
                             cite(2, "a.txt", 0, 5, text="被篡改的引文")]),
    "q02": Answer(question="", text="分別增長7.6%和8.6%。"),
    "q03": Answer(question="", text="资料中没有相关信息。", refused=True),
}


def fake_retrieve(question: str, k: int) -> list[Passage]:
    qid = next(q["id"] for q in QUESTIONS if q["question"] == question)
    return RETRIEVED[qid][:k]


def make_answer(answers: dict[str, Answer]):
    def answer(question: str, k: int, mode: str) -> Answer:
        return answers[next(q["id"] for q in QUESTIONS if q["question"] == question)]
    return answer


@pytest.fixture
def qfile(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    lines = [json.dumps(q, ensure_ascii=False) for q in QUESTIONS]
    path.write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n", encoding="utf-8")
    return path


def run(qfile: Path, **kw):
    kw.setdefault("answer", make_answer(ANSWERS))
    return evaluate(qfile, k=5, retrieve=fake_retrieve, read_source=read_source,
                    progress=False, **kw)


def q(i: int) -> Question:
    return Question(**{k: v for k, v in QUESTIONS[i].items() if k != "note"})


# ---------------------------------------------------------------- questions

def test_load_questions_parses_fields(qfile: Path):
    qs = load_questions(qfile, read_source=read_source)
    assert [x.id for x in qs] == ["q01", "q02", "q03"]
    assert qs[0].extra == {"note": "kept in extra"} and qs[0].line == 1
    assert qs[1].answers_all == [["7.6%"], ["8.6%"]] and qs[1].line == 3
    assert qs[1].evidence_files() == ["a.txt", "b.txt"]
    assert qs[0].evidence_files() == ["a.txt"] and not qs[2].answerable


def test_validator_reports_every_broken_line(tmp_path: Path):
    ok = json.dumps(QUESTIONS[0], ensure_ascii=False)
    bad = [
        ok,
        '{"id": "q02", "question": ',
        json.dumps({"id": "q03", "answers": ["x"], "evidence": ["e"], "source": "a.txt",
                    "type": "fact"}),
        json.dumps({"id": "q04", "question": "?", "answers": ["x"], "evidence": ["e"],
                    "source": "a.txt", "type": "opinion"}),
        "",
        ok,
        json.dumps({"id": "q07", "question": "?", "answers": ["x"], "evidence": ["e", "f"],
                    "evidence_sources": ["a.txt"], "type": "fact"}),
        json.dumps({"id": "q08", "question": "?", "answers": [], "evidence": ["e"],
                    "type": "unanswerable"}),
        json.dumps({"id": "q09", "question": "  ", "answers": "x", "evidence": [],
                    "source": "a.txt", "type": "fact"}),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError) as err:
        load_questions(path)
    msg = str(err.value)
    for expected in (f"{path}:2: bad JSON", f"{path}:3: field 'question': missing",
                     f"{path}:4: field 'type': unknown type 'opinion'",
                     f"{path}:6: field 'id': duplicate 'q01' (first used on line 1)",
                     f"{path}:7: field 'evidence_sources'", f"{path}:8: field 'evidence'",
                     f"{path}:9: field 'question': is empty", f"{path}:9: field 'answers'",
                     f"{path}:9: field 'evidence'"):
        assert expected in msg
    assert f"{path}:1:" not in msg and f"{path}:5:" not in msg


def test_validator_checks_evidence_is_in_corpus(tmp_path: Path, qfile: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXTS["a.txt"], encoding="utf-8")
    (corpus / "b.txt").write_text(TEXTS["b.txt"].replace("8.6%", "9.9%"), encoding="utf-8")
    with pytest.raises(QuestionSetError) as err:
        load_questions(qfile, corpus_dir=corpus)
    assert f"{qfile}:3: field 'evidence': item 1" in str(err.value)
    assert "not an exact substring of b.txt" in str(err.value)


# ---------------------------------------------------------------- metrics

def test_normalize_and_key_facts():
    assert m.normalize("增長 2,720.16\n億元，") == "增长2720.16亿元"
    assert m.key_fact_correct(q(0), "总值为2,720.16亿元")
    assert not m.key_fact_correct(q(0), "总值为2720.15亿元")
    assert m.key_fact_correct(q(1), "分別增長7.6%和8.6%")
    assert not m.key_fact_correct(q(1), "增長7.6%")
    both = Question(id="x", question="?", type="fact", answers=["一千"], answers_all=[["甲"]])
    assert not m.key_fact_correct(both, "一千") and m.key_fact_correct(both, "甲一千")


def test_half_coverage_boundary():
    span = ("a.txt", 100, 200)
    p = Passage(source="a.txt", title="", text="", start=151, end=300)
    assert not m.span_covered(span, p)  # 49 of 100 chars
    p.start = 150
    assert m.span_covered(span, p)  # 50 of 100 chars
    p.source = "b.txt"
    assert not m.span_covered(span, p)


def test_evidence_spans_and_retrieval_metrics():
    assert m.evidence_spans(q(0), read_source) == [("a.txt", A1, A1 + len(EV1))]
    twice = Question(id="x", question="?", type="fact", answers=["a"], evidence=["前言部分。"],
                     source="a.txt")
    assert len(m.evidence_spans(twice, read_source)) == 4
    assert m.hit(m.evidence_groups(twice, read_source), [passage("a.txt", 15, 20)]) == 1.0
    groups = m.evidence_groups(q(1), read_source)
    assert m.hit(groups, [OTHER_B, COVER_A1, COVER_B2]) == 1.0
    assert m.hit(groups, [OTHER_B, COVER_A1, COVER_B2], k=2) == 0.0
    assert m.recall(groups, [OTHER_B, COVER_A1], k=5) == 0.5
    assert m.reciprocal_rank(groups, [OTHER_B, COVER_A1]) == 0.5
    assert m.reciprocal_rank(groups, [OTHER_B]) == 0.0


def test_answer_metrics():
    assert m.citation_exact(ANSWERS["q01"], read_source) == 0.5
    assert m.citation_exact(ANSWERS["q02"], read_source) is None
    groups = m.evidence_groups(q(0), read_source)
    assert m.citation_support(q(0), ANSWERS["q01"], groups) == 1.0
    assert m.citation_support(q(0), ANSWERS["q01"]) == 1.0  # text-only fallback
    assert m.citation_support(q(1), ANSWERS["q02"], groups) == 0.0
    assert m.citation_support(q(2), ANSWERS["q03"]) is None
    assert m.refusal_correct(q(2), ANSWERS["q03"]) is True
    assert m.false_refusal(q(0), ANSWERS["q03"]) is True
    assert m.false_refusal(q(2), ANSWERS["q03"]) is None


def test_percentiles():
    assert m.percentile([40, 10, 30, 20], 50) == 25.0
    assert m.percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert m.percentile([], 50) is None


# ---------------------------------------------------------------- runner and report

def test_evaluate_overall_and_per_type(qfile: Path):
    rep = run(qfile)
    o = rep["overall"]
    assert (o["n"], o["n_answerable"], o["n_unanswerable"]) == (3, 2, 1)
    assert o["hit_at_k"] == 0.5 and o["recall_at_k"] == 0.75 and o["mrr"] == 0.75
    assert o["key_fact_accuracy"] == 1.0 and o["refusal_accuracy"] == 1.0
    assert o["false_refusal_rate"] == 0.0
    assert o["citation_exactness"] == 0.5 and o["citation_support"] == 0.5
    fact, comp, un = (rep["per_type"][t] for t in ("fact", "compare", "unanswerable"))
    assert (fact["hit_at_k"], fact["mrr"], comp["hit_at_k"], comp["recall_at_k"]) == (1, .5, 0, .5)
    assert un["hit_at_k"] is None and un["refusal_accuracy"] == 1.0 and un["n"] == 1
    assert set(rep) == {"config", "overall", "per_type", "timings", "questions"}
    assert rep["questions"][1]["failures"] == ["retrieval miss", "citations miss evidence"]


def test_false_refusal_and_retrieval_only(qfile: Path):
    answers = dict(ANSWERS, q01=Answer(question="", text="无法回答", refused=True))
    o = run(qfile, answer=make_answer(answers))["overall"]
    assert o["false_refusal_rate"] == 0.5 and o["key_fact_accuracy"] == 0.5
    rep = run(qfile, answer=False, limit=2)
    assert rep["overall"]["n"] == 2 and rep["overall"]["key_fact_accuracy"] is None
    assert rep["overall"]["hit_at_k"] == 0.5 and rep["timings"]["answer_ms"]["n"] == 0


def test_latency_is_timed_per_call(qfile: Path, monkeypatch: pytest.MonkeyPatch):
    clock = {"t": 0.0}
    monkeypatch.setattr(time, "perf_counter", lambda: clock["t"])
    cost = {"q01": 0.010, "q02": 0.020, "q03": 0.030}

    def slow_retrieve(question: str, k: int) -> list[Passage]:
        clock["t"] += cost[next(x["id"] for x in QUESTIONS if x["question"] == question)]
        return fake_retrieve(question, k)

    rep = evaluate(qfile, retrieve=slow_retrieve, answer=False, read_source=read_source,
                   progress=False)
    assert rep["overall"]["retrieve_p50_ms"] == pytest.approx(20.0)
    assert rep["overall"]["retrieve_p95_ms"] == pytest.approx(29.0)
    assert rep["timings"]["retrieve_ms"]["n"] == 3


def test_errors_are_recorded_not_raised(qfile: Path):
    def broken(question: str, k: int, mode: str) -> Answer:
        raise RuntimeError("endpoint down")

    rep = run(qfile, answer=broken)
    assert rep["overall"]["n_errors"] == 3 and rep["overall"]["key_fact_accuracy"] == 0.0
    assert "answer: RuntimeError: endpoint down" in rep["questions"][0]["errors"]


def test_report_files_and_baseline_delta(qfile: Path, tmp_path: Path):
    out = tmp_path / "run1"
    first = run(qfile, out=out)
    for name in ("report.json", "report.md", "report.png"):
        assert (out / name).stat().st_size > 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| metric | overall | fact | compare | unanswerable |" in md
    assert "| hit@5 | 0.500 | 1.000 | 0.000 | – |" in md
    assert "### q02 (compare): retrieval miss" in md
    assert "甲市政府工作报告 — a.txt" in md and "分別增長7.6%和8.6%" in md
    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert saved["overall"]["mrr"] == first["overall"]["mrr"]

    better = dict(RETRIEVED, q02=[COVER_A1, COVER_B2])
    RETRIEVED_BACKUP = dict(RETRIEVED)
    RETRIEVED.update(better)
    try:
        second = run(qfile, out=tmp_path / "run2", baseline=out / "report.json")
    finally:
        RETRIEVED.update(RETRIEVED_BACKUP)
    rows = {r["metric"]: r for r in second["baseline_delta"]["overall"]}
    assert rows["hit_at_k"] == {"metric": "hit_at_k", "old": 0.5, "new": 1.0, "delta": 0.5}
    assert rows["mrr"]["delta"] == pytest.approx(0.0)
    comp = {r["metric"]: r for r in second["baseline_delta"]["per_type"]["compare"]}
    assert comp["recall_at_k"]["delta"] == 0.5
    md2 = (tmp_path / "run2" / "report.md").read_text(encoding="utf-8")
    assert "## Change vs baseline" in md2 and "| hit@5 | 0.500 | 1.000 | +0.500 |" in md2
    assert json.loads((tmp_path / "run2" / "report.json").read_text("utf-8"))["baseline_delta"]


def test_baseline_delta_handles_missing_values():
    old = {"overall": {"hit_at_k": 0.8, "refusal_accuracy": None}, "per_type": {}}
    new = {"overall": {"hit_at_k": 0.6, "refusal_accuracy": 1.0}, "per_type": {}}
    rows = {r["metric"]: r for r in baseline_delta(old, new)["overall"]}
    assert rows["hit_at_k"]["delta"] == pytest.approx(-0.2)
    assert rows["refusal_accuracy"]["delta"] is None and "mrr" not in rows
