"""The docs keep up with the code: every command has help and is in the README."""

from __future__ import annotations

import re

import click
import pytest
from conftest import ROOT, Invoke

from fitplug.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_in_readme(name: str) -> None:
    assert re.search(rf"`fitplug {re.escape(name)}\b", README), f"fitplug {name} is not in README.md"


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_command_help(invoke: Invoke, name: str, flag: str) -> None:
    result = invoke(name, flag)
    assert result.exit_code == 0
    command = cli.commands[name]
    assert isinstance(command, click.Command) and command.help
    assert re.search(r"Examples?:", result.output), f"fitplug {name} --help has no example block"


def test_readme_quick_start_matches_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2
    for command in commands:
        assert command in README, f"{command!r} is in .ci/run but not in README.md"


def test_changelog_has_unreleased() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog


def test_package_exports_resolve_lazily() -> None:
    import subprocess
    import sys

    code = (
        "import sys, fitplug; assert 'fitdecode' not in sys.modules; "
        "[getattr(fitplug, n) for n in fitplug.__all__]; print(len(fitplug.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) >= 20
