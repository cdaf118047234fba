"""Every command's `--help` says what it accepts (#21): its usage line names each argument as the command
takes it (optional ones in brackets, repeated ones with `...`), its options list every option, and
nothing it lists is refused. Read from each command's own parameters, so a new command is checked too."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from fitplug.cli import cli

COMMANDS = sorted(cli.commands)


def test_every_command_is_checked() -> None:
    assert {"build", "sync", "status", "log", "activities", "check", "show", "exercises"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_usage_line_matches_the_parameters(name: str) -> None:
    command = cli.commands[name]
    out = CliRunner().invoke(cli, [name, "--help"], prog_name="fitplug", catch_exceptions=False).output
    usage = out.splitlines()[0]
    assert usage.startswith(f"Usage: fitplug {name} [OPTIONS]"), usage
    shown = usage.removeprefix(f"Usage: fitplug {name} [OPTIONS]").split()
    wanted: list[str] = []
    for p in command.params:
        if not isinstance(p, click.Argument):
            continue
        if p.metavar:  # written by hand: each part bracketed unless required, repeated ones marked
            parts = p.metavar.split()
            assert all(t.startswith("[") == (not p.required) for t in parts), (name, p.metavar)
            assert (p.nargs == -1) == (p.metavar.endswith("...") or len(parts) > 1), (name, p.metavar)
            wanted += parts
        else:
            bare = (p.name or "").upper()
            wanted.append((bare if p.required else f"[{bare}]") + ("..." if p.nargs == -1 else ""))
    assert shown == wanted, (usage, wanted)
    # every option the command takes is in its help, and each --name listed there is one it takes
    takes = {o for p in command.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}
    listed = set(re.findall(r"(?m)^\s+(?:-\w, )?(--[\w-]+)", out))
    assert listed <= takes | {"--help"}, listed - takes
    assert {o for o in takes if o.startswith("--")} <= listed, {o for o in takes if o.startswith("--")} - listed


@pytest.mark.parametrize("name", COMMANDS)
def test_optional_arguments_are_optional(name: str) -> None:
    """An argument the usage line brackets is never reported missing when left out."""
    command = cli.commands[name]
    if any(isinstance(p, click.Argument) and p.required for p in command.params):
        pytest.skip(f"{name} needs an argument")
    result = CliRunner().invoke(cli, [name, "--definitely-not-an-option"], prog_name="fitplug")
    assert result.exit_code == 2 and "Missing argument" not in result.output, result.output
