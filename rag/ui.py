"""`rag chat`: a Gradio web UI over `rag.answer`, offline, one state per browser session.

Chat with streamed answers, a sources panel (excerpts with the quoted numbers highlighted, wider
context on click), a status line, report uploads (indexed incrementally), settings and feedback.
"""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry, no version check

import hashlib  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from . import api  # noqa: E402
from .config import Settings  # noqa: E402
from .errors import ConfigError, RagError  # noqa: E402
from .ingest.loaders import LOADERS  # noqa: E402
from .types import Answer  # noqa: E402
from .ui_render import (  # noqa: E402
    append_feedback,
    feedback_record,
    link_markers,
    mode_label,
    sources_html,
    status_html,
)

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5


def example_questions(limit: int = MAX_EXAMPLES) -> list[str]:
    """Questions about the reports actually indexed (their places and years), so examples fit any corpus."""
    try:
        reports = api.default_retriever().corpus.reports
    except Exception:  # noqa: BLE001 - no index yet: the page still opens, without examples
        return []
    from pypinyin import lazy_pinyin
    chosen, seen = [], set()
    rank = {"county": 0, "city": 1, "province": 2, "town": 3}
    reports = sorted(reports, key=lambda r: (rank.get(r.level or "", 4), -(r.year or 0)))
    for facts in reports:
        name = facts.place_name
        if not name or facts.kind != "work_report" or not facts.year or name in seen:
            continue
        seen.add(name)
        chosen.append(f"{name}{facts.year - 1}年地区生产总值是多少?")
    chosen = chosen[:limit - 1]
    if chosen:
        first = next(r for r in reports if r.place_name and f"{r.place_name}{(r.year or 1) - 1}年" in chosen[0])
        english = "".join(lazy_pinyin(first.place_name[:-1])).capitalize()
        chosen.append(f"What was the GDP of {english} in {first.year - 1}?")
    return chosen[:limit]
PENDING = "⏳ 正在检索报告… (searching the reports)"
CONCURRENCY = 4
_upload_lock = threading.Lock()  # one upload indexes at a time in this process (index_lock covers processes)

THEME = gr.themes.Default(
    font=["system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
          "WenQuanYi Micro Hei", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Noto Sans Mono CJK SC", "monospace"],
)
CSS = """
#rag-status .rag-status { font-size: 0.9em; padding: 6px 10px; border-radius: 6px; background: var(--block-background-fill); }
.rag-warning, .rag-error { color: #b45309; }
.rag-refused { color: #b91c1c; font-weight: 600; }
.rag-sources { display: flex; flex-direction: column; gap: 8px; max-height: 640px; overflow-y: auto; }
.rag-sources-empty { color: var(--body-text-color-subdued); padding: 8px; }
details.rag-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; }
details.rag-source.rag-flash { outline: 3px solid #f59e0b; }
details.rag-source summary { cursor: pointer; list-style: none; }
details.rag-source summary::-webkit-details-marker { display: none; }
.rag-marker { font-weight: 700; color: var(--color-accent); }
.rag-meta { display: block; font-size: 0.8em; color: var(--body-text-color-subdued); margin: 2px 0 4px; }
.rag-excerpt { display: block; line-height: 1.6; }
.rag-hint { display: block; font-size: 0.75em; color: var(--body-text-color-subdued); margin-top: 4px; }
details[open] .rag-hint { display: none; }
mark.num { background: #fde047; color: #000; padding: 0 2px; border-radius: 3px; }
mark.excerpt { background: #dbeafe; color: #000; }
.rag-context p { white-space: pre-wrap; margin: 4px 0 0; }
.rag-context { margin-top: 8px; padding-top: 8px; border-top: 1px dashed var(--border-color-primary); line-height: 1.6; }
.rag-context-label { font-size: 0.8em; color: var(--body-text-color-subdued); }
"""
# Clicking a [n] link in the chat opens source n in the sources panel instead of navigating.
JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#source-"]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    card.open = true;
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    card.classList.add('rag-flash');
    setTimeout(() => card.classList.remove('rag-flash'), 1500);
  }, true);
}
"""


def new_session() -> dict:
    """Per-session state: the turns shown and the last answer (for feedback)."""
    return {"turns": [], "last": None}


def _index_size() -> tuple[int | None, int | None, int | None]:
    try:
        store = api.default_retriever().store
    except RagError as exc:
        log.warning("index not loaded: %s", exc)
        return None, None, None
    files = store.manifest.files
    return len(files), sum(e.documents for e in files.values()), len(store.chunks)


def _status(mode: str, state: dict | None = None, error: str | None = None) -> str:
    """The status line for one session: mode, index size, the last answer's refusal and warnings."""
    settings = Settings.from_env()
    state = state or new_session()
    files, documents, chunks = _index_size()
    label = mode_label(mode, settings.llm_model, settings.llm_configured, state.get("last"))
    return status_html(mode_label=label, files=files, documents=documents, chunks=chunks, last=state.get("last"),
                       error=error, answers=sum(1 for t in state["turns"] if t.get("done")))


