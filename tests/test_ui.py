"""Browser tests of `rag chat`: Playwright drives Debian's Chromium against the app served in-process.

The app runs on copies of the real index and corpus in a temporary directory (uploads land there,
never in data/reports or vectorstore/); every request to a host other than 127.0.0.1/localhost is
aborted and fails the test. Browser contexts are in zh-CN unless a test says otherwise. Set
RAG_SCREENSHOT_DIR=docs to also refresh the README screenshots.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HAIZHU_2023 = "海珠区2023年地区生产总值是多少?"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 90_000
ADMIN_TOKEN = "admin-token-for-tests"

expect.set_options(timeout=TIMEOUT_MS)

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def town_report(town: str, gdp: str, extra: str = "") -> str:
    """A small report in the shape of a real town work report (a few chunks: fast to embed)."""
    return (f"2023年{town}政府工作报告\n——2023年1月10日在{town}第一届人民代表大会第三次会议上\n各位代表:\n"
            f"现在,我代表{town}人民政府,向大会报告工作,请予审议。\n一、2022年工作回顾\n"
            f"过去一年,{town}经济运行稳中向好。{town}2022年实现地区生产总值{gdp}亿元{extra},同比增长5.1%。"
            "规模以上工业增加值增长6.2%,固定资产投资增长8.3%。\n二、2023年工作安排\n"
            f"2023年,{town}将继续推动高质量发展,地区生产总值预期增长6%。\n")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The UI on a free 127.0.0.1 port over copies of vectorstore/ and data/reports/, extractive mode."""
    import rag
    tmp = tmp_path_factory.mktemp("ui")
    shutil.copytree(ROOT / "vectorstore", tmp / "vectorstore")
    shutil.copytree(ROOT / "data" / "reports", tmp / "reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_INDEX_DIR", str(tmp / "vectorstore"))
        mp.setenv("RAG_CORPUS_DIR", str(tmp / "reports"))
        mp.setenv("RAG_FEEDBACK_FILE", str(tmp / "feedback.jsonl"))
        mp.setenv("RAG_ADMIN_TOKEN", ADMIN_TOKEN)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "RAG_LLM_MODEL", "RAG_MAX_FILE_MB"):
            mp.delenv(name, raising=False)
        rag.reload_index()
        from rag.ui import launch
        port = _free_port()
        demo = launch("127.0.0.1", port, block=False)
        try:
            yield {"url": f"http://127.0.0.1:{port}/", "dir": tmp}
        finally:
            from rag.ui.uploads import QUEUE
            QUEUE.wait_idle(120)
            demo.close()
            rag.reload_index()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One browser context (= one user: own storage, own uploads) whose external requests are aborted."""

    def __init__(self, browser, url: str, viewport=None, locale: str = "zh-CN"):
        self.url = url
        self.external: list[str] = []
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale=locale)
        self.context.route("**/*", self._guard)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.open()

    def open(self) -> None:
        self.page.goto(self.url)
        expect(self.page.locator("#rag-status .rag-status .rag-index")).to_have_count(1)

    def _guard(self, route):
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def answers(self) -> int:
        return int(self.page.locator("#rag-status .rag-status").get_attribute("data-answers"))

    def ask(self, question: str) -> str:
        """Ask and wait for the final answer; returns the text of the last bot message."""
        before = self.answers()
        self.page.locator("#rag-question textarea").fill(question)
        self.page.locator("#rag-ask").click()
        expect(self.page.locator(f'#rag-status .rag-status[data-answers="{before + 1}"]')).to_have_count(1)
        return self.last_bot()

    def last_bot(self) -> str:
        return self.page.locator('#rag-chat [data-testid="bot"]').last.inner_text()

    def upload(self, *paths: Path, share: bool = False, token: str = "", wait: bool = True) -> None:
        self.page.locator("#rag-share input").set_checked(share)
        self.page.locator("#rag-token input").fill(token)
        self.page.locator("#rag-upload input[type=file]").set_input_files([str(p) for p in paths])
        if wait:
            for path in paths:
                self.wait_job(path.name, "done")

    def wait_job(self, name: str, state: str, timeout: int = 180_000) -> None:
        expect(self.page.locator(f".rag-job-{state}", has_text=name).first).to_be_visible(timeout=timeout)

    def open_panel(self, elem_id: str) -> None:
        panel = self.page.locator(f"#{elem_id}")
        button = panel.locator("button.label-wrap").first
        if "open" not in (button.get_attribute("class") or ""):
            button.click()

    def pick(self, elem_id: str, text: str) -> None:
        """Choose the option containing `text` in a Gradio dropdown."""
        box = self.page.locator(f"#{elem_id} input").first
        box.click()
        box.fill(text)
        self.page.locator(f"#{elem_id} ul.option-list li", has_text=text).first.click()
        self.page.keyboard.press("Escape")

    def close(self) -> None:
        self.context.close()
        assert self.external == [], f"requests left 127.0.0.1: {self.external}"


@pytest.fixture
def session(app, browser):
    opened = Session(browser, app["url"])
    yield opened
    opened.close()


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- answering ------------------------------------------------------------------------------

def test_answer_streams_with_sources_and_status(session):
    page = session.page
    page.evaluate("""() => {
        window.__snapshots = [];
        const chat = document.querySelector('#rag-chat');
        new MutationObserver(() => {
            const bots = chat.querySelectorAll('[data-testid="bot"]');
            if (bots.length) window.__snapshots.push(bots[bots.length - 1].innerText);
        }).observe(chat, {childList: true, subtree: true, characterData: true});
    }""")
    text = session.ask(HAIZHU_2023)
    assert "2720.16" in text and "[1]" in text
    snapshots = [s for s in page.evaluate("window.__snapshots") if s.strip()]
    partial = [s for s in snapshots if "2720.16" not in s]  # the placeholder, then text streaming in
    assert partial, f"no intermediate state seen: {snapshots[:5]}"
    assert partial[0].startswith("⏳")
    assert "2720.16" in snapshots[-1]
    sources = page.locator("#rag-sources")
    expect(sources).to_contain_text("海珠区2024年政府工作报告")
    expect(sources).to_contain_text("003_affd64f63b1a618d.txt")
    expect(sources.locator("mark.num", has_text="2720.16").first).to_be_visible()
    expect(page.locator("#rag-status")).to_contain_text("原文摘录：未配置大语言模型")


def test_source_click_shows_wider_context_and_marker_previews(session):
    import rag
    page = session.page
    session.ask(HAIZHU_2023)
    card = page.locator("#source-1")
    context = card.locator(".rag-context")
    expect(context).to_be_hidden()
    card.locator("summary").click()
    expect(context).to_be_visible()
    meta = card.locator(".rag-meta").inner_text()
    name = meta.split(" · ")[0]
    start, end = map(int, re.search(r"字符 (\d+)–(\d+)", meta).groups())
    original = rag.read_source(name)
    shown = _compact(context.inner_text())
    assert _compact(original[start - 120:start]) in shown  # text before the excerpt
    assert _compact(original[end:end + 120]) in shown  # and after it
    # Hovering a marker in the chat previews its source (title and excerpt) without leaving the answer.
    marker = page.locator('#rag-chat a.rag-cite[href="#source-1"]').last
    marker.hover()
    tip = page.locator("#rag-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("海珠区2024年政府工作报告")
    expect(tip).to_contain_text("2720.16")
    page.mouse.move(5, 5)
    expect(tip).to_be_hidden()


def test_sources_clear_when_a_new_question_is_asked(session):
    page = session.page
    session.ask(HAIZHU_2023)
    expect(page.locator("#rag-sources")).to_contain_text("海珠区2024年政府工作报告")
    page.evaluate("""() => {
        window.__sources = [];
        const panel = document.querySelector('#rag-sources');
        new MutationObserver(() => window.__sources.push(panel.innerText))
            .observe(panel, {childList: true, subtree: true, characterData: true});
    }""")
    session.ask("天河区2020年地区生产总值是多少?")
    seen = page.evaluate("window.__sources")
    assert any("正在检索报告" in s and "海珠区2024年政府工作报告" not in s for s in seen), seen[:3]
    expect(page.locator("#rag-sources")).not_to_contain_text("海珠区2024年政府工作报告")
    expect(page.locator("#rag-sources")).to_contain_text("天河区")


def test_follow_up_uses_history_and_new_conversation_forgets_it(session):
    session.ask(HAIZHU_2023)
    text = session.ask("那2019年呢?")
    assert "1935.12" in text
    expect(session.page.locator("#rag-sources")).to_contain_text("海珠区2020年政府工作报告")
    session.page.locator("#rag-new").click()
    expect(session.page.locator('#rag-status .rag-status[data-answers="0"]')).to_have_count(1)
    expect(session.page.locator('#rag-chat [data-testid="user"]')).to_have_count(0)
    expect(session.page.locator("#rag-sources")).not_to_contain_text("海珠区2020年政府工作报告")


def test_reload_keeps_the_conversation_until_a_new_one(app, browser):
    one = Session(browser, app["url"])
    two = Session(browser, app["url"])
    try:
        one.ask(HAIZHU_2023)
        one.ask("天河区2020年地区生产总值是多少?")
        one.page.reload()
        expect(one.page.locator('#rag-status .rag-status[data-answers="2"]')).to_have_count(1)
        expect(one.page.locator('#rag-chat [data-testid="user"]')).to_have_count(2)
        chat = one.page.locator("#rag-chat").inner_text()
        assert HAIZHU_2023 in chat and "2720.16" in chat and "5312.8" in chat
        expect(one.page.locator("#rag-sources")).to_contain_text("天河区")  # the last answer's sources are back
        # Another browser has its own, empty conversation.
        expect(two.page.locator('#rag-chat [data-testid="user"]')).to_have_count(0)
        one.page.locator("#rag-new").click()
        expect(one.page.locator('#rag-chat [data-testid="user"]')).to_have_count(0)
        one.page.reload()
        expect(one.page.locator("#rag-status .rag-status .rag-index")).to_have_count(1)
        time.sleep(1)
        expect(one.page.locator('#rag-chat [data-testid="user"]')).to_have_count(0)
    finally:
        one.close()
        two.close()


def test_follow_up_after_reload_reads_the_stored_history(app, browser):
    one = Session(browser, app["url"])
    try:
        one.ask(HAIZHU_2023)
        one.page.reload()
        expect(one.page.locator('#rag-status .rag-status[data-answers="1"]')).to_have_count(1)
        assert "1935.12" in one.ask("那2019年呢?")
    finally:
        one.close()


def test_a_slow_library_refresh_never_turns_the_status_back(app, browser, monkeypatch):
    """The 1-second poll refreshes library and status after an index change; when that refresh is slow
    (a big library), an answer finished meanwhile must keep its status (answer count, mode, refusal)."""
    from rag.ui import handlers
    from rag.ui.uploads import QUEUE
    one = Session(browser, app["url"])
    try:
        one.ask(HAIZHU_2023)
        original = handlers.library_updates

        def slow(*args, **kwargs):
            time.sleep(4.0)
            return original(*args, **kwargs)
        monkeypatch.setattr(handlers, "library_updates", slow)
        QUEUE.generation += 1  # as after an upload: the next poll refreshes the library
        time.sleep(1.5)  # that poll has read the conversation (one answer) and is in its slow refresh
        one.ask("天河区2020年地区生产总值是多少?")
        time.sleep(4.0)  # the poll has returned
        expect(one.page.locator('#rag-status .rag-status[data-answers="2"]')).to_have_count(1, timeout=1000)
        QUEUE.generation += 1  # the same with a new conversation begun during the slow refresh
        time.sleep(1.5)
        one.page.locator("#rag-new").click()
        time.sleep(4.0)
        expect(one.page.locator('#rag-status .rag-status[data-answers="0"]')).to_have_count(1, timeout=1000)
        expect(one.page.locator("#rag-status .rag-refused")).to_have_count(0)
        expect(one.page.locator("#rag-status .rag-index")).to_have_count(1)  # drawn again once the chat settled
    finally:
        one.close()


def test_two_sessions_see_only_their_own_answers(app, browser):
    one, two = Session(browser, app["url"]), Session(browser, app["url"])
    try:
        jobs = [(one, HAIZHU_2023, "2720.16"), (two, "天河区2020年地区生产总值是多少?", "5312.8")]
        for s, question, _ in jobs:
            s.page.locator("#rag-question textarea").fill(question)
        for s, _, _ in jobs:
            s.page.locator("#rag-ask").click()
        for s, _, _ in jobs:
            expect(s.page.locator('#rag-status .rag-status[data-answers="1"]')).to_have_count(1)
        for (s, question, number), (_, other_question, other_number) in zip(jobs, reversed(jobs), strict=True):
            chat = s.page.locator("#rag-chat").inner_text()
            assert question in chat and number in chat
            assert other_question not in chat and other_number not in chat
            assert s.page.locator('#rag-chat [data-testid="user"]').count() == 1
    finally:
        one.close()
        two.close()


class SlowLLM(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that streams its answer one character every 0.3 s."""

    requests: list[str] = []
    sent: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        SlowLLM.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for piece in list("答：海珠区2023年地区生产总值为2720.16亿元[1]。") * 4:
                chunk = {"id": "slow", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()
                SlowLLM.sent.append(piece)
                time.sleep(0.3)
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_stop_works_mid_answer(session, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    monkeypatch.setenv("RAG_LLM_MODEL", "slow")
    page = session.page
    try:
        page.locator("#rag-question textarea").fill(HAIZHU_2023)
        page.locator("#rag-ask").click()
        bot = page.locator('#rag-chat [data-testid="bot"]').last
        expect(bot).to_contain_text("海珠区", timeout=60_000)  # the model's text is streaming in
        page.locator("#rag-stop").click()
        expect(bot).to_contain_text("（已停止）")
        shown = bot.inner_text()
        time.sleep(2.5)  # the model would have sent 8 more characters by now
        assert bot.inner_text() == shown
        assert len(shown.replace("（已停止）", "").strip()) < len("答：海珠区2023年地区生产总值为2720.16亿元[1]。") * 4
        expect(page.locator('#rag-status .rag-status[data-answers="1"]')).to_have_count(1)
        assert SlowLLM.requests == ["/v1/chat/completions"]
        monkeypatch.delenv("RAG_LLM_MODEL")
        assert "2720.16" in session.ask(HAIZHU_2023)  # the chat goes on; the stopped turn is not history
    finally:
        server.shutdown()


def test_refusal_reason_and_honest_mode_messages(session):
    page = session.page
    text = session.ask("海珠区2022年地区生产总值是多少?")
    assert "根据现有报告无法回答这个问题" in text
    refused = page.locator("#rag-status .rag-refused")
    expect(refused).to_contain_text("⛔ 拒答：")
    expect(refused).to_contain_text("不涉及2022年")
    session.open_panel("rag-settings")
    page.locator("#rag-mode label", has_text="大语言模型").click()
    expect(page.locator("#rag-status")).to_contain_text("选择了大语言模型，但服务器未配置")
    session.ask(HAIZHU_2023)
    status = page.locator("#rag-status").inner_text()
    assert "选择了大语言模型，但服务器未配置" in status and "失败" not in status


def test_k_box_and_slider_stay_in_sync(session):
    page = session.page
    session.open_panel("rag-settings")
    box = page.locator("#rag-k-box input")
    for attempt in range(3):  # the page's own load event may still reset the box to its default once
        box.fill("50")
        box.press("Enter")
        try:
            expect(box).to_have_value("20", timeout=15000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    expect(page.locator("#rag-k input[type=range]")).to_have_value("20")
    box.fill("3")
    box.press("Enter")
    expect(page.locator("#rag-k input[type=range]")).to_have_value("3")


def test_feedback_one_record_per_answer_last_click_wins(session, app):
    path = app["dir"] / "feedback.jsonl"
    page = session.page

    def records() -> list[dict]:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    before = len(records())
    session.ask(HAIZHU_2023)
    bot = page.locator('#rag-chat [data-testid="bot"]').last
    bot.locator(".rag-fb-up").click()
    expect(page.locator("#rag-feedback")).to_contain_text("第 1 条回答")
    expect(bot.locator(".rag-fb-up.rag-fb-on")).to_have_count(1)
    bot.locator(".rag-fb-down").click()
    expect(bot.locator(".rag-fb-down.rag-fb-on")).to_have_count(1)
    expect(bot.locator(".rag-fb-up.rag-fb-on")).to_have_count(0)
    page.locator("#rag-comment textarea").fill("数字对，但想看增速的出处")
    page.locator("#rag-comment-send").click()
    expect(page.locator("#rag-feedback")).to_contain_text("已保存")
    mine = records()[before:]
    assert len(mine) == 1, mine
    record = mine[0]
    assert record["question"] == HAIZHU_2023 and record["rating"] == "wrong"
    assert record["comment"] == "数字对，但想看增速的出处"
    assert "2720.16" in record["answer"] and record["timestamp"] and record["answer_id"]
    assert record["citations"][0]["source"] == "003_affd64f63b1a618d.txt"
    assert {"source", "start", "end", "title"} <= set(record["citations"][0])
    session.ask("天河区2020年地区生产总值是多少?")
    page.locator('#rag-chat [data-testid="bot"]').last.locator(".rag-fb-up").click()
    expect(page.locator("#rag-feedback")).to_contain_text("第 2 条回答")
    mine = records()[before:]
    assert [r["rating"] for r in mine] == ["wrong", "helpful"]
    assert len({r["answer_id"] for r in mine}) == 2


# --- plain text -------------------------------------------------------------------------------

class Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        Counter.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_report_markup_is_shown_as_text_and_fetches_nothing(session, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        markup = (f"[链接](http://127.0.0.1:{port}/link)**加粗**<img src=http://127.0.0.1:{port}/img>"
                  f"![](http://127.0.0.1:{port}/md)")
        report = tmp_path / "2023年标记镇政府工作报告.txt"
        report.write_text(town_report("标记镇", "66.77", extra=markup), encoding="utf-8")
        session.upload(report)
        page = session.page
        text = session.ask("标记镇2022年地区生产总值是多少?")
        assert "66.77" in text
        bot = page.locator('#rag-chat [data-testid="bot"]').last
        assert f"<img src=http://127.0.0.1:{port}/img>" in text  # verbatim, as the report has it
        assert f"[链接](http://127.0.0.1:{port}/link)**加粗**" in text
        expect(bot.locator("img")).to_have_count(0)
        assert bot.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))") == \
            [f"#source-{n}" for n in re.findall(r"\[(\d+)\]", text)]  # only the app's citation links
        card = page.locator("#rag-sources details", has_text="标记镇").first
        card.locator("summary").click()
        expect(card.locator(".rag-context")).to_contain_text(f"<img src=http://127.0.0.1:{port}/img>"
                                                             f"![](http://127.0.0.1:{port}/md)")
        expect(page.locator("#rag-sources img")).to_have_count(0)
        session.open_panel("rag-library-panel")
        expect(page.locator("#rag-library")).to_contain_text("标记镇")
        time.sleep(1.0)
        assert Counter.hits == []
    finally:
        server.shutdown()


# --- uploads and the library ---------------------------------------------------------------------

def test_upload_is_private_unless_shared_with_the_token(app, browser, tmp_path):
    alice, bob = Session(browser, app["url"]), Session(browser, app["url"])
    try:
        private = tmp_path / "2023年私有镇政府工作报告.txt"
        private.write_text(town_report("私有镇", "123.45"), encoding="utf-8")
        alice.upload(private)
        assert (app["dir"] / "reports" / private.name).exists()
        assert "123.45" in alice.ask("私有镇2022年地区生产总值是多少?")
        expect(alice.page.locator("#rag-sources")).to_contain_text("私有镇")
        alice.open_panel("rag-library-panel")
        row = alice.page.locator("#rag-library tr", has_text=private.name)
        expect(row).to_contain_text("我的上传（仅自己可见）")
        # Bob's answers, library and counts do not include Alice's upload.
        assert "123.45" not in bob.ask("私有镇2022年地区生产总值是多少?")
        bob.open_panel("rag-library-panel")
        expect(bob.page.locator("#rag-library")).to_contain_text("海珠区2024年政府工作报告")
        expect(bob.page.locator("#rag-library")).not_to_contain_text(private.name)
        alice_index = alice.page.locator("#rag-status .rag-index").inner_text()
        bob_index = bob.page.locator("#rag-status .rag-index").inner_text()
        assert alice_index != bob_index and "5 个文件" in bob_index and "6 个文件" in alice_index

        shared = tmp_path / "2023年共享镇政府工作报告.txt"
        shared.write_text(town_report("共享镇", "234.56"), encoding="utf-8")
        alice.upload(shared, share=True, token="wrong", wait=False)
        expect(alice.page.locator("#rag-upload-status")).to_contain_text("管理员口令不正确")
        assert not (app["dir"] / "reports" / shared.name).exists()
        alice.upload(shared, share=True, token=ADMIN_TOKEN)
        assert "234.56" in bob.ask("共享镇2022年地区生产总值是多少?")
        expect(bob.page.locator("#rag-library tr", has_text=shared.name)).to_contain_text("共享上传")
        expect(bob.page.locator("#rag-status .rag-index")).to_contain_text("6 个文件")  # refreshed by itself
        expect(bob.page.locator("#rag-library")).not_to_contain_text(private.name)  # sharing one shares no other
        assert "123.45" not in bob.ask("私有镇2022年地区生产总值是多少?")
    finally:
        alice.close()
        bob.close()


def test_delete_removes_a_report_from_answers(app, browser, tmp_path):
    owner, other = Session(browser, app["url"]), Session(browser, app["url"])
    try:
        report = tmp_path / "2023年删除镇政府工作报告.txt"
        report.write_text(town_report("删除镇", "345.67"), encoding="utf-8")
        owner.upload(report)
        assert "345.67" in owner.ask("删除镇2022年地区生产总值是多少?")
        owner.open_panel("rag-library-panel")
        owner.pick("rag-delete-pick", report.name)
        owner.page.locator("#rag-delete").click()
        deleted = owner.page.locator(".rag-job-done", has_text=report.name).filter(has_text="已删除")
        expect(deleted).to_have_count(1, timeout=180_000)
        assert not (app["dir"] / "reports" / report.name).exists()
        expect(owner.page.locator("#rag-library")).not_to_contain_text(report.name)
        assert "345.67" not in owner.ask("删除镇2022年地区生产总值是多少?")
        # A shared sample report cannot be deleted without the admin token.
        other.open_panel("rag-library-panel")
        other.pick("rag-delete-pick", "003_affd64f63b1a618d.txt")
        other.page.locator("#rag-delete").click()
        expect(other.page.locator("#rag-upload-status")).to_contain_text("需要正确的管理员口令")
        assert (app["dir"] / "reports" / "003_affd64f63b1a618d.txt").exists()
        assert "2720.16" in other.ask(HAIZHU_2023)
    finally:
        owner.close()
        other.close()


def test_library_filter_limits_the_next_questions(session):
    page = session.page
    session.open_panel("rag-library-panel")
    library = page.locator("#rag-library")
    row = library.locator("tr", has_text="海珠区2024年政府工作报告")
    expect(row).to_contain_text("共享样本")
    expect(row).to_contain_text("2024")
    expect(row).to_contain_text("政府工作报告")
    session.pick("rag-filter-places", "天河区")
    expect(page.locator("#rag-status .rag-scope")).to_contain_text(re.compile(r"范围：\d+ 份报告"))
    text = session.ask(HAIZHU_2023)
    assert "2720.16" not in text
    expect(page.locator("#rag-status .rag-refused")).to_contain_text("⛔ 拒答")
    assert "5312.8" in session.ask("天河区2020年地区生产总值是多少?")
    page.locator("#rag-filter-places .token-remove, #rag-filter-places [aria-label*='移除'], "
                 "#rag-filter-places .token button").first.click()
    expect(page.locator("#rag-status .rag-scope")).to_contain_text("全部")
    assert "2720.16" in session.ask(HAIZHU_2023)


def test_big_upload_refused_and_indexing_cancellable_while_others_get_answers(app, browser, tmp_path):
    uploader, reader = Session(browser, app["url"]), Session(browser, app["url"])
    try:
        big = tmp_path / "2023年超大镇政府工作报告.txt"
        line = "过去一年,超大镇经济运行稳中向好,地区生产总值稳步增长,民生福祉持续改善。\n"
        with open(big, "w", encoding="utf-8") as handle:
            handle.write(line * (20 * 2**20 // len(line.encode("utf-8")) + 1))
        assert big.stat().st_size >= 20 * 2**20
        uploader.upload(big, wait=False)
        note = uploader.page.locator("#rag-upload-status")
        expect(note).to_contain_text(big.name)
        expect(note).to_contain_text("20.0 MB")
        expect(note).to_contain_text("5.0 MB")
        assert not (app["dir"] / "reports" / big.name).exists()

        # A 60 KB report (~200 chunks) indexes in the background; two small ones queue behind it.
        long_report = tmp_path / "2023年长篇镇政府工作报告.txt"
        body = "".join(f"第{i}项：长篇镇推进重点项目{i}个，完成投资{i * 1.7:.2f}亿元，带动就业{i * 13}人，"
                       f"同比增长{i % 9 + 1}.{i % 7}%。\n" for i in range(1, 900))
        long_report.write_text(town_report("长篇镇", "456.78") + body, encoding="utf-8")
        small = [tmp_path / f"2023年{town}政府工作报告.txt" for town in ("排队一镇", "排队二镇")]
        for path, gdp in zip(small, ("11.11", "22.22"), strict=True):
            path.write_text(town_report(path.name[5:-10], gdp), encoding="utf-8")
        from rag import api
        generation = api.default_retriever().store.manifest.generation
        uploader.upload(long_report, wait=False)
        uploader.upload(*small, wait=False)  # at once, while the first is being checked
        expect(note).to_contain_text(f"{small[1].name}：已加入索引队列")
        expect(uploader.page.locator(".rag-job-queued", has_text=small[0].name)).to_be_visible()
        running = uploader.page.locator(".rag-job-running", has_text=long_report.name)
        expect(running).to_contain_text(re.compile(r"正在索引：\d+/\d+ 个片段"))
        expect(running.locator("progress")).to_be_visible()
        assert "2720.16" in reader.ask(HAIZHU_2023)  # answered from the last complete index meanwhile
        running.locator(".rag-cancel").click()
        uploader.wait_job(long_report.name, "cancelled")
        assert not (app["dir"] / "reports" / long_report.name).exists()
        for path in small:  # queued files are never dropped
            uploader.wait_job(path.name, "done")
        assert api.default_retriever().store.manifest.generation != generation
        assert long_report.name not in api.default_retriever().store.manifest.files
        assert "22.22" in uploader.ask("排队二镇2022年地区生产总值是多少?")
        assert "2720.16" in reader.ask(HAIZHU_2023)
    finally:
        uploader.close()
        reader.close()


def test_upload_bad_file_is_explained(session, tmp_path):
    empty = tmp_path / "empty_report.txt"
    empty.write_bytes(b"")
    odd = tmp_path / "notes.xyz"
    odd.write_text("x", encoding="utf-8")
    session.upload(empty, wait=False)
    note = session.page.locator("#rag-upload-status")
    expect(note).to_contain_text("✗ empty_report.txt：文件是空的")
    assert "2720.16" in session.ask(HAIZHU_2023)  # still works


def test_upload_reports_from_other_provinces_then_ask(session):
    """Two real 西湖区 reports (杭州, 浙江; 南昌, 江西) uploaded in the chat: the place, a missing year,
    and the same-name place."""
    page = session.page
    outside = ROOT / "eval" / "outside" / "reports"
    session.upload(outside / "xihu_hangzhou_2023.txt", outside / "xihu_nanchang_2021.txt")
    text = session.ask("杭州市西湖区2022年地区生产总值是多少?")
    assert "杭州市西湖区2022年为1970.1亿元" in text
    expect(page.locator("#rag-sources")).to_contain_text("杭州市西湖区2023年政府工作报告摘要")
    text = session.ask("杭州市西湖区2019年地区生产总值是多少?")
    assert "已收录的杭州市西湖区报告为2023年，不涉及2019年" in text
    text = session.ask("西湖区财政总收入是多少?")
    assert "对应已收录的多个地方" in text and "南昌市西湖区" in text and "杭州市西湖区" in text


# --- language and layout ---------------------------------------------------------------------------

ENGLISH_WORDS = """() => {
    const words = new Set();
    const add = (s) => { for (const w of (s || '').match(/[A-Za-z]{2,}/g) || []) words.add(w); };
    const shown = (el) => el && !el.closest('.rag-data, script, style, noscript') && el.getClientRects().length
        && getComputedStyle(el).visibility !== 'hidden';
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        if (shown(walker.currentNode.parentElement)) add(walker.currentNode.textContent);
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
        if (shown(el)) for (const a of ['placeholder', 'aria-label', 'title']) add(el.getAttribute(a));
    }
    return [...words].sort();
}"""
ALLOWED = {"txt", "md", "pdf", "docx", "MB"}  # file types in the upload label


def test_zh_page_shows_no_english_label(session):
    page = session.page
    for panel in ("rag-library-panel", "rag-add", "rag-settings"):
        session.open_panel(panel)
    expect(page.locator("#rag-library table")).to_be_visible()
    assert set(page.evaluate(ENGLISH_WORDS)) <= ALLOWED
    session.ask(HAIZHU_2023)
    page.locator("#source-1 summary").click()
    assert set(page.evaluate(ENGLISH_WORDS)) <= ALLOWED
    expect(page.locator("#rag-upload")).to_contain_text("点击上传")


def test_english_browser_gets_english_labels(app, browser):
    english = Session(browser, app["url"], locale="en-US")
    try:
        page = english.page
        expect(page.locator("#rag-ask")).to_have_text("Ask")
        expect(page.locator("#rag-stop")).to_have_text("Stop")
        expect(page.locator("#rag-status")).to_contain_text("extractive: no LLM configured")
        expect(page.locator("#rag-sources")).to_contain_text("Sources of the answer appear here.")
        expect(page.locator("#rag-examples")).to_contain_text("What was the GDP of")
        text = english.ask("What was the GDP of Haizhu in 2023?")
        assert "2720.16" in text
        expect(page.locator("#source-1 .rag-meta")).to_contain_text("characters")
    finally:
        english.close()


def test_phone_width_keeps_sources_reachable(app, browser):
    phone = Session(browser, app["url"], viewport={"width": 390, "height": 844})
    try:
        page = phone.page
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
        phone.ask(HAIZHU_2023)
        chat, panel = page.locator("#rag-chat").bounding_box(), page.locator("#rag-sources").bounding_box()
        assert panel["y"] >= chat["y"] + chat["height"] - 1  # stacked under the chat
        expect(page.locator("#rag-status .rag-jump")).to_be_visible()
        page.locator('#rag-chat a.rag-cite[href="#source-1"]').last.click()  # a tap on a marker
        expect(page.locator("#source-1")).to_be_in_viewport()
        expect(page.locator("#source-1 .rag-context")).to_be_visible()
        expect(page.locator("#rag-tip")).to_contain_text("2720.16")
    finally:
        phone.close()


@pytest.mark.skipif(not os.environ.get("RAG_SCREENSHOT_DIR"), reason="set RAG_SCREENSHOT_DIR=docs")
def test_screenshots(app, browser):
    target = Path(os.environ["RAG_SCREENSHOT_DIR"])
    target.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("screenshot-desktop.png", {"width": 1400, "height": 900}),
                           ("screenshot-phone.png", {"width": 390, "height": 844})):
        shot = Session(browser, app["url"], viewport=viewport)
        try:
            shot.ask(HAIZHU_2023)
            shot.page.locator("#source-1 summary").click()
            time.sleep(0.5)
            shot.page.screenshot(path=str(target / name), full_page=name.endswith("phone.png"))
        finally:
            shot.close()
