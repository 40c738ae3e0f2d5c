"""The bundled gemma model served by xllamacpp answers the real OpenAI client, streaming too."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.llm_server import ServerHandle, env_lines, resolve_model, start_server

pytestmark = [
    pytest.mark.llm,
    pytest.mark.skipif(
        importlib.util.find_spec("xllamacpp") is None,
        reason="xllamacpp is not installed (pip install xllamacpp); the local LLM server needs it",
    ),
]

PROMPT = "请用一句话介绍政府工作报告。"


@pytest.fixture(scope="module")
def gemma_path() -> Path:
    """Assembled once into the model cache (RAG_MODEL_CACHE or ~/.cache/rag/models)."""
    return resolve_model("gemma3-270m")


@pytest.fixture(scope="module")
def server(gemma_path: Path) -> Iterator[ServerHandle]:
    with start_server(gemma_path, n_ctx=1024, threads=1) as handle:
        yield handle


def _client(handle: ServerHandle):  # noqa: ANN202 - openai is imported lazily
    from openai import OpenAI

    return OpenAI(base_url=handle.base_url, api_key="local", timeout=120, max_retries=0)


def test_env_lines_point_at_the_server(server: ServerHandle) -> None:
    lines = env_lines(server)
    assert f"export OPENAI_BASE_URL={server.base_url}" in lines
    assert "export OPENAI_API_KEY=local" in lines
    assert f"export RAG_LLM_MODEL={server.model}" in lines
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")


def test_chat_completion(server: ServerHandle) -> None:
    reply = _client(server).chat.completions.create(
        model=server.model,
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=32,
        temperature=0,  # greedy: the base model is deterministic
    )
    text = reply.choices[0].message.content or ""
    assert text.strip(), reply
    assert reply.usage is not None and reply.usage.completion_tokens > 0


def test_streaming_chat_completion(server: ServerHandle) -> None:
    stream = _client(server).chat.completions.create(
        model=server.model,
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=32,
        temperature=0,  # greedy: the base model is deterministic
        stream=True,
    )
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 1, pieces
    assert "".join(pieces).strip()


def test_stop_frees_the_port(gemma_path: Path) -> None:
    handle = start_server(gemma_path, n_ctx=512, threads=1)
    port = int(handle.base_url.rsplit(":", 1)[1].split("/")[0])
    handle.stop()
    assert handle.process.poll() is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_a_wrong_llama_server_path_is_a_clear_error(gemma_path: Path, tmp_path: Path, monkeypatch) -> None:
    from rag.errors import LLMError
    not_a_binary = tmp_path / "llama-server"
    not_a_binary.write_text("not a program", encoding="utf-8")
    monkeypatch.setenv("RAG_LLAMA_SERVER", str(not_a_binary))
    with pytest.raises(LLMError, match="is not an executable llama-server; unset it to use xllamacpp"):
        start_server(gemma_path, n_ctx=1024, threads=1)


def test_the_server_built_for_this_cpu_serves_with_the_bundled_template(gemma_path: Path, monkeypatch) -> None:
    """The native llama-server (scripts/build_llama_server.py) gets gemma's Q/A template from a file."""
    from rag.llm_server import native_server
    monkeypatch.delenv("RAG_LLAMA_SERVER", raising=False)
    if native_server() is None:
        pytest.skip("no llama-server built for this CPU (python scripts/build_llama_server.py)")
    with start_server(gemma_path, n_ctx=1024, threads=1) as handle:
        assert handle.engine.endswith("llama-server")
        template = handle.log_path.with_suffix(".jinja")
        assert "问：" in template.read_text(encoding="utf-8")
        reply = _client(handle).chat.completions.create(
            model=handle.model, messages=[{"role": "user", "content": PROMPT}], max_tokens=16, temperature=0)
        assert (reply.choices[0].message.content or "").strip()
    assert not template.exists()
