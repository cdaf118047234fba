"""The ``fitplug`` command line: thin commands over :mod:`fitplug.app`.

Each command reads its options, makes one call to the application layer and
prints the result (words: :mod:`fitplug.cli.report`). Commands are grouped by
area in the modules beside this one; each imports the application layer
inside the command, so ``fitplug --help`` loads none of it.

Exit codes:

- 0: done;
- 1: bad input or a failed operation (``Error: …`` on stderr);
- 2: bad usage (an unknown option, a missing argument).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from pathlib import Path

import click
import click.formatting

from fitplug.cli import options
from fitplug.cli.options import App

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _columns() -> int:
    """The terminal's width as :func:`shutil.get_terminal_size` tells it (``COLUMNS``, the terminal, else 80)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]  # None: caught
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Context(click.Context):
    """click's context, whose help formatter is given the width: click's own finds it with :mod:`shutil`,
    whose import (bz2, lzma) is 10 % of ``fitplug --help``."""

    def make_formatter(self) -> click.HelpFormatter:
        width = self.terminal_width or click.formatting.FORCED_WIDTH
        if width is None:
            width = max(min(_columns(), self.max_content_width or 80) - 2, 50)
        return self.formatter_class(width=width, max_width=self.max_content_width)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="fitplug")
@click.option("--db", **options.DB_OPTION)
@click.option("--now", **options.NOW_OPTION)
@click.pass_context
def cli(ctx: click.Context, db: Path | None, now: dt.datetime | None) -> None:
    """Carry a runner's glute strength-and-stretch programme onto a Garmin watch and
    into any calendar, and say when the post-run stretch set is due.

    \b
    Start here:
      fitplug init my-programme.toml        # write the default programme
      fitplug build my-programme.toml       # FIT workouts + schedule in out/
      fitplug calendar my-programme.toml    # an .ics feed of the strength days
      fitplug sync /path/to/GARMIN/Activity # read runs, say what is due
    """
    ctx.obj = App(db_path=db, fixed_now=now)
    # what is loaded by now (click, the command line) lives as long as the process: the cyclic garbage
    # collector need not walk it again each time a command's own objects make it run (some ms a command)
    gc.freeze()


def _register() -> None:
    from fitplug.cli import activities, calendar, programme, progress, watch

    for module in (programme, watch, calendar, activities, progress):
        for command in module.COMMANDS:
            command.context_class = Context
            cli.add_command(command)
    cli.context_class = Context


_register()
