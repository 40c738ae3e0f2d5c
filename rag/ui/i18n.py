"""Interface text in Chinese (the default) and English, picked by the browser's language.

Component labels go through `gr.I18n` (translated in the browser from `navigator.language`);
HTML the server writes (status line, sources, library, upload messages) uses `lang_of(request)`,
read from the Accept-Language header of the same browser.
"""
from __future__ import annotations

import re

ZH, EN = "zh", "en"

# Labels of components, translated in the browser by gr.I18n.
LABELS: dict[str, tuple[str, str]] = {
    "title": ("## 政府工作报告问答\n每个论断都带编号引用 [n]，指向报告原文的确切摘录；悬停或点按编号预览出处，"
              "点击来源查看上下文。",
              "## Government work reports, answered with citations\nEvery claim carries a numbered citation [n] "
              "to an exact excerpt; hover or tap a marker to preview it, open a source to read its context."),
    "chat": ("对话", "Chat"),
    "chat_placeholder": ("用中文或英文提问；回答只来自已收录的报告。", "Ask in Chinese or English; answers come only "
                         "from the indexed reports."),
    "question": ("问题", "Question"),
    "question_placeholder": ("输入问题，按回车提问", "Type a question and press Enter"),
    "ask": ("提问", "Ask"),
    "stop": ("停止", "Stop"),
    "new_conversation": ("新对话", "New conversation"),
    "copy": ("复制回答", "Copy answer"),
    "examples": ("示例问题", "Example questions"),
    "sources": ("### 来源", "### Sources"),
    "settings": ("设置", "Settings"),
    "k": ("阅读的段落数", "Passages to read"),
    "mode": ("回答方式", "Answer mode"),
    "mode_info": ("自动：已配置大语言模型时用它作答，否则摘录报告原文", "auto: the LLM when one is configured, "
                  "else verbatim excerpts"),
    "mode_auto": ("自动", "auto"),
    "mode_llm": ("大语言模型", "LLM"),
    "mode_extractive": ("原文摘录", "extractive"),
    "library": ("文档库", "Document library"),
    "filter_places": ("限定地区", "Limit to places"),
    "filter_years": ("限定年份", "Limit to years"),
    "filter_reports": ("限定报告", "Limit to reports"),
    "filter_info": ("之后的问题只在所选范围内检索；留空表示全部", "The next questions search only the selection; "
                    "empty means all"),
    "delete_pick": ("要删除的报告", "Report to delete"),
    "delete": ("删除报告", "Delete report"),
    "admin_token": ("管理员口令（共享上传、删除共享报告时需要）", "Admin token (to share an upload or delete a "
                    "shared report)"),
    "add_reports": ("添加报告", "Add reports"),
    "upload": ("上传报告（.txt、.md、.pdf、.docx）", "Upload reports (.txt, .md, .pdf, .docx)"),
    "share": ("与所有人共享（需要管理员口令）", "Share with everyone (needs the admin token)"),
    "comment": ("对这条回答的评论（可选）", "Comment on this answer (optional)"),
    "comment_send": ("提交评论", "Send comment"),
}

