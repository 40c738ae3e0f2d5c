"""ruff runs as part of the one test command, so lint failures fail CI like any test."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import ROOT


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff comes with the test extra: pip install -e '.[test]'")
def test_ruff_is_clean():
    result = subprocess.run(["ruff", "check", "rag", "tests", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
