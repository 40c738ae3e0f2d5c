"""The `rag` command: index, ask, eval, chat, serve-llm."""
from __future__ import annotations

import functools
import logging
import re
import sys
from pathlib import Path

import click

from .config import Settings
from .errors import RagError

CONTEXT = {"help_option_names": ["-h", "--help"]}


def friendly_errors(func):
    """Turn RagError into a one-line message and exit code 1, only at the CLI edge."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RagError as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper


@click.group(context_settings=CONTEXT)
@click.option("-v", "--verbose", is_flag=True, help="Show debug logging.")
def cli(verbose: bool) -> None:
    """Answer questions about Chinese government work reports, with exact citations.

    \b
    Example:
      rag index && rag ask "海珠区2023年地区生产总值是多少?"
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)


@cli.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Re-embed everything from scratch.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@friendly_errors
def index(paths: tuple[Path, ...], rebuild: bool, quiet: bool) -> None:
    """Index reports (default: $RAG_CORPUS_DIR, data/reports/) into $RAG_INDEX_DIR.

    \b
    Example:
      rag index                      # sync data/reports/: new, changed, deleted files
      rag index ~/new_report.pdf     # add one file to the index
      rag index --rebuild            # start over
    """
    from .indexer import build_index, tqdm_progress
    settings = Settings.from_env()
    progress, close = (None, lambda: None) if quiet else tqdm_progress()
    try:
        report = build_index(settings, list(paths) or None, rebuild=rebuild, progress=progress)
    finally:
        close()
    click.echo(report.summary())


@cli.command(context_settings=CONTEXT)
@click.argument("question")
@click.option("-k", "--k", default=5, show_default=True, type=click.IntRange(1, 100), help="Passages to read.")
@click.option("-m", "--mode", type=click.Choice(["auto", "llm", "extractive"]), default="auto", show_default=True)
@click.option("--retrieve-only", is_flag=True, help="Only list the passages that would be read.")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@friendly_errors
def ask(question: str, k: int, mode: str, retrieve_only: bool, as_json: bool) -> None:
    """Answer one question from the reports, streaming, with numbered citations.

    \b
    Example:
      rag ask "海珠区2023年地区生产总值是多少?"
      rag ask "What was Tianhe District's GDP in 2020?" --mode extractive
    """
    import json

    import rag
    if retrieve_only:
        for rank, passage in enumerate(rag.retrieve(question, k=k), start=1):
            click.echo(terminal_text(f"[{rank}] {passage.title} ({passage.source} {passage.start}-{passage.end}, "
                                     f"score {passage.score:.4f})\n    {passage.text[:160]}"))
        return
    final = None
    for piece in rag.answer(question, k=k, mode=mode, stream=True):
        if isinstance(piece, rag.Answer):
            final = piece
        elif not as_json:
            click.echo(terminal_text(piece), nl=False)
    if as_json:
        click.echo(json.dumps(final.to_dict(), ensure_ascii=False, indent=1))
        return
    click.echo("")
    if final.mode == "llm" and final.text:
        click.echo(terminal_text(f"\n(checked answer)\n{final.text}"))
    for citation in final.citations:
        page = f" p.{citation.page}" if citation.page else ""
        click.echo(terminal_text(f"[{citation.marker}] {citation.title} — {citation.source}{page} "
                                 f"[{citation.start}:{citation.end}]: {citation.text[:120]}"))
    for warning in final.warnings:
        click.echo(terminal_text(f"warning: {warning}"), err=True)


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """Report text as plain characters: terminal control codes (colours, cursor moves, titles) shown as
    symbols, never executed."""
    return CONTROL.sub(lambda m: chr(0x2400 + ord(m.group())) if ord(m.group()) < 0x20 else "\ufffd", text)


@cli.command("serve-llm", context_settings=CONTEXT)
@click.option("--model", "model", default="qwen2.5-1.5b", show_default=True,
              help="A .gguf file, or a bundled name: qwen2.5-1.5b, gemma3-270m.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--ctx", "n_ctx", default=4096, show_default=True, type=click.IntRange(512))