# Text the server writes into HTML.
TEXT: dict[str, tuple[str, str]] = {
    "mode_line": ("模式：{mode}", "Mode: {mode}"),
    "index_line": ("索引：{files} 个文件，{reports} 份报告，{chunks} 个片段", "Index: {files} files, {reports} reports, "
                   "{chunks} chunks"),
    "index_missing": ("索引未加载", "Index: not loaded"),
    "scope_line": ("范围：{n} 份报告", "Scope: {n} reports"),
    "scope_all": ("范围：全部 {n} 份报告", "Scope: all {n} reports"),
    "refused": ("⛔ 拒答：{reason}", "⛔ Refused: {reason}"),
    "refused_generic": ("范围内的报告没有陈述这一内容的句子。", "no sentence of the reports in scope states it."),
    "jump_sources": ("查看来源 ↓", "Sources ↓"),
    "mode_llm": ("大语言模型：{model}", "LLM: {model}"),
    "mode_extractive_chosen": ("原文摘录（设置中选择）", "extractive (chosen in settings)"),
    "mode_no_llm": ("原文摘录：未配置大语言模型", "extractive: no LLM configured"),
    "mode_llm_missing": ("选择了大语言模型，但服务器未配置（RAG_LLM_MODEL、OPENAI_BASE_URL）：以原文摘录作答",
                         "LLM chosen, but none is configured (RAG_LLM_MODEL, OPENAI_BASE_URL): answering extractively"),
    "mode_llm_failed": ("原文摘录：大语言模型调用失败（见提示）", "extractive: the LLM failed (see warnings)"),
    "sources_empty": ("回答的出处会显示在这里。", "Sources of the answer appear here."),
    "sources_searching": ("正在检索报告…", "Searching the reports…"),
    "sources_refused": ("问题被拒答，没有引用。", "The question was refused, so nothing is cited."),
    "sources_none": ("回答没有引用出处。", "The answer cites no source."),
    "chars": ("字符 {start}–{end}", "characters {start}–{end}"),
    "page": ("第 {page} 页", "page {page}"),
    "hint": ("点击查看上下文", "Click for wider context"),
    "context": ("上下文：{source} 的字符 {lo}–{hi}", "Wider context: characters {lo}–{hi} of {source}"),
    "context_missing": ("无法显示上下文：{error}", "Wider context unavailable: {error}"),
    "context_changed": ("无法显示上下文：文件在建立索引后已改动；请运行 rag index。", "Wider context unavailable: the file "
                        "changed since it was indexed; run rag index."),
    "pending": ("⏳ 正在检索报告…", "⏳ Searching the reports…"),
    "stopped": ("（已停止）", "(stopped)"),
    "internal_error": ("⚠ 回答时出现内部错误（{error}）", "⚠ Internal error while answering ({error})"),
    "helpful": ("有用", "Helpful"),
    "wrong": ("有误", "Wrong"),
    "fb_recorded": ("已记录对第 {n} 条回答的评价：{rating}。可在下方补充评论。",
                    "Recorded for answer {n}: {rating}. You can add a comment below."),
    "fb_comment_saved": ("已保存对第 {n} 条回答的评论。", "Comment saved for answer {n}."),
    "fb_first": ("请先点击某条回答下的 👍 或 👎。", "Click 👍 or 👎 under an answer first."),
    "fb_failed": ("无法保存评价：{error}", "Could not save feedback: {error}"),
    "th_title": ("标题", "Title"), "th_place": ("地区", "Place"), "th_year": ("年份", "Year"),
    "th_kind": ("类型", "Kind"), "th_file": ("文件", "File"), "th_chunks": ("片段", "Chunks"),
    "th_added": ("添加日期", "Added"), "th_by": ("添加者", "Added by"),
    "by_sample": ("共享样本", "shared sample"), "by_mine": ("我的上传（仅自己可见）", "my upload (private)"),
    "by_mine_shared": ("我的上传（已共享）", "my upload (shared)"), "by_shared": ("共享上传", "shared upload"),
    "library_empty": ("索引中还没有报告。", "No report is indexed yet."),
    "library_count": ("共 {n} 份报告", "{n} reports"),
    "unknown": ("未知", "unknown"),
    "kind_work_report": ("政府工作报告", "work report"), "kind_five_year_plan": ("五年规划", "five-year plan"),
    "kind_plan_execution": ("计划执行报告", "plan execution"), "kind_statistics": ("统计公报", "statistics"),
    "kind_news": ("新闻", "news"), "kind_other": ("其他", "other"),
    "job_queued": ("排队中（前面还有 {ahead} 个）", "queued ({ahead} ahead)"),
    "job_indexing": ("正在索引：{done}/{total} 个片段", "indexing: {done}/{total} chunks"),
    "job_starting": ("正在读取并切分…", "reading and splitting…"),
    "job_done": ("✓ 已索引，可以提问了（{chunks} 个片段）", "✓ indexed; you can ask about it now ({chunks} chunks)"),
    "job_deleted": ("✓ 已删除，不再用于回答", "✓ deleted; no longer used for answers"),
    "job_deleting": ("正在删除…", "deleting…"),
    "job_cancelled": ("已取消；索引保持不变", "cancelled; the index is unchanged"),
    "job_abandoned": ("已取消：页面已关闭", "cancelled: the page was closed"),
    "job_failed": ("✗ 失败：{error}", "✗ failed: {error}"),
    "job_shared": ("（共享）", "(shared)"),
    "cancel": ("取消", "Cancel"),
    "up_type": ("✗ {name}：不支持的文件类型；请上传 {types} 文件", "✗ {name}: unsupported type; upload {types} files"),
    "up_big": ("✗ {name}：{size:.1f} MB，超过每个文件 {limit:.1f} MB 的上限（RAG_MAX_FILE_MB）；请拆分报告或请管理员调高上限",
               "✗ {name}: {size:.1f} MB, over the limit of {limit:.1f} MB per file (RAG_MAX_FILE_MB); split the "
               "report or ask the administrator to raise the limit"),
    "up_empty": ("✗ {name}：文件是空的", "✗ {name}: the file is empty"),
    "up_conflict": ("✗ {name}：已有另一份同名报告；请改名后再上传", "✗ {name}: a different report with this name is "
                    "already indexed; rename the file"),
    "up_have": ("• {name}：文档库中已有这份报告", "• {name}: already in your library"),
    "up_queued": ("• {name}：已加入索引队列", "• {name}: queued for indexing"),
    "up_none": ("没有收到文件。", "No file received."),
    "share_off": ("✗ 未上传：服务器没有设置 RAG_ADMIN_TOKEN，不能共享；取消勾选“共享”即可私有上传",
                  "✗ Not uploaded: sharing is off because the server has no RAG_ADMIN_TOKEN; untick “share” to "
                  "upload privately"),
    "share_bad": ("✗ 未上传：管理员口令不正确", "✗ Not uploaded: the admin token is wrong"),
    "del_none": ("请先选择要删除的报告。", "Pick a report to delete first."),
    "del_token": ("✗ {name} 是共享报告，删除需要正确的管理员口令", "✗ {name} is shared: deleting it needs the right "
                  "admin token"),
    "del_queued": ("• {name}：已加入删除队列", "• {name}: queued for deletion"),
}

