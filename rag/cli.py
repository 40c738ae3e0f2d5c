"""The `rag` command: index, ask, eval, chat, serve-llm."""
from __future__ import annotations

import functools
import logging
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


def main() -> None:
    cli(prog_name="rag")


if __name__ == "__main__":
    main()
