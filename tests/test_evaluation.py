"""Evaluation harness on tiny hand-made cases whose right numbers are known."""
from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from rag.errors import ConfigError, QuestionError, QuestionSetError
from rag.evaluation import Question, evaluate, load_questions
from rag.evaluation import metrics as m
from rag.evaluation.report import baseline_delta
from rag.evaluation.runner import corpus_settings
from rag.types import Answer, Citation, Passage, ReportFacts

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


# ---------------------------------------------------------------- citation precision, strict accuracy

FILE_A = ReportFacts(title="甲镇2019年政府工作报告", doc_start=0, doc_end=1000)
FILE_B = ReportFacts(title="乙镇2019年政府工作报告", doc_start=1000, doc_end=2000)
FACT_Q = Question(id="p1", question="甲镇GDP是多少？", type="fact", answers=["12.5亿元"],
                  evidence=["地区生产总值12.5亿元"], source="multi.txt")
UNANSWERABLE_Q = Question(id="p2", question="丙镇GDP是多少？", type="unanswerable")


def at(start: int, end: int, facts: ReportFacts | None = FILE_A,
       source: str = "multi.txt", marker: int = 1) -> Citation:
    return Citation(marker=marker, source=source, title="报告", text="…", start=start, end=end,
                    facts=facts)


def test_citation_precise_needs_same_file_same_report_and_nearby():
    evidence = [("multi.txt", 300, 320)]
    assert m.NEAR_CHARS == 200
    assert m.citation_precise(at(310, 330), evidence)  # overlaps
    assert m.citation_precise(at(400, 450), evidence)  # 80 chars after
    assert m.citation_precise(at(100, 300), evidence)  # adjacent, gap 0
    assert m.citation_precise(at(520, 560), evidence)  # gap of exactly NEAR_CHARS
    assert not m.citation_precise(at(521, 560), evidence)  # one char too far
    assert not m.citation_precise(at(40, 99), evidence)  # 201 chars before
    assert not m.citation_precise(at(600, 650), evidence)  # far away in the same report
    assert not m.citation_precise(at(310, 330, source="other.txt"), evidence)  # other file
    assert m.citation_precise(at(600, 650), evidence, near=300)


def test_citation_in_another_report_of_the_same_file_is_not_precise():
    evidence = [("multi.txt", 950, 990)]  # the end of report A
    assert m.citation_precise(at(960, 1000, FILE_A), evidence)
    assert not m.citation_precise(at(1000, 1040, FILE_B), evidence)  # 10 chars away, report B
    assert m.citation_precise(at(1000, 1040, facts=None), evidence)  # report unknown: skipped
    unrecorded = ReportFacts(title="未知")  # doc_start == doc_end == 0: span not recorded
    assert m.citation_precise(at(1000, 1040, unrecorded), evidence)


def test_citation_precision_any_occurrence_counts():
    # one evidence string that occurs twice: once in report A, once in report B
    groups = [[("multi.txt", 300, 320), ("multi.txt", 1500, 1520)]]
    answer = Answer(question="", text="12.5亿元[1][2][3]",
                    citations=[at(330, 360, FILE_A, marker=1), at(1400, 1450, FILE_B, marker=2),
                               at(1800, 1900, FILE_B, marker=3)])
    assert m.citation_precision(FACT_Q, answer, groups) == pytest.approx(2 / 3)
    assert m.citation_precision(FACT_Q, Answer(question="", text="12.5亿元"), groups) is None
    assert m.citation_precision(UNANSWERABLE_Q, answer, []) is None
    assert m.citation_precision(FACT_Q, answer, [[]]) == 0.0  # evidence not found anywhere


def test_strict_accuracy_needs_every_citation_precise():
    groups = [[("multi.txt", 300, 320)]]
    good, far = at(300, 330, marker=1), at(1500, 1550, FILE_B, marker=2)
    right_value = "甲镇地区生产总值12.5亿元"
    one_imprecise = Answer(question="", text=right_value + "[1][2]", citations=[good, far])
    assert m.key_fact_correct(FACT_Q, one_imprecise.text)  # lenient: right
    assert not m.strict_correct(FACT_Q, one_imprecise, groups)  # strict: one citation is off
    assert m.strict_correct(FACT_Q, Answer(question="", text=right_value + "[1]",
                                           citations=[good]), groups)
    assert not m.strict_correct(FACT_Q, Answer(question="", text=right_value), groups)  # uncited
    assert not m.strict_correct(FACT_Q, Answer(question="", text="资料中是13亿元[1]",
                                               citations=[good]), groups)  # wrong value
    assert not m.strict_correct(FACT_Q, Answer(question="", text=right_value + "[1]",
                                               citations=[good], refused=True), groups)
    refused = Answer(question="", text="资料中没有相关信息。", refused=True)
    assert m.strict_correct(UNANSWERABLE_Q, refused, [])
    assert not m.strict_correct(UNANSWERABLE_Q, one_imprecise, [])