# Warnings of `rag.answer` that the interface explains in Chinese (others are shown as written).
WARNINGS_ZH = (
    (re.compile(r"^LLM unavailable \((.*)\); answered extractively instead$"), "大语言模型不可用（{0}），已改为原文摘录"),
    (re.compile(r"^the model's answer cites no passage; treat it with care$"), "模型的回答没有引用任何段落，请谨慎使用"),
    (re.compile(r"^the model answered in another language than the question's$"), "模型没有用提问的语言作答"),
    (re.compile(r"^the model gave the refusal sentence together with an answer; shown as a refusal$"),
     "模型在拒答的同时给出了内容，按拒答显示"),
    (re.compile(r"^could not rewrite the follow-up with the LLM \((.*)\)$"), "无法用大语言模型改写追问（{0}）"),
)


# The locales Gradio's page has its own text for; it picks navigator.language, else its primary
# subtag, else "en" (gradio/templates/frontend, 6.x).
GRADIO_LOCALES = ("ca", "de", "en", "es", "et", "eu", "fa", "fr", "he", "id", "ja", "ko", "lt", "nb", "pt-BR", "pt",
                  "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz", "zh-CN", "zh-TW")
_LOWER = {locale.lower(): locale for locale in GRADIO_LOCALES}


def page_locale(tag: str) -> str:
    """The locale Gradio's page uses for a browser language tag."""
    tag = tag.strip().lower()
    return _LOWER.get(tag) or _LOWER.get(tag.split("-")[0]) or "en"


def lang_of(request) -> str:
    """'en' when the page shows English labels for this browser (its first Accept-Language), else 'zh'.

    Mirrors how the page picks its locale, so server-written text and labels agree; our labels are
    Chinese for every locale but English, and with no header the server answers in Chinese.
    """
    try:
        header = (request.headers.get("accept-language") or "") if request is not None else ""
    except AttributeError:
        header = ""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag.strip():
            ranked.append((-q, position, tag.strip()))
    if not ranked:
        return ZH
    return EN if page_locale(sorted(ranked)[0][2]) == "en" else ZH


def t(key: str, lang: str, **values) -> str:
    """The server-side text `key` in `lang`, formatted with `values`."""
    zh, en = TEXT[key]
    return (en if lang == EN else zh).format(**values)


def warning_text(warning: str, lang: str) -> str:
    if lang == EN:
        return warning
    for pattern, chinese in WARNINGS_ZH:
        match = pattern.match(warning)
        if match:
            return chinese.format(*match.groups())
    return warning


def gr_i18n():
    """The gr.I18n of the component labels: English for "en", Chinese for every other page locale."""
    import gradio as gr
    zh = {key: pair[0] for key, pair in LABELS.items()}
    en = {key: pair[1] for key, pair in LABELS.items()}
    return gr.I18n(**{locale: en if locale == "en" else zh for locale in GRADIO_LOCALES})
