"""The chat page: layout, event wiring and launch. What events do is in `handlers`."""
from __future__ import annotations

import os
import secrets
import threading

import gradio as gr

from .. import api
from ..config import Settings
from ..errors import ConfigError
from ..ingest.loaders import LOADERS
from . import handlers as h
from .assets import COPY_JS, CSS, JS
from .i18n import gr_i18n

CONCURRENCY = 4
STORAGE_KEY = "rag-conversation"

THEME = gr.themes.Default(
    font=["system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
          "WenQuanYi Micro Hei", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Noto Sans Mono CJK SC", "monospace"],
)


def browser_secret(settings: Settings) -> str:
    """The key the browser-stored conversation is sealed with; kept beside the index so restarts keep it."""
    path = settings.index_dir / ".ui-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = secrets.token_hex(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        return value
    except OSError:
        return secrets.token_hex(32)  # read-only index dir: conversations last until the server restarts


def build_app() -> gr.Blocks:
    """The Blocks app with its queue enabled; `launch()` serves it (theme, CSS, JS and i18n live there)."""
    i18n = gr_i18n()
    settings = Settings.from_env()
    with gr.Blocks(title="政府工作报告问答", analytics_enabled=False) as demo:
        conv = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=browser_secret(settings))
        seen = gr.State({"gen": -1, "jobs": None})
        target = gr.State(None)  # the answer the comment box is about
        handled = gr.State([])  # upload widget files already checked and queued
        gr.Markdown(i18n("title"), elem_id="rag-title")
        status = gr.HTML(elem_id="rag-status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                chatbot = gr.Chatbot(elem_id="rag-chat", label=i18n("chat"), height=480, buttons=[],
                                     render_markdown=False, sanitize_html=True, latex_delimiters=[],
                                     feedback_options=None, placeholder=i18n("chat_placeholder"))
                with gr.Row(equal_height=True):
                    question = gr.Textbox(label=i18n("question"), show_label=False, placeholder=i18n("question_placeholder"), scale=5,
                                          elem_id="rag-question", autofocus=True, max_lines=6, min_width=140)
                    ask = gr.Button(i18n("ask"), variant="primary", scale=1, min_width=64, elem_id="rag-ask")
                    stop = gr.Button(i18n("stop"), variant="stop", scale=1, min_width=64, elem_id="rag-stop")
                with gr.Row():
                    new_btn = gr.Button(i18n("new_conversation"), size="sm", elem_id="rag-new")
                    copy_btn = gr.Button(i18n("copy"), size="sm", elem_id="rag-copy")
                feedback_note = gr.HTML(elem_id="rag-feedback")
                with gr.Row(equal_height=True, visible=False, elem_id="rag-comment-row") as comment_row:
                    comment = gr.Textbox(label=i18n("comment"), scale=5, elem_id="rag-comment", max_lines=3)
                    comment_btn = gr.Button(i18n("comment_send"), size="sm", scale=1, min_width=80,
                                            elem_id="rag-comment-send")
                examples = gr.Dataset(components=[question], samples=[[""]], label=i18n("examples"),
                                      elem_id="rag-examples", visible=False)
            with gr.Column(scale=2, min_width=300):
                gr.Markdown(i18n("sources"))
                sources = gr.HTML(elem_id="rag-sources")
                with gr.Accordion(i18n("library"), open=False, elem_id="rag-library-panel"):
                    library = gr.HTML(elem_id="rag-library")
                    places = gr.Dropdown([], multiselect=True, label=i18n("filter_places"), info=i18n("filter_info"),
                                         elem_id="rag-filter-places")
                    years = gr.Dropdown([], multiselect=True, label=i18n("filter_years"), elem_id="rag-filter-years")
                    reports = gr.Dropdown([], multiselect=True, label=i18n("filter_reports"),
                                          elem_id="rag-filter-reports")
                    with gr.Row(equal_height=True):
                        doomed = gr.Dropdown([], label=i18n("delete_pick"), scale=3, elem_id="rag-delete-pick")
                        delete_btn = gr.Button(i18n("delete"), variant="stop", size="sm", scale=1, min_width=80,
                                               elem_id="rag-delete")
                with gr.Accordion(i18n("add_reports"), open=True, elem_id="rag-add"):
                    upload = gr.File(label=i18n("upload"), file_count="multiple", file_types=list(LOADERS),
                                     type="filepath", elem_id="rag-upload")
                    share = gr.Checkbox(False, label=i18n("share"), elem_id="rag-share")
                    token = gr.Textbox(label=i18n("admin_token"), type="password", elem_id="rag-token",
                                       max_lines=1)
                    upload_note = gr.HTML(elem_id="rag-upload-status")
                    jobs = gr.HTML(elem_id="rag-jobs")
                with gr.Accordion(i18n("settings"), open=False, elem_id="rag-settings"):
                    k_box = gr.Number(5, precision=0, label=i18n("k"), elem_id="rag-k-box")
                    k = gr.Slider(h.K_MIN, h.K_MAX, value=5, step=1, label=i18n("k"), show_label=False,
                                  elem_id="rag-k")  # its own number box is hidden (CSS): k_box is the one box
                    mode = gr.Radio([(i18n("mode_auto"), "auto"), (i18n("mode_llm"), "llm"),
                                     (i18n("mode_extractive"), "extractive")], value="auto", label=i18n("mode"),
                                    info=i18n("mode_info"), elem_id="rag-mode")
        action_box = gr.Textbox(label=i18n("question"), elem_id="rag-action", elem_classes=["rag-hidden"],
                                show_label=False)
        action_go = gr.Button("go", elem_id="rag-action-go", elem_classes=["rag-hidden"])
        timer = gr.Timer(1.0)

        filters = [places, years, reports]
        library_outputs = [library, places, years, reports, doomed]
        answer_outputs = [chatbot, sources, status, conv, question]
        answer_inputs = [question, conv, k, mode, *filters]
        quiet = {"show_progress": "hidden"}  # the chat shows its own progress, in the page's language
        asked = [question.submit(h.respond, answer_inputs, answer_outputs, **quiet),
                 ask.click(h.respond, answer_inputs, answer_outputs, **quiet)]
        stop.click(h.stop, [conv, mode], [chatbot, sources, status, conv], cancels=asked, **quiet)
        new_outputs = [chatbot, sources, status, conv, question, feedback_note, target, comment_row]
        new_btn.click(h.new_conversation, [conv, mode], new_outputs, cancels=asked, **quiet)
        chatbot.clear(h.new_conversation, [conv, mode], new_outputs, cancels=asked, **quiet)  # its 🗑 icon
        copy_btn.click(None, None, None, js=COPY_JS)
        action_go.click(h.action, [action_box, conv, mode], [chatbot, conv, feedback_note, target, jobs, comment_row],
                        concurrency_limit=None, **quiet)
        comment_btn.click(h.send_comment, [comment, target, conv], [feedback_note, comment], **quiet)
        comment.submit(h.send_comment, [comment, target, conv], [feedback_note, comment], **quiet)
        examples.click(lambda sample: sample[0] if sample else "", [examples], [question])
        # The file widget is not an output: it is never busy, so files dropped meanwhile are not lost.
        # "always_last": files added while a check runs are checked right after it (the default, "once",
        # would drop that upload event).
        upload.upload(h.upload, [upload, conv, share, token, handled], [upload_note, jobs, handled],
                      concurrency_limit=None, trigger_mode="always_last", **quiet)
        delete_btn.click(h.delete, [doomed, token, conv], [upload_note, jobs], concurrency_limit=None, **quiet)
        timer.tick(h.poll, [conv, seen, mode, *filters, doomed], [jobs, *library_outputs, status, seen],
                   concurrency_limit=None, **quiet)
        for typed in (k_box.submit, k_box.blur):
            typed(h.clamp_k, [k_box], [k_box, k], **quiet)
        k.input(lambda value: value, [k], [k_box], **quiet)
        for control in (mode, *filters):
            control.change(h.refresh_status, [mode, conv, *filters], [status], **quiet)
        demo.load(h.on_load, [conv, mode], [conv, chatbot, sources, status, *library_outputs, examples, jobs, seen],
                  **quiet)
    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.i18n_for_launch = i18n
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, *, block: bool = True) -> gr.Blocks:
    """Serve the app on host:port (offline: system fonts, no share link); block=False returns at once."""
    demo = build_app()
    threading.Thread(target=_warm, daemon=True).start()  # load the index while the page loads
    if block:
        print(f"rag chat: serving on http://{host}:{port} (Ctrl+C to stop)", flush=True)
    try:
        demo.launch(server_name=host, server_port=port, share=False, prevent_thread_lock=not block, quiet=True,
                    theme=THEME, css=CSS, js=JS, footer_links=[], run_history=False, i18n=demo.i18n_for_launch,
                    enable_monitoring=False, ssr_mode=False, pwa=False, mcp_server=False, max_file_size="100mb")
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port} ({exc}); pick another --port") from exc
    return demo


def _warm() -> None:
    try:
        api.default_retriever()
    except Exception:  # noqa: BLE001 - the page shows "index not loaded" and the reason
        pass
