"""The code is formatted and linted as pyproject.toml says (``[tool.ruff]``: line length, rules).

Run here, in the suite the README and CI run, so a line past the measure or an
unformatted file fails the same way a broken test does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

PATHS = ["fitplug", "tests", "benchmarks", "setup.py"]


def _ruff() -> list[str]:
    try:
        import ruff  # noqa: F401  # the test extra installs it
    except ImportError:
        if shutil.which("ruff") is None:
            pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
        return ["ruff"]
    return [sys.executable, "-m", "ruff"]


@pytest.mark.parametrize("command", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff_is_satisfied(command: list[str]) -> None:
    done = subprocess.run([*_ruff(), *command, *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
