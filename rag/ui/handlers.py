"""What the chat's events do: answer (streamed, stoppable), conversations, feedback, uploads, library, polling.

A conversation lives in the browser (gr.BrowserState): {"owner": browser id, "id", "turns": [...]}.
A turn holds the question, the answer text, its citations and how it was answered, so a reload
shows the chat and the last sources again. Every handler reads the browser's language from the request.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import gradio as gr

from .. import api
from ..config import Settings
from ..errors import RagError
from ..types import Answer
from .feedback import feedback_record, read_feedback, upsert_feedback
from .i18n import EN, lang_of, t
from .library import (
    deletable,
    filter_choices,
    library_html,
    library_rows,
    rows_in_scope,
    session_scope,
)
from .registry import Registry
from .render import esc, feedback_buttons, message_html, mode_label, refusal_reason, sources_html, status_html
from .uploads import QUEUE, Job, accept_uploads, jobs_html, token_ok

log = logging.getLogger(__name__)
K_MIN, K_MAX = 1, 20
MAX_EXAMPLES = 5
_streams: dict[str, str] = {}  # turn id -> the text streamed so far (what a stop keeps)
_streams_lock = threading.Lock()
# browser id -> (conversation id, finished turns) as its last answer, stop, new chat or load left it.
# A poll draws the status from the conversation as the browser sent it when the poll began; if this
# changed meanwhile, that status is out of date and is not shown.
_conversation_now: OrderedDict[str, tuple[str, int]] = OrderedDict()
_conversation_lock = threading.Lock()
BROWSERS_KEPT = 10_000
STALE_RETRIES = 5


# --- conversation state -----------------------------------------------------------------

def new_conversation_state(owner: str | None = None) -> dict:
    return {"owner": owner or uuid.uuid4().hex, "id": uuid.uuid4().hex[:12], "turns": []}


def _conv(conv: dict | None) -> dict:
    if not isinstance(conv, dict) or not conv.get("owner"):
        return new_conversation_state()
    return {"owner": conv["owner"], "id": conv.get("id") or uuid.uuid4().hex[:12],
            "turns": [dict(turn) for turn in conv.get("turns") or [] if isinstance(turn, dict)]}


def _finished(turns: list[dict]) -> int:
    return sum(1 for turn in turns if turn.get("done"))


def _where(conv: dict) -> tuple[str, int]:
    return conv["id"], _finished(conv["turns"])


def _settle(conv: dict) -> None:
    """Record where this browser's conversation now is (see `_conversation_now`)."""
    with _conversation_lock:
        _conversation_now[conv["owner"]] = _where(conv)
        _conversation_now.move_to_end(conv["owner"])
        while len(_conversation_now) > BROWSERS_KEPT:
            _conversation_now.popitem(last=False)


def _moved_on(conv: dict) -> bool:
    """True if an answer finished, or a new chat began, in this browser since `conv` was sent."""
    with _conversation_lock:
        now = _conversation_now.get(conv["owner"])
    return now is not None and now != _where(conv)


def _last_answer(turns: list[dict]) -> dict | None:
    return next((turn for turn in reversed(turns) if turn.get("done")), None)


def display(turns: list[dict], lang: str) -> list[dict]:
    """Chat messages: the user's question and the answer, both escaped; answers carry 👍/👎."""
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": esc(turn["question"])})
        if not turn.get("done"):
            partial = turn.get("partial")
            content = message_html(partial) if partial else esc(t("pending", lang))
        elif turn.get("ok"):
            markers = {c["marker"] for c in turn.get("citations") or []}
            content = message_html(turn["answer"], markers) + feedback_buttons(turn.get("rating"), lang)
        else:
            content = message_html(turn.get("answer") or "", set())
            if turn.get("stopped"):
                content += ("\n" if turn.get("answer") else "") + esc(t("stopped", lang))
        messages.append({"role": "assistant", "content": content})
    return messages


def _history(turns: list[dict]) -> list[dict]:
    """Earlier answered turns in the messages format `rag.answer` reads (errors and stopped turns left out)."""
    history = []
    for turn in turns:
        if turn.get("ok"):
            history += [{"role": "user", "content": turn["question"]}, {"role": "assistant", "content": turn["answer"]}]
    return history


# --- library and status -------------------------------------------------------------------

def _rows(owner: str | None):
    settings = Settings.from_env()
    try:
        store = api.default_retriever().store
    except RagError as exc:
        log.warning("index not loaded: %s", exc)
        return None, []
    return store, library_rows(store, Registry(settings.index_dir).entries(), owner, settings.corpus_dir)


def _filtered(places, years, reports) -> bool:
    return bool(places or years or reports)