FAR_TEXT = "甲" * 400 + EV1 + "乙" * 600  # one long file: evidence at 400, filler after
STRICT_TEXTS = {"far.txt": FAR_TEXT}
EV_FAR = FAR_TEXT.index(EV1)
STRICT_QUESTIONS = [
    {"id": "s1", "question": "甲市GDP?", "answers": ["2720.16亿元"], "evidence": [EV1],
     "source": "far.txt", "type": "fact", "split": "tune"},
    {"id": "s2", "question": "甲市GDP是多少?", "answers": ["2720.16亿元"], "evidence": [EV1],
     "source": "far.txt", "type": "fact", "split": "test"},
    {"id": "s3", "question": "乙市GDP?", "answers": [], "evidence": [], "source": None,
     "type": "unanswerable", "split": "tune"},
    {"id": "s4", "question": "丙市GDP?", "answers": [], "evidence": [], "source": None,
     "type": "unanswerable", "split": "test"},
]
GOOD = Citation(marker=1, source="far.txt", title="甲市报告", text=EV1, start=EV_FAR,
                end=EV_FAR + len(EV1))
FAR = Citation(marker=2, source="far.txt", title="甲市报告", text=FAR_TEXT[1000:1020],
               start=1000, end=1020)  # 1000 - (400 + len(EV1)) > NEAR_CHARS
STRICT_ANSWERS = {
    "s1": Answer(question="", text="2720.16亿元[1]", citations=[GOOD]),
    "s2": Answer(question="", text="2720.16亿元[1][2]", citations=[GOOD, FAR]),
    "s3": Answer(question="", text="资料中没有相关信息。", refused=True),
    "s4": Answer(question="", text="丙市GDP为100亿元。"),
}


def strict_by_question(question: str) -> str:
    return next(x["id"] for x in STRICT_QUESTIONS if x["question"] == question)


def strict_kwargs() -> dict:
    covering = Passage(source="far.txt", title="甲市报告", text=EV1, start=EV_FAR,
                       end=EV_FAR + len(EV1))
    return {"retrieve": lambda question, k: [covering],
            "answer": lambda question, k, mode: STRICT_ANSWERS[strict_by_question(question)],
            "read_source": STRICT_TEXTS.__getitem__, "progress": False}


@pytest.fixture
def strict_file(tmp_path: Path) -> Path:
    path = tmp_path / "strict.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in STRICT_QUESTIONS),
                    encoding="utf-8")
    return path


def test_evaluate_reports_strict_accuracy_and_citation_precision(strict_file: Path,
                                                                 tmp_path: Path):
    rep = evaluate(strict_file, out=tmp_path / "out", **strict_kwargs())
    o, fact, un = rep["overall"], rep["per_type"]["fact"], rep["per_type"]["unanswerable"]
    assert fact["key_fact_accuracy"] == 1.0 and fact["strict_accuracy"] == 0.5
    assert fact["citation_precision"] == pytest.approx(0.75)  # mean of 1.0 and 0.5
    assert un["strict_accuracy"] == 0.5 and un["citation_precision"] is None
    assert o["strict_accuracy"] == 0.5 and o["citation_precision"] == pytest.approx(0.75)
    s1, s2 = rep["questions"][0], rep["questions"][1]
    assert (s1["strict"], s1["citation_precision"], s1["failures"]) == (True, 1.0, [])
    assert (s2["strict"], s2["key_fact"], s2["citation_precision"]) == (False, True, 0.5)
    assert s2["failures"] == ["imprecise citation"]
    assert [c["precise"] for c in s2["cited"]] == [True, False]
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| strict accuracy | 0.500 | 0.500 | 0.500 |" in md
    assert "| citation precision | 0.750 | 0.750 | – |" in md
    assert "### s2 (fact): imprecise citation" in md
    assert "[2] 甲市报告 — far.txt [1000:1020] ✗ imprecise" in md
    saved = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert saved["overall"]["strict_accuracy"] == 0.5


def test_existing_set_gets_strict_and_precision(qfile: Path):
    o = run(qfile)["overall"]
    assert o["strict_accuracy"] == pytest.approx(2 / 3)  # q01 right+precise, q02 uncited, q03 refused
    assert o["citation_precision"] == 1.0 and o["key_fact_accuracy"] == 1.0


