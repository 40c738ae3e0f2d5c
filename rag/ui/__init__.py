"""`rag chat`: the Gradio web UI over `rag.answer`, offline (no telemetry, no external fonts).

Modules by job: `app` (layout, launch), `handlers` (what events do), `library` (the reports a
browser sees, filters), `registry` (who added a report), `uploads` (checked uploads, background
indexing queue), `feedback`, `i18n` (Chinese and English text), `render` (escaped HTML), `assets`.
"""
import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry, no version check

from .app import build_app, launch  # noqa: E402

__all__ = ["build_app", "launch"]
