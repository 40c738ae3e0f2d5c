"""Prompt templates from `prompts/`, rendered with Jinja's StrictUndefined and checked when loaded."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..config import PROJECT_ROOT
from ..errors import ConfigError


def prompts_dir() -> Path:
    return Path(os.environ.get("RAG_PROMPTS_DIR") or PROJECT_ROOT / "prompts")


@dataclass(frozen=True)
class PromptSet:
    """The rendered-on-demand templates and the fixed refusal sentences."""

    templates: dict
    refusal_zh: str
    refusal_en: str

    def render(self, name: str, **variables) -> str:
        return self.templates[name].render(**variables).strip()

    def refusal(self, english: bool) -> str:
        return self.refusal_en if english else self.refusal_zh


@lru_cache(maxsize=4)
def load_prompts(directory: Path | None = None) -> PromptSet:
    """Load and validate every template named in prompts.toml; a typo fails here, loudly."""
    import jinja2
    from jinja2 import meta
    directory = directory or prompts_dir()
    index_path = directory / "prompts.toml"
    try:
        index = tomllib.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {index_path} ({exc}); restore it from the repository") from exc
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                                     autoescape=False)
    templates = {}
    for name, spec in index.get("templates", {}).items():
        source = (directory / spec["file"]).read_text(encoding="utf-8")
        used = meta.find_undeclared_variables(environment.parse(source))
        expected = set(spec["variables"])
        if used != expected:
            raise ConfigError(f"prompt {spec['file']}: uses {sorted(used)}, prompts.toml declares "
                              f"{sorted(expected)}; make them match")
        templates[name] = environment.from_string(source)
    for required in ("system", "user", "rewrite"):
        if required not in templates:
            raise ConfigError(f"prompts.toml in {directory} lacks the '{required}' template")
    return PromptSet(templates, index["refusal_zh"], index["refusal_en"])
