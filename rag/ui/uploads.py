"""Uploads and deletions, indexed one at a time in a background thread; questions keep using the last index.

An upload is checked at once (type, size, name); an accepted file is staged outside the corpus and
queued as one job (never dropped). The worker moves it into the corpus, records its owner in the
registry, and runs an incremental `build_index` that can be cancelled between embedding batches;
a cancelled or failed job puts the corpus and registry back as they were, so the index is unchanged.
Jobs of a browser that stopped polling for ABANDON_SECONDS are cancelled.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .. import api
from ..config import Settings
from ..corpus import resolve_stored
from ..errors import IndexCancelled, RagError
from ..ingest.loaders import LOADERS
from .i18n import t
from .registry import Registry, UploadEntry
from .render import esc

log = logging.getLogger(__name__)
ABANDON_SECONDS = 180.0  # longer than a background tab's throttled timer (one tick a minute)
KEEP_FINISHED = 8


@dataclass
class Job:
    """One file to add or delete, with its progress (chunks embedded of total)."""

    owner: str
    name: str
    kind: str  # "add" | "delete"
    staged: Path | None = None
    shared: bool = False
    everyone: bool = False  # delete for everyone (admin), not just this owner's copy
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "queued"  # queued | running | done | cancelled | abandoned | failed
    done: int = 0
    total: int = 0
    chunks: int = 0
    error: str = ""
    error_key: str = ""  # a message of i18n.TEXT about the file, shown in the browser's language
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "abandoned", "failed")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def token_ok(settings: Settings, token: str | None) -> bool:
    return bool(settings.admin_token) and hmac.compare_digest((token or "").encode(), settings.admin_token.encode())


class UploadQueue:
    """The process's indexing jobs, run in order by one worker thread."""

    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, float] = {}
        self.generation = 0  # counts finished jobs that changed the index

    # --- what sessions call --------------------------------------------------------

    def submit(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            self._seen[job.owner] = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="rag-uploads", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def cancel(self, owner: str, job_id: str | None = None) -> int:
        """Cancel this owner's unfinished jobs (one of them when job_id is given); returns how many."""
        count = 0
        with self._lock:
            for job in self._jobs.values():
                if job.owner == owner and not job.finished and job_id in (None, job.id):
                    job.cancel.set()
                    count += 1
        return count

    def touch(self, owner: str) -> None:
        with self._lock:
            self._seen[owner] = time.monotonic()

    def jobs_for(self, owner: str) -> list[Job]:
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner]
        running = [j for j in mine if not j.finished]
        return running + [j for j in mine if j.finished][-KEEP_FINISHED:]

    def ahead(self, job: Job) -> int:
        with self._lock:
            order = [j for j in self._jobs.values() if not j.finished]
        return order.index(job) if job in order else 0

    def pending(self, name: str) -> Job | None:
        """The unfinished upload of a file with this name, if any."""
        with self._lock:
            return next((j for j in self._jobs.values() if j.name == name and j.kind == "add" and not j.finished),
                        None)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """True once no job is queued or running (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(j.finished for j in self._jobs.values()):
                    return True
            time.sleep(0.1)
        return False

    # --- the worker ----------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            except Exception as exc:  # noqa: BLE001 - one broken job must not stop the queue
                log.exception("upload job %s failed", job.name)
                job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                if job.staged is not None:
                    shutil.rmtree(job.staged.parent, ignore_errors=True)

    def _abandoned(self, job: Job) -> bool:
        with self._lock:
            seen = self._seen.get(job.owner, time.monotonic())
        return time.monotonic() - seen > ABANDON_SECONDS

    def _run(self, job: Job) -> None:
        if job.cancel.is_set() or self._abandoned(job):
            job.state = "cancelled" if job.cancel.is_set() else "abandoned"
            return
        job.state = "running"
        settings = Settings.from_env()
        if job.kind == "add":
            self._add(job, settings)
        else:
            self._delete(job, settings)

    def _build(self, job: Job, settings: Settings):
        from ..indexer import build_index

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            if self._abandoned(job):
                job.state = "abandoned"
                job.cancel.set()
        report = build_index(settings, progress=progress, cancel=job.cancel)
        if report.cancelled:  # the previous index still answers; the checkpoint lets a later build resume
            raise IndexCancelled(f"indexing cancelled after {report.embedded} chunks; the previous index is unchanged")
        return report

    def _refresh(self) -> None:
        """Load the new index now, so the next question does not wait for it."""
        api.reload_index()
        try:
            api.default_retriever()
        except RagError as exc:
            log.warning("index reload failed: %s", exc)
        with self._lock:
            self.generation += 1

    def _add(self, job: Job, settings: Settings) -> None:
        registry = Registry(settings.index_dir)
        before: UploadEntry | None = registry.entries().get(job.name)
        dest = settings.corpus_dir / job.name
        placed = False
        if dest.exists() and _sha(dest) != _sha(job.staged):
            job.state, job.error_key = "failed", "up_conflict"
            return
        if not dest.exists():
            settings.corpus_dir.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f".{job.name}.upload")
            shutil.copyfile(job.staged, partial)
            os.replace(partial, dest)
            placed = True
        registry.add(job.name, job.owner, job.shared)  # before the index holds it: never briefly public

        def undo() -> None:
            if placed:
                dest.unlink(missing_ok=True)
            registry.restore(before, job.name)
        try:
            report = self._build(job, settings)
        except IndexCancelled:
            undo()
            job.state = "abandoned" if job.state == "abandoned" else "cancelled"
            return
        except RagError as exc:
            undo()
            job.state, job.error = "failed", str(exc)
            return
        if job.name in report.skipped:
            undo()
            job.state, job.error = "failed", report.skipped[job.name]
            try:
                self._build(job, settings)  # forget the skipped file in the manifest too
            except RagError as exc:
                log.warning("could not drop %s from the manifest: %s", job.name, exc)
            return
        self._refresh()
        job.chunks = sum(1 for c in api.default_retriever().store.chunks if c.source == job.name)
        job.state = "done"

    def _delete(self, job: Job, settings: Settings) -> None:
        registry = Registry(settings.index_dir)
        before = registry.entries().get(job.name)
        if not registry.forget(job.name, None if job.everyone else job.owner):
            self._refresh()  # only this owner's claim went; the file stays for its other owners
            job.state = "done"
            return
        files = api.default_retriever().store.manifest.files
        path = resolve_stored(files[job.name].path, settings.corpus_dir) if job.name in files \
            else settings.corpus_dir / job.name
        trash = Path(tempfile.mkdtemp(prefix="rag-deleted-")) / job.name
        moved = path.exists()
        if moved:
            shutil.move(str(path), trash)
        try:
            self._build(job, settings)
        except RagError as exc:
            if moved:
                shutil.move(str(trash), path)
            registry.restore(before, job.name)
            job.state, job.error = ("cancelled", "") if isinstance(exc, IndexCancelled) else ("failed", str(exc))
            return
        finally:
            shutil.rmtree(trash.parent, ignore_errors=True)
        self._refresh()
        job.state = "done"


QUEUE = UploadQueue()


def accept_uploads(paths: list[Path], owner: str, share: bool, token: str | None, visible: set[str],
                   settings: Settings, lang: str) -> list[str]:
    """Check each uploaded file now and queue the good ones; returns one message line per file."""
    if not paths:
        return [t("up_none", lang)]
    if share and not settings.admin_token:
        return [t("share_off", lang)]
    if share and not token_ok(settings, token):
        return [t("share_bad", lang)]
    lines = []
    limit = settings.max_file_bytes
    for path in paths:
        name = path.name
        size = path.stat().st_size
        dest = settings.corpus_dir / name
        if path.suffix.lower() not in LOADERS or name.startswith("."):
            lines.append(t("up_type", lang, name=name, types="、".join(LOADERS) if lang != "en" else ", ".join(LOADERS)))
        elif size > limit:
            lines.append(t("up_big", lang, name=name, size=size / 2**20, limit=limit / 2**20))
        elif size == 0:
            lines.append(t("up_empty", lang, name=name))
        elif (queued := QUEUE.pending(name)) is not None:
            same = queued.owner == owner and queued.staged is not None and _sha(queued.staged) == _sha(path)
            lines.append(t("up_queued" if same else "up_conflict", lang, name=name))
        elif dest.exists() and _sha(dest) != _sha(path):
            lines.append(t("up_conflict", lang, name=name))
        elif dest.exists() and name in visible and not share:
            lines.append(t("up_have", lang, name=name))
        else:
            staged = Path(tempfile.mkdtemp(prefix="rag-upload-")) / name
            shutil.copyfile(path, staged)
            QUEUE.submit(Job(owner=owner, name=name, kind="add", staged=staged, shared=share))
            lines.append(t("up_queued", lang, name=name))
    return lines


def jobs_html(owner: str, lang: str) -> str:
    """This browser's jobs: one line per file with its state, a progress bar and a cancel button."""
    rows = []
    for job in QUEUE.jobs_for(owner):
        if job.state == "queued":
            text = t("job_queued", lang, ahead=QUEUE.ahead(job))
        elif job.state == "running" and job.kind == "delete":
            text = t("job_deleting", lang)
        elif job.state == "running":
            text = t("job_indexing", lang, done=job.done, total=job.total) if job.total else t("job_starting", lang)
        elif job.state == "done":
            text = t("job_deleted", lang) if job.kind == "delete" else t("job_done", lang, chunks=job.chunks)
        elif job.state in ("cancelled", "abandoned"):
            text = t(f"job_{job.state}", lang)
        elif job.error_key:
            text = t(job.error_key, lang, name=job.name)
        else:
            text = t("job_failed", lang, error=job.error)
        bar = (f'<progress max="{job.total}" value="{job.done}"></progress>'
               if job.state == "running" and job.total else "")
        button = (f'<button class="rag-cancel rag-jid-{job.id}" data-job="{job.id}">{t("cancel", lang)}</button>'
                  if not job.finished else "")
        shared = t("job_shared", lang) if job.shared else ""
        rows.append(f'<div class="rag-job rag-job-{job.state}" data-job="{job.id}"><span class="rag-data rag-job-name">'
                    f'{esc(job.name)}</span>{shared} <span class="rag-job-state">{esc(text)}</span> {bar}{button}</div>')
    return f'<div class="rag-jobs">{"".join(rows)}</div>' if rows else '<div class="rag-jobs"></div>'
