"""The ``fitplug`` command line: thin commands over the library.

Each command reads its options, makes one library call and prints the result.
Heavy modules are imported inside the commands, so ``fitplug --help`` starts fast.

Exit codes:

- 0: done;
- 1: bad input or a failed operation (``Error: …`` on stderr);
- 2: bad usage (an unknown option, a missing argument).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from . import options
from .errors import FitplugError

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass
class App:
    """What every command shares: where the store is, and what time it is."""

    db_path: Path | None = None
    fixed_now: dt.datetime | None = None

    def now(self) -> dt.datetime:
        """The current instant, aware; ``--now`` fixes it for scripts and tests."""
        if self.fixed_now is None:
            return dt.datetime.now(dt.UTC)
        if self.fixed_now.tzinfo is None:
            return self.fixed_now.astimezone()  # naive: the machine's local time
        return self.fixed_now

    def store_path(self) -> Path:
        from .paths import default_db_path

        return self.db_path or default_db_path()


pass_app = click.make_pass_decorator(App, ensure=True)


def translate_errors(func: F) -> F:
    """Turn a :class:`FitplugError` into click's ``Error: …`` and exit 1; keep other tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FitplugError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="fitplug")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FITPLUG_DB",
    help="SQLite store to use (default: fitplug.sqlite3 in the user data folder).",
)
@click.option(
    "--now",
    type=options.Timestamp(),
    envvar="FITPLUG_NOW",
    help="Pretend it is this instant (ISO 8601), for scripts and tests.",
)
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


# --- programme: init, templates ----------------------------------------------


@cli.command()
def templates() -> None:
    """List the programme templates `fitplug init` can write.

    \b
    Example:
      fitplug templates
    """
    from . import programme

    names = programme.template_names()
    width = max(len(n) for n in names)
    for name in names:
        mark = " (default)" if name == programme.DEFAULT_TEMPLATE else ""
        click.echo(f"{name:<{width}}  {programme.template_summary(name)}{mark}")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default="programme.toml")
@click.option("--template", "-t", default=None, metavar="NAME",
              help="Template to start from (see `fitplug templates`; default: glute-runner).")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@translate_errors
def init(path: Path, template: str | None, force: bool) -> None:
    """Write a programme file to edit, from a template, and remember it.

    The file is checked before it is written; later commands use it when no
    programme is named.

    \b
    Example:
      fitplug init my-glutes.toml
      fitplug init --template post-run post-run.toml
    """
    from . import build

    written = build.init_programme(path, template, force=force)
    click.echo(f"Wrote {written} from the {template or 'default'} template; edit it, then run:")
    click.echo(f"  fitplug build {written}")


@cli.command()
@click.argument("programme_file", metavar="PROGRAMME", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@translate_errors
def check(programme_file: Path | None) -> None:
    """Check a programme file and summarise what it plans; report every problem at once.

    \b
    Example:
      fitplug check my-glutes.toml
    """
    from . import build

    for line in build.describe_programme(build.resolve_programme(programme_file)):
        click.echo(line)


@cli.command()
@click.argument("category", required=False)
@translate_errors
def exercises(category: str | None) -> None:
    """List Garmin exercise categories, or the exercise names of one category.

    Use them as garmin = "category/name" in a programme file.

    \b
    Example:
      fitplug exercises
      fitplug exercises warm_up
    """
    from . import programme

    click.echo("\n".join(programme.list_exercises(category)))


# --- workouts: build, show, install ------------------------------------------



# --- calendar: calendar, serve -----------------------------------------------



# --- activities: sync, status, activities, done ------------------------------



# --- end of commands ----------------------------------------------------------