def _display(turns: list[dict]) -> list[dict]:
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": turn["question"]})
        if turn.get("answer") is not None:
            messages.append({"role": "assistant", "content": link_markers(turn["answer"])})
    return messages


def _history(turns: list[dict]) -> list[dict]:
    """Earlier answered turns in the messages format `rag.answer` reads (errors left out)."""
    history = []
    for turn in turns:
        if turn.get("ok"):
            history += [{"role": "user", "content": turn["question"]},
                        {"role": "assistant", "content": turn["answer"]}]
    return history


def respond(message: str, state: dict, k: float, mode: str):
    """Stream one answer: placeholder, growing text, then the final checked Answer with its sources."""
    question = (message or "").strip()
    state = state or new_session()
    if not question:
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    turns = [dict(t) for t in state["turns"]]
    history = _history(turns)
    turn = {"question": question, "answer": PENDING, "ok": False, "done": False}
    turns.append(turn)
    yield _display(turns), gr.skip(), gr.skip(), gr.skip(), ""
    final: Answer | None = None
    pieces: list[str] = []
    try:
        for item in api.answer(question, k=int(k), history=history or None, stream=True, mode=mode):
            if isinstance(item, Answer):
                final = item
                continue
            pieces.append(item)
            turn["answer"] = "".join(pieces)
            yield _display(turns), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    except RagError as exc:
        turn["answer"] = f"⚠ {exc}"
    except Exception as exc:  # never let one question take the session down
        log.exception("answering %r failed", question)
        turn["answer"] = f"⚠ Internal error while answering ({type(exc).__name__}: {exc})"
    turn["done"] = True
    if final is None:
        new_state = {"turns": turns, "last": state.get("last")}
        yield _display(turns), gr.skip(), _status(mode, new_state, error=turn["answer"][2:]), new_state, gr.skip()
        return
    turn.update(answer=final.text, ok=True)
    last = {"question": question, "text": final.text, "mode": final.mode, "model": final.model, "chosen": mode,
            "refused": final.refused, "warnings": list(final.warnings),
            "citations": [{"marker": c.marker, "source": c.source, "start": c.start, "end": c.end,
                           "title": c.title} for c in final.citations]}
    new_state = {"turns": turns, "last": last}
    yield _display(turns), sources_html(final, api.read_source), _status(mode, new_state), new_state, gr.skip()


def clear(mode: str):
    return [], sources_html(None, api.read_source), _status(mode), new_session(), "", ""


def refresh_status(mode: str, state: dict) -> str:
    return _status(mode, state)


def give_feedback(rating: str):
    def handler(state: dict) -> str:
        last = (state or {}).get("last")
        if not last:
            return '<span class="rag-warning">Ask a question first; feedback is about the last answer.</span>'
        record = feedback_record(last["question"], last["text"], last["citations"], rating, last["mode"])
        try:
            append_feedback(Settings.from_env().feedback_file, record)
        except OSError as exc:
            return f'<span class="rag-error">Could not save feedback: {exc.strerror}</span>'
        return f"<span>Thanks, recorded: {'👍 helpful' if rating == 'helpful' else '👎 wrong'}.</span>"
    return handler


def _same_file(a: Path, b: Path) -> bool:
    return hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def index_uploads(files, mode: str, state: dict, progress=gr.Progress()):
    """Copy uploaded reports into the corpus dir, index them incrementally, make them searchable."""
    import html

    from .indexer import build_index
    settings = Settings.from_env()
    lines: list[str] = []
    copied: list[Path] = []
    for item in files or []:
        path = Path(item if isinstance(item, str) else getattr(item, "path", None) or item.name)
        name = path.name
        dest = settings.corpus_dir / name
        if path.suffix.lower() not in LOADERS or name.startswith("."):
            lines.append(f"✗ {name}: unsupported type; upload {', '.join(LOADERS)} files")
        elif dest.exists() and not _same_file(path, dest):
            lines.append(f"✗ {name}: a different report with this name is already in the corpus; rename it")
        elif dest.exists():
            lines.append(f"• {name}: already in the corpus")
        else:
            settings.corpus_dir.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f".{name}.upload")
            shutil.copyfile(path, partial)
            os.replace(partial, dest)
            copied.append(dest)
    if copied:
        with _upload_lock:
            progress(0, desc="indexing…")

            def on_progress(done: int, total: int) -> None:
                progress(done / max(total, 1), desc=f"embedding {done}/{total} chunks")
            try:
                report = build_index(settings, progress=on_progress)
            except RagError as exc:
                report = None
                lines.append(f"✗ indexing failed: {exc}")
                for dest in copied:
                    dest.unlink(missing_ok=True)
            finally:
                api.reload_index()
        if report is not None:
            for dest in copied:
                if dest.name in report.skipped:
                    lines.append(f"✗ {dest.name}: not indexed: {report.skipped[dest.name]}")
                    dest.unlink(missing_ok=True)
                else:
                    lines.append(f"✓ {dest.name}: indexed; you can ask about it now")
            lines.append(f"Index: {report.documents} reports, {report.chunks} chunks "
                         f"(embedded {report.embedded} new chunks in {report.seconds:.1f} s)")
    body = "".join(f"<div>{html.escape(line)}</div>" for line in lines) or "No file received."
    return None, f'<div class="rag-upload">{body}</div>', _status(mode, state)


