"""rag.answer in LLM mode through the real openai client against a real llama.cpp server (gemma 270M).

The base model's prose is poor; what is checked is the plumbing: `rag serve-llm` prints working
exports, answers stream, every marker the user sees points at a citation whose text is the file's
text at its offsets, and a server that dies mid-session makes the answer fall back, with a warning.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time

import pytest

import rag

pytestmark = [
    pytest.mark.llm,
    pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None,
                       reason="needs the llm extra: pip install -e '.[llm]'"),
]
QUESTION = "海珠区2023年地区生产总值是多少?"


@pytest.fixture(scope="module")
def served():
    """`rag serve-llm --model gemma3-270m --port 0` in a subprocess; yields the env it prints."""
    process = subprocess.Popen([sys.executable, "-m", "rag", "serve-llm", "--model", "gemma3-270m", "--port", "0",
                                "--ctx", "4096", "--threads", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    exports: dict[str, str] = {}
    deadline = time.monotonic() + 240
    while len(exports) < 3 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.match(r"export (\w+)=(\S+)", line.strip())
        if match:
            exports[match.group(1)] = match.group(2)
    if len(exports) < 3:
        process.kill()
        pytest.fail(f"rag serve-llm printed no exports: {process.stderr.read()[-2000:]}")
    yield process, exports
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def llm_env(served, monkeypatch):
    _, exports = served
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "120")
    return exports


def check_markers(answer: rag.Answer) -> None:
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers <= {c.marker for c in answer.citations}, (answer.text, answer.citations)
    for citation in answer.citations:
        assert rag.read_source(citation.source)[citation.start:citation.end] == citation.text


def test_exports_name_a_loopback_server(llm_env):
    assert llm_env["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    assert llm_env["RAG_LLM_MODEL"] == "gemma3-270m"


def test_streamed_llm_answer_has_only_valid_markers(llm_env):
    pieces = list(rag.answer(QUESTION, k=3, mode="llm", stream=True))
    final = pieces[-1]
    assert isinstance(final, rag.Answer)
    texts = [p for p in pieces[:-1] if isinstance(p, str)]
    assert len(texts) > 1, "the answer did not stream"
    assert final.mode == "llm" and final.model == "gemma3-270m", final.warnings
    assert final.passages and final.passages[0].source == "003_affd64f63b1a618d.txt"
    check_markers(final)
    if not final.refused and not final.citations:
        assert any("cites no passage" in w for w in final.warnings)


def test_auto_mode_uses_the_configured_llm(llm_env):
    answer = rag.answer(QUESTION, k=3)
    assert answer.mode == "llm"
    check_markers(answer)


def test_dead_server_falls_back_to_extractive(served, llm_env):
    process, _ = served
    process.terminate()
    process.wait(timeout=30)
    answer = rag.answer(QUESTION, k=3, mode="llm")
    assert answer.mode == "extractive"
    assert any("LLM unavailable" in w for w in answer.warnings), answer.warnings
    assert "2720.16" in answer.text
    check_markers(answer)


def test_cli_reports_the_fallback(served, llm_env):
    result = subprocess.run([sys.executable, "-m", "rag", "ask", QUESTION, "--mode", "llm"],
                            capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "2720.16" in result.stdout
    assert "LLM unavailable" in result.stderr


def test_the_model_reads_simplified_text_and_short_titles():
    from rag.answering.quoting import prompt_text, prompt_title
    from rag.types import ReportFacts

    facts = ReportFacts(title="", place="广东省/广州市/增城区", level="county", year=2021, kind="five_year_plan",
                        years=(2021, 2025))
    long_title = "廣州市增城區國民經濟和社會發展第十四個五年規劃和2035年遠景目標綱要"
    assert prompt_title(long_title, facts) == "广州市增城区2021年五年规划"
    assert prompt_title("海珠区2024年政府工作报告", facts) == "海珠区2024年政府工作报告"
    assert prompt_text("常住人口達160萬人以上[2]") == "常住人口达160万人以上［2］"