# ---------------------------------------------------------------- tune/test split

def test_split_filters_questions_and_is_recorded(strict_file: Path):
    rep = evaluate(strict_file, split="test", **strict_kwargs())
    assert [r["id"] for r in rep["questions"]] == ["s2", "s4"]
    assert {r["split"] for r in rep["questions"]} == {"test"}
    assert rep["config"]["split"] == "test" and rep["overall"]["n"] == 2
    assert rep["overall"]["strict_accuracy"] == 0.0
    tune = evaluate(strict_file, split="tune", limit=1, **strict_kwargs())
    assert [r["id"] for r in tune["questions"]] == ["s1"]
    whole = evaluate(strict_file, **strict_kwargs())
    assert whole["config"]["split"] is None and whole["overall"]["n"] == 4
    assert whole["config"]["corpus"] is None and whole["config"]["index_dir"] is None


def test_split_value_is_validated(strict_file: Path, tmp_path: Path):
    with pytest.raises(QuestionError, match="unknown split 'dev'; use one of tune, test"):
        evaluate(strict_file, split="dev", **strict_kwargs())
    lines = [dict(STRICT_QUESTIONS[0]), dict(STRICT_QUESTIONS[1], split="dev"),
             dict(STRICT_QUESTIONS[2], split=1), {k: v for k, v in STRICT_QUESTIONS[3].items()
                                                 if k != "split"}]
    path = tmp_path / "bad_split.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                    encoding="utf-8")
    with pytest.raises(QuestionSetError) as err:
        load_questions(path)
    msg = str(err.value)
    assert f"{path}:2: field 'split': must be \"tune\" or \"test\", got 'dev'" in msg
    assert f"{path}:3: field 'split': must be \"tune\" or \"test\", got 1" in msg
    assert f"{path}:1:" not in msg and f"{path}:4:" not in msg
    lines[1]["split"], lines[2]["split"] = "test", None
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                    encoding="utf-8")
    assert [x.split for x in load_questions(path)] == ["tune", "test", None, None]
    no_test = tmp_path / "tune_only.jsonl"
    no_test.write_text(json.dumps(STRICT_QUESTIONS[0], ensure_ascii=False) + "\n", "utf-8")
    with pytest.raises(QuestionSetError, match="no question has split 'test'"):
        evaluate(no_test, split="test", **strict_kwargs())


def test_shipped_set_alternates_tune_and_test_within_each_type():
    questions = load_questions(Path(__file__).resolve().parent.parent / "eval" / "questions.jsonl")
    assert all(x.split in ("tune", "test") for x in questions)
    for qtype in {x.type for x in questions}:
        ordered = sorted((x for x in questions if x.type == qtype), key=lambda x: x.id)
        assert [x.split for x in ordered] == [("tune", "test")[i % 2] for i in range(len(ordered))]


# ---------------------------------------------------------------- own corpus

def test_corpus_settings_default_index_next_to_corpus(tmp_path: Path):
    corpus = tmp_path / "outside" / "reports"
    corpus.mkdir(parents=True)
    s = corpus_settings(corpus)
    assert (s.corpus_dir, s.index_dir) == (corpus, tmp_path / "outside" / "vectorstore")
    assert corpus_settings(corpus, tmp_path / "idx").index_dir == tmp_path / "idx"
    with pytest.raises(ConfigError, match="is not a directory"):
        corpus_settings(tmp_path / "missing")