def build_app() -> gr.Blocks:
    """The Blocks app with its queue enabled; launch it with `launch()` (theme, CSS and JS live there)."""
    with gr.Blocks(title="政府工作报告问答 · cited answers", analytics_enabled=False) as demo:
        state = gr.State(new_session())
        gr.Markdown("## 政府工作报告问答 · Government work reports, answered with citations\n"
                    "Every claim carries a numbered citation `[n]` to an exact excerpt; click a marker or a "
                    "source to read the wider context.")
        status = gr.HTML(elem_id="rag-status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(elem_id="rag-chat", label="Chat", height=440, buttons=["copy", "copy_all"],
                                     feedback_options=None, latex_delimiters=[], placeholder=(
                                         "Ask about the government work reports, in Chinese or English."))
                with gr.Row():
                    examples = example_questions()
                    question = gr.Textbox(show_label=False, placeholder="例如: " + (examples[0] if examples else
                                                                                 "某某区2023年地区生产总值是多少?"),
                                          scale=5, elem_id="rag-question", autofocus=True)
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-ask")
                if examples:
                    gr.Examples(examples, inputs=question, label="Example questions")
                with gr.Row():
                    helpful = gr.Button("👍 helpful", size="sm", elem_id="rag-helpful")
                    wrong = gr.Button("👎 wrong", size="sm", elem_id="rag-wrong")
                    clear_btn = gr.Button("🗑 Clear chat", size="sm", elem_id="rag-clear")
                feedback_note = gr.HTML(elem_id="rag-feedback")
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Sources")
                sources = gr.HTML(sources_html(None, api.read_source), elem_id="rag-sources")
                with gr.Accordion("Settings", open=False):
                    k = gr.Slider(1, 10, value=5, step=1, label="Passages to read", elem_id="rag-k")
                    mode = gr.Radio(["auto", "llm", "extractive"], value="auto", label="Answer mode",
                                    info="auto: the LLM if one is configured, else verbatim excerpts",
                                    elem_id="rag-mode")
                with gr.Accordion("Add reports", open=True):
                    upload = gr.File(label="Upload reports (.txt, .md, .pdf, .docx)", file_count="multiple",
                                     file_types=list(LOADERS), type="filepath", elem_id="rag-upload")
                    upload_note = gr.HTML(elem_id="rag-upload-status")

        outputs = [chatbot, sources, status, state, question]
        question.submit(respond, [question, state, k, mode], outputs)
        ask.click(respond, [question, state, k, mode], outputs)
        clear_btn.click(clear, [mode], [chatbot, sources, status, state, question, feedback_note])
        chatbot.clear(clear, [mode], [chatbot, sources, status, state, question, feedback_note])  # its 🗑 icon
        helpful.click(give_feedback("helpful"), [state], [feedback_note])
        wrong.click(give_feedback("wrong"), [state], [feedback_note])
        upload.upload(index_uploads, [upload, mode, state], [upload, upload_note, status], concurrency_limit=1)
        mode.change(refresh_status, [mode, state], [status])
        demo.load(refresh_status, [mode, state], [status])
    demo.queue(default_concurrency_limit=CONCURRENCY)
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, *, block: bool = True) -> gr.Blocks:
    """Serve the app on host:port (offline: system fonts, no share link); block=False returns at once."""
    demo = build_app()
    threading.Thread(target=_index_size, daemon=True).start()  # warm the index while the page loads
    if block:
        print(f"rag chat: serving on http://{host}:{port} (Ctrl+C to stop)", flush=True)
    try:
        demo.launch(server_name=host, server_port=port, share=False, prevent_thread_lock=not block, quiet=True,
                    theme=THEME, css=CSS, js=JS, footer_links=["api", "settings"], run_history=False,
                    enable_monitoring=False, ssr_mode=False, pwa=False, mcp_server=False, max_file_size="100mb")
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port} ({exc}); pick another --port") from exc
    return demo