def status(mode: str, conv: dict, lang: str, *, rows=None, filters=(None, None, None), error: str | None = None) -> str:
    settings = Settings.from_env()
    if rows is None:
        _, rows = _rows(conv["owner"])
    index = None
    if rows:
        index = (len({r.source for r in rows}), len(rows), sum(r.chunks for r in rows))
    in_scope = None
    if _filtered(*filters):
        in_scope = len(rows_in_scope(rows, session_scope(rows, *filters)))
    last = _last_answer(conv["turns"])
    label = mode_label(mode, settings.llm_model, settings.llm_configured, last, lang)
    return status_html(mode=label, index=index, scope_reports=in_scope, total_reports=len(rows),
                       last=last if last and last.get("ok") else None, error=error,
                       answers=_finished(conv["turns"]), lang=lang)


def library_updates(rows, filters, lang: str, doomed: str | None = None) -> list:
    """The library table, the three filter dropdowns and the delete choices (keeping what is still valid)."""
    places, years, reports = filter_choices(rows)
    picked = []
    for choices, value in zip((places, years, reports), filters, strict=True):
        valid = {v for _, v in choices}
        picked.append(gr.update(choices=choices, value=[v for v in (value or []) if v in valid]))
    choices = deletable(rows)
    keep = doomed if doomed in {v for _, v in choices} else None
    return [library_html(rows, lang), *picked, gr.update(choices=choices, value=keep)]


@lru_cache(maxsize=1)
def _fixed_refusals() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from ..answering.answerer import NO_LLM_NOTE
    from ..answering.prompts import load_prompts
    prompts = load_prompts()
    return (prompts.refusal(False), prompts.refusal(True)), tuple(NO_LLM_NOTE.values())


def example_questions(rows, lang: str, limit: int = MAX_EXAMPLES) -> list[str]:
    """Questions about the reports this browser sees (their places and years), so examples fit any corpus."""
    from pypinyin import lazy_pinyin
    chosen, seen, firsts = [], set(), []
    rank = {"county": 0, "city": 1, "province": 2, "town": 3}
    for row in sorted(rows, key=lambda r: (rank.get(r.level or "", 4), -(r.year or 0))):
        name = row.place_name
        if not name or row.kind != "work_report" or not row.year or name in seen:
            continue
        seen.add(name)
        firsts.append(row)
        chosen.append(f"{name}{row.year - 1}年地区生产总值是多少?")
    if lang == EN and firsts:
        english = "".join(lazy_pinyin(firsts[0].place_name[:-1])).capitalize()
        chosen.insert(0, f"What was the GDP of {english} in {firsts[0].year - 1}?")
    return chosen[:limit]


# --- events -------------------------------------------------------------------------------

def on_load(conv, mode, request: gr.Request):
    """Page (re)load: a browser id, the stored conversation, its last sources, the library, examples."""
    lang = lang_of(request)
    conv = _conv(conv)
    for turn in conv["turns"]:  # a turn cut off by a reload mid-answer
        if not turn.get("done"):
            turn.update(done=True, ok=False, stopped=True, answer=turn.get("partial") or "")
    _settle(conv)
    QUEUE.touch(conv["owner"])
    _, rows = _rows(conv["owner"])
    filters = (None, None, None)
    examples = [[q] for q in example_questions(rows, lang)]
    return [conv, display(conv["turns"], lang), sources_html(_last_answer(conv["turns"]), api.read_source, lang),
            status(mode, conv, lang, rows=rows), *library_updates(rows, filters, lang),
            gr.update(samples=examples or [[""]], visible=bool(examples)), jobs_html(conv["owner"], lang),
            {"gen": QUEUE.generation, "jobs": None}]


