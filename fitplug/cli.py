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
            return dt.datetime.now(dt.timezone.utc)
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



# --- workouts: build, show, install ------------------------------------------



# --- calendar: calendar, serve -----------------------------------------------


@cli.command()
@click.argument("programme", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="File to write; '-' for standard output. [default: out/<programme id>.ics]",
)
@click.option(
    "--from",
    "start",
    type=options.Day(),
    help="First day of the feed (YYYY-MM-DD). [default: two weeks before today]",
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    help="Weeks the feed covers from its first day. [default: 14, i.e. twelve ahead]",
)
@pass_app
@translate_errors
def calendar(app: App, programme: Path, output: Path | None, start: dt.date | None,
             weeks: int | None) -> None:
    """Write an iCalendar (.ics) file of the planned sessions.

    One event per strength or stretch day, in the programme's time zone, with
    what to do at the gym in each event. Event IDs are stable, so importing the
    file again updates the events instead of duplicating them; a session you
    change gets a higher version number. To subscribe instead of importing,
    use `fitplug serve`.

    \b
    Examples:
      fitplug calendar my-programme.toml
      fitplug calendar my-programme.toml -o ~/glutes.ics --from 2027-01-04 --weeks 8
      fitplug calendar my-programme.toml -o - | less
    """
    from . import build

    if output is not None and str(output) == "-":
        body = build.calendar_feed(programme, now=app.now(), start=start, weeks=weeks).body
        click.echo(body, nl=False)  # bytes go to the binary stream unchanged
        return
    result = build.calendar_file(programme, output, now=app.now(), start=start, weeks=weeks)
    feed = result.feed
    last_day = feed.window.end - dt.timedelta(days=1)
    click.echo(f"Wrote {result.path}: {feed.sessions} sessions, {feed.window.start} to {last_day}")


@cli.command()
@click.argument("programme", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the feed to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--rotate-token", is_flag=True,
              help="Make a new secret for the URL; subscriptions to the old URL stop working.")
@pass_app
@translate_errors
def serve(app: App, programme: Path | None, host: str, port: int, rotate_token: bool) -> None:
    """Serve the programme's calendar feed for calendar apps to subscribe to.

    Prints the feed's http:// and webcal:// URLs; the URL holds a secret token
    kept in fitplug's data folder, so treat it like a password. The feed
    follows the programme file and sync results without a restart. Runs until
    Ctrl-C. PROGRAMME defaults to the one last used. See docs/calendar.md for
    subscribing from Google, Apple, Outlook and Thunderbird.

    \b
    Examples:
      fitplug serve
      fitplug serve my-programme.toml --port 8800
      fitplug serve --rotate-token
    """
    from .serve import ServeInfo, serve_feed

    def ready(info: ServeInfo) -> None:
        if info.warning:
            click.echo(f"Warning: {info.warning}", err=True)
        click.echo(f"Serving {info.programme_name!r}. Subscribe with:")
        click.echo(f"  {info.webcal_url}")
        click.echo(f"  {info.url}")
        click.echo("Press Ctrl-C to stop.", err=True)

    def log(line: str) -> None:
        stamp = app.now().astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(f"{stamp} {line}", err=True)

    serve_feed(_remembered_programme(programme), host=host, port=port, rotate_token=rotate_token,
               clock=app.now, log=log, on_ready=ready)
    click.echo("Stopped.", err=True)


def _remembered_programme(programme: Path | None) -> Path:
    """PROGRAMME, or the one remembered in the settings; a usage error if neither."""
    if programme is not None:
        return programme
    from .paths import load_settings

    remembered = load_settings().get("programme")
    if not isinstance(remembered, str) or not remembered:
        raise click.UsageError("no PROGRAMME given and none remembered; "
                               "pass the programme file (or create one with `fitplug init`)")
    path = Path(remembered)
    if not path.is_file():
        raise click.UsageError(f"the remembered programme {path} is gone; pass the programme file")
    return path




# --- activities: sync, status, activities, done ------------------------------



# --- end of commands ----------------------------------------------------------