@click.option("--threads", type=click.IntRange(1), help="CPU threads (default: all cores).")
@friendly_errors
def serve_llm(model: str, host: str, port: int, n_ctx: int, threads: int | None) -> None:
    """Run a local OpenAI-compatible llama.cpp server for confidential reports (no cloud API).

    \b
    Example:
      pip install -e '.[llm]' && rag serve-llm --model qwen2.5-1.5b
      # then, in another shell, paste the printed exports and: rag ask "…"
    """
    import time

    from .llm_server import env_lines, resolve_model, start_server
    path = resolve_model(model)
    click.echo(f"starting llama.cpp server for {path} …", err=True)
    handle = start_server(path, host=host, port=port, n_ctx=n_ctx, threads=threads)
    click.echo(f"serving {handle.model} at {handle.base_url} (engine: {handle.engine}); point rag at it with:")
    for line in env_lines(handle):
        click.echo(line)
    try:
        while handle.process.poll() is None:
            time.sleep(1)
        raise click.ClickException(f"the server stopped (exit code {handle.process.returncode}):\n"
                                   f"{handle.log_tail()}")
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        handle.stop()


@cli.command("eval", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-k", "--k", default=5, show_default=True, type=click.IntRange(1, 100), help="Passages per question.")
@click.option("-m", "--mode", type=click.Choice(["auto", "llm", "extractive"]), default="auto", show_default=True,
              help="Answer mode (auto: LLM if configured, else extractive).")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write report.json, report.md and report.png here.")
@click.option("-b", "--baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An earlier report.json to show deltas against.")
@click.option("-r", "--retriever", "retriever_name", type=click.Choice(["hybrid", "naive"]), default="hybrid",
              show_default=True, help="naive: the 500-char dense-only baseline (retrieval metrics only).")
@click.option("--retrieval-only", is_flag=True, help="Skip answers; measure retrieval only.")
@click.option("-n", "--limit", type=click.IntRange(1), help="Only the first N questions.")
@click.option("-s", "--split", type=click.Choice(["tune", "test"]),
              help="Only the questions of this split (report test; tune thresholds on tune).")
@click.option("--corpus", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Run against this folder of reports instead of $RAG_CORPUS_DIR.")
@click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Index for --corpus (default: <corpus parent>/vectorstore; built if missing).")
@friendly_errors
def eval_(file: Path, k: int, mode: str, out: Path | None, baseline: Path | None, retriever_name: str,
          retrieval_only: bool, limit: int | None, split: str | None, corpus: Path | None,
          index_dir: Path | None) -> None:
    """Run a JSONL question set and report retrieval and answer quality.

    \b
    Example:
      rag eval eval/questions.jsonl --split test --out /tmp/r
      rag eval eval/questions.jsonl --retriever naive --retrieval-only
      rag eval eval/outside/questions.jsonl --corpus eval/outside/reports
    """
    from .evaluation import evaluate
    from .evaluation.report import render_markdown
    retrieve = None
    if retriever_name == "naive":
        from .evaluation.runner import corpus_settings
        from .retrieval.naive import NaiveRetriever
        naive = NaiveRetriever.from_settings(corpus_settings(corpus, index_dir))
        retrieve, retrieval_only = (lambda q, k: naive.retrieve(q, k=k)), True
    report = evaluate(file, k=k, mode=mode, out=out, baseline=baseline, retrieve=retrieve,
                      answer=False if retrieval_only else None, limit=limit, split=split,
                      corpus=corpus, index_dir=index_dir)
    click.echo(render_markdown(report, failures=False))
    if out:
        click.echo(f"wrote {out / 'report.json'}, {out / 'report.md'}, {out / 'report.png'}")


@cli.command("chat", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (keep 127.0.0.1 unless you mean to expose it).")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535), help="Port to serve on.")
@friendly_errors
def chat(host: str, port: int) -> None:
    """Open the web chat: streamed cited answers (stoppable), sources, a document library, private uploads.

    The page follows the browser's language (Chinese by default). Uploads are private to the browser
    that made them; set RAG_ADMIN_TOKEN to let an upload be shared with everyone.

    \b
    Example:
      rag chat                       # then open http://127.0.0.1:7860
      rag chat --port 8080
    """
    from .ui import launch
    launch(host, port)


def main() -> None:
    cli(prog_name="rag")


if __name__ == "__main__":
    main()