def respond(message: str, conv, k, mode: str, places, years, reports, request: gr.Request):
    """Stream one answer: the question and a placeholder (sources cleared), growing text, the checked answer."""
    lang = lang_of(request)
    question = (message or "").strip()
    conv = _conv(conv)
    if not question:
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    filters = (places, years, reports)
    _, rows = _rows(conv["owner"])
    scope = session_scope(rows, places, years, reports)
    history = _history(conv["turns"])
    turn = {"id": uuid.uuid4().hex[:12], "question": question, "answer": "", "ok": False, "done": False,
            "chosen": mode}
    conv["turns"].append(turn)
    yield display(conv["turns"], lang), sources_html(None, api.read_source, lang, searching=True), gr.skip(), conv, ""
    final: Answer | None = None
    pieces: list[str] = []
    error = None
    try:
        k = max(K_MIN, min(K_MAX, int(k)))
        for item in api.answer(question, k=k, history=history or None, stream=True, mode=mode, scope=scope):
            if isinstance(item, Answer):
                final = item
                continue
            pieces.append(item)
            turn["partial"] = "".join(pieces)
            with _streams_lock:
                _streams[turn["id"]] = turn["partial"]
            yield display(conv["turns"], lang), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    except RagError as exc:
        error = str(exc)
    except Exception as exc:  # never let one question take the session down
        log.exception("answering %r failed", question)
        error = t("internal_error", lang, error=f"{type(exc).__name__}: {exc}")
    finally:
        with _streams_lock:
            _streams.pop(turn["id"], None)
    turn.pop("partial", None)
    turn["done"] = True
    if final is None:
        turn.update(answer=f"⚠ {error}", error=error)
        _settle(conv)
        yield (display(conv["turns"], lang), sources_html(None, api.read_source, lang),
               status(mode, conv, lang, rows=rows, filters=filters, error=error), conv, gr.skip())
        return
    refusals, notes = _fixed_refusals()
    turn.update(answer=final.text, ok=True, refused=final.refused, mode=final.mode, model=final.model,
                warnings=list(final.warnings),
                reason=refusal_reason(final.text, refusals, notes, lang) if final.refused else None,
                citations=[{"marker": c.marker, "source": c.source, "title": c.title, "text": c.text,
                            "start": c.start, "end": c.end, "page": c.page} for c in final.citations])
    _settle(conv)
    yield (display(conv["turns"], lang), sources_html(turn, api.read_source, lang),
           status(mode, conv, lang, rows=rows, filters=filters), conv, gr.skip())


def stop(conv, mode: str, request: gr.Request):
    """Stop the answer being written: keep what was shown, mark it stopped, leave it out of the history."""
    lang = lang_of(request)
    conv = _conv(conv)
    open_turns = [turn for turn in conv["turns"] if not turn.get("done")]
    if not open_turns:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    for turn in open_turns:
        with _streams_lock:
            partial = _streams.pop(turn["id"], None)
        turn.pop("partial", None)
        turn.update(done=True, ok=False, stopped=True, answer=partial or "")
    _settle(conv)
    return (display(conv["turns"], lang), sources_html(None, api.read_source, lang), status(mode, conv, lang),
            conv)


def new_conversation(conv, mode: str, request: gr.Request):
    lang = lang_of(request)
    conv = new_conversation_state(_conv(conv)["owner"])
    _settle(conv)
    return [], sources_html(None, api.read_source, lang), status(mode, conv, lang), conv, "", "", None, \
        gr.update(visible=False)


def action(payload: str, conv, mode: str, request: gr.Request):
    """A click inside app markup (👍/👎 under an answer, cancel on an upload), sent by the page's script."""
    lang = lang_of(request)
    conv = _conv(conv)
    try:
        data = json.loads(payload or "{}")
    except ValueError:
        return [gr.skip()] * 6
    if data.get("op") == "cancel":
        QUEUE.cancel(conv["owner"], data.get("job") or None)
        return *[gr.skip()] * 4, jobs_html(conv["owner"], lang), gr.skip()
    if data.get("op") != "rate" or data.get("rating") not in ("helpful", "wrong"):
        return [gr.skip()] * 6
    index = data.get("index")
    if not isinstance(index, int) or not 0 <= index < len(conv["turns"]) or not conv["turns"][index].get("ok"):
        return gr.skip(), gr.skip(), f'<span class="rag-warning">{t("fb_first", lang)}</span>', *[gr.skip()] * 3
    turn = conv["turns"][index]
    path = Settings.from_env().feedback_file
    try:
        earlier = read_feedback(path, turn["id"]) or {}
        upsert_feedback(path, feedback_record(turn["id"], turn, data["rating"], earlier.get("comment")))
    except OSError as exc:
        return gr.skip(), gr.skip(), f'<span class="rag-error">{esc(t("fb_failed", lang, error=str(exc)))}</span>', \
            *[gr.skip()] * 3
    turn["rating"] = data["rating"]
    rating = ("👍 " + t("helpful", lang)) if data["rating"] == "helpful" else ("👎 " + t("wrong", lang))
    note = f'<span class="rag-fb-note">{esc(t("fb_recorded", lang, n=index + 1, rating=rating))}</span>'
    return display(conv["turns"], lang), conv, note, turn["id"], gr.skip(), gr.update(visible=True)