def test_evaluate_on_own_corpus_wires_retriever_and_answerer(
        strict_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import rag.answering
    import rag.retrieval

    corpus = tmp_path / "outside" / "reports"
    corpus.mkdir(parents=True)
    (corpus / "far.txt").write_text(FAR_TEXT, encoding="utf-8")
    seen: dict = {}

    class FakeRetriever:
        store = SimpleNamespace(manifest=SimpleNamespace(
            files={"far.txt": SimpleNamespace(path="far.txt")}))

        @classmethod
        def from_settings(cls, settings, update=False):
            seen["settings"], seen["update"] = settings, update
            return cls()

        def retrieve(self, question, k):
            return []

    class FakeAnswerer:
        def __init__(self, retriever, settings):
            seen["answerer"] = (type(retriever), settings)

        def answer(self, question, k, mode):
            return STRICT_ANSWERS[strict_by_question(question)]

    monkeypatch.setattr(rag.retrieval, "Retriever", FakeRetriever)
    monkeypatch.setattr(rag.answering, "Answerer", FakeAnswerer)
    rep = evaluate(strict_file, corpus=corpus, progress=False)
    assert seen["settings"].corpus_dir == corpus
    assert seen["update"]  # a batch run brings its index up to date first
    assert seen["settings"].index_dir == tmp_path / "outside" / "vectorstore"
    assert seen["answerer"] == (FakeRetriever, seen["settings"])
    assert rep["config"]["corpus"] == str(corpus)
    assert rep["config"]["index_dir"] == str(tmp_path / "outside" / "vectorstore")
    assert rep["questions"][0]["warnings"] == []  # evidence read from the corpus file
    assert rep["overall"]["strict_accuracy"] == 0.5


# ---------------------------------------------------------------- CLI

def test_cli_eval_split_and_corpus_options(strict_file: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch):
    import rag.evaluation
    from rag.cli import cli

    runner = CliRunner()
    missing = tmp_path / "no_such_corpus"
    result = runner.invoke(cli, ["eval", str(strict_file), "--corpus", str(missing)])
    assert result.exit_code == 2
    assert "Invalid value for '--corpus'" in result.output and "does not exist" in result.output
    result = runner.invoke(cli, ["eval", str(strict_file), "--split", "dev"])
    assert result.exit_code == 2 and "'dev' is not one of 'tune', 'test'" in result.output

    calls: list[dict] = []
    real_evaluate = rag.evaluation.evaluate

    def spy(path, **kw):
        calls.append(kw)
        kw.update({k: v for k, v in strict_kwargs().items() if k != "progress"})
        return real_evaluate(path, **kw, progress=False)

    monkeypatch.setattr(rag.evaluation, "evaluate", spy)
    corpus = tmp_path / "outside" / "reports"
    corpus.mkdir(parents=True)
    result = runner.invoke(cli, ["eval", str(strict_file), "--split", "test",
                                 "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    assert calls[-1]["split"] == "test" and calls[-1]["corpus"] == corpus
    assert calls[-1]["index_dir"] is None
    assert "split=test" in result.output
    assert f"Corpus: `{corpus}` · index: `{tmp_path / 'outside' / 'vectorstore'}`" in result.output
    result = runner.invoke(cli, ["eval", str(strict_file), "--corpus", str(corpus),
                                 "--index-dir", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.output
    assert calls[-1]["split"] is None and calls[-1]["index_dir"] == tmp_path / "idx"


def test_an_english_answer_may_state_a_chinese_figure_by_its_value():
    english = Question(id="e1", question="How many visitors did the festival attract?", type="crosslingual",
                       answers=["11万人次", "11万"])
    assert m.key_fact_correct(english, "It attracted 110,000 visitors[1].")
    assert m.key_fact_correct(english, "It attracted 110 thousand visitors[1].")
    assert not m.key_fact_correct(english, "It attracted 11,000 visitors[1].")  # the scale is wrong
    assert not m.key_fact_correct(english, "It attracted many visitors[11].")  # a marker is no figure
    gdp = Question(id="e2", question="What was the GDP?", type="crosslingual", answers=["2720.16亿元"])
    assert m.key_fact_correct(gdp, "GDP reached 272.016 billion yuan.")
    assert not m.key_fact_correct(gdp, "GDP reached 2720.16 million yuan.")
    rate = Question(id="e3", question="How fast did it grow?", type="crosslingual", answers=["8.6%"])
    assert m.key_fact_correct(rate, "It grew 8.6 percent.") and not m.key_fact_correct(rate, "It grew by 8.6 points")
    chinese = Question(id="c1", question="电梯加装了多少台?", type="fact", answers=["957台"])
    assert not m.key_fact_correct(chinese, "加装电梯957部")  # a Chinese answer keeps the report's wording


def test_strict_reads_the_figure_of_the_direct_line_not_of_the_quotes():
    from rag.types import Citation

    q = Question(id="g", question="义乌市2015年GDP增长多少?", type="fact", answers=["9%"], evidence=["增长9%"])
    cite = Citation(marker=1, source="y.txt", title="t", text="增长9%", start=0, end=5)
    groups = [[("y.txt", 0, 5)]]
    wrong = Answer(question=q.question, text="答：义乌市2015年为4.6%[1]。\n根据报告原文：\n「…增长9%;…分别增长4.6%和8%。」[1]",
                   citations=[cite])
    right = Answer(question=q.question, text="答：义乌市2015年为9%[1]。\n根据报告原文：\n「…增长9%…」[1]", citations=[cite])
    quotes_only = Answer(question=q.question, text="根据报告原文：\n「…增长9%…」[1]", citations=[cite])
    assert m.key_fact_correct(q, wrong.text)  # lenient: the figure is somewhere
    assert not m.strict_correct(q, wrong, groups)
    assert m.strict_correct(q, right, groups) and m.strict_correct(q, quotes_only, groups)