def send_comment(text: str, target: str | None, conv, request: gr.Request):
    """Add an optional comment to the answer last rated (its one record is rewritten)."""
    lang = lang_of(request)
    conv = _conv(conv)
    turn = next((x for x in conv["turns"] if x.get("id") == target), None)
    if turn is None:
        return f'<span class="rag-warning">{t("fb_first", lang)}</span>', gr.skip()
    path = Settings.from_env().feedback_file
    try:
        upsert_feedback(path, feedback_record(turn["id"], turn, turn.get("rating"), (text or "").strip()))
    except OSError as exc:
        return f'<span class="rag-error">{esc(t("fb_failed", lang, error=str(exc)))}</span>', gr.skip()
    n = conv["turns"].index(turn) + 1
    return f'<span class="rag-fb-note">{esc(t("fb_comment_saved", lang, n=n))}</span>', ""


def upload(files, conv, share: bool, token: str, handled, request: gr.Request):
    """Check the newly added files and queue the good ones for background indexing; never blocks on indexing.

    The widget keeps the files of earlier uploads (it is never cleared, so it is never busy); `handled`
    lists the ones already dealt with, so a later upload, or ticking "share", never touches them.
    """
    lang = lang_of(request)
    conv = _conv(conv)
    done = set(handled or [])
    paths = [Path(item if isinstance(item, str) else getattr(item, "path", None) or item.name) for item in files or []]
    fresh = [p for p in paths if str(p) not in done]
    if paths and not fresh:
        return gr.skip(), gr.skip(), gr.skip()
    paths = fresh
    _, rows = _rows(conv["owner"])
    lines = accept_uploads(paths, conv["owner"], bool(share), token, {r.source for r in rows},
                           Settings.from_env(), lang)
    body = "".join(f"<div>{esc(line)}</div>" for line in lines)
    refused = lines and lines[0] in (t("share_off", lang), t("share_bad", lang))  # nothing was looked at
    handled = sorted(done) if refused else sorted(done | {str(p) for p in paths})
    return f'<div class="rag-upload">{body}</div>', jobs_html(conv["owner"], lang), handled


def delete(name: str | None, token: str, conv, request: gr.Request):
    """Queue the removal of a report: this browser's own upload, or a shared one with the admin token."""
    lang = lang_of(request)
    conv = _conv(conv)
    if not name:
        return f'<div class="rag-upload">{t("del_none", lang)}</div>', gr.skip()
    _, rows = _rows(conv["owner"])
    mine = {r.source for r in rows if r.by == "mine"}
    if name not in {r.source for r in rows}:
        return f'<div class="rag-upload">{t("del_none", lang)}</div>', gr.skip()
    admin = token_ok(Settings.from_env(), token)
    if name not in mine and not admin:
        return f'<div class="rag-upload rag-error">{esc(t("del_token", lang, name=name))}</div>', gr.skip()
    QUEUE.submit(Job(owner=conv["owner"], name=name, kind="delete", everyone=name not in mine))
    return (f'<div class="rag-upload">{esc(t("del_queued", lang, name=name))}</div>',
            jobs_html(conv["owner"], lang))


def poll(conv, seen, mode: str, places, years, reports, doomed, request: gr.Request):
    """Every second: this browser's job lines; after any change of the index, its library and status.

    The status is left as it is when the conversation moved on while the library was read (an answer
    finished meanwhile shows the newer status); the next ticks draw it again from the newer conversation.
    """
    lang = lang_of(request)
    conv = _conv(conv)
    QUEUE.touch(conv["owner"])
    seen = dict(seen or {})
    jobs = jobs_html(conv["owner"], lang)
    jobs_out = jobs if jobs != seen.get("jobs") else gr.skip()
    seen["jobs"] = jobs
    generation = QUEUE.generation  # read before the library: a change during the read is drawn next tick
    if seen.get("gen") == generation:
        return [jobs_out, *[gr.skip()] * 6, seen]
    _, rows = _rows(conv["owner"])
    filters = (places, years, reports)
    library = library_updates(rows, filters, lang, doomed)
    line = status(mode, conv, lang, rows=rows, filters=filters)
    if _moved_on(conv) and seen.get("stale", 0) < STALE_RETRIES:
        seen["stale"] = seen.get("stale", 0) + 1
        return [jobs_out, *library, gr.skip(), seen]
    seen.update(gen=generation, stale=0)
    return [jobs_out, *library, line, seen]


def refresh_status(mode: str, conv, places, years, reports, request: gr.Request) -> str:
    conv = _conv(conv)
    return status(mode, conv, lang_of(request), filters=(places, years, reports))


def clamp_k(k):
    """The typed number of passages, kept inside the slider's range; the box and the slider both show it."""
    try:
        value = int(round(float(k)))
    except (TypeError, ValueError):
        value = 5
    clamped = max(K_MIN, min(K_MAX, value))
    return clamped, clamped
