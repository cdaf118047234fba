"""Activity commands: ``sync``, ``status``, ``activities``, ``done``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from fitplug.cli import options
from fitplug.cli.options import App, app_options, translate_errors


class _Bar:
    """A progress bar on stderr for a sync in a terminal (fitplug.app.sync.Progress)."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, total: int) -> None:
        self._bar = click.progressbar(length=total, label="Reading", file=sys.stderr)
        self._bar.__enter__()

    def advance(self, key: str) -> None:
        self._bar.update(0 if "!" in key else 1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[SOURCE]...")
@options.programme_option
@options.device_option
@click.option("--strict", is_flag=True, help="Exit 1 when any file could not be read.")
@click.option(
    "--publish", is_flag=True, help="Then put the feed at the URL `fitplug publish` last wrote to, if it changed."
)
@options.json_option
@app_options
@translate_errors
def sync(
    app: App,
    sources: tuple[Path, ...],
    programme: Path | None,
    device: Path | None,
    strict: bool,
    publish: bool,
    as_json: bool,
) -> None:
    """Read recorded activities into the store and say what is due.

    A SOURCE is a folder (searched recursively), a mounted watch, a .fit or
    .fit.gz file, or a Garmin Connect export zip; a .toml file among them is
    the programme (as --programme). Sources, the watch and the
    programme are remembered, so a plain `fitplug sync` works the second time.
    Files already read (same size and time) are not read again; unreadable
    files are reported and skipped. With a watch, the post-run stretch workout
    is put into GARMIN/NewFiles when it is due. Files are read by a fast
    reader (on every core for a big export); whatever it cannot read goes to
    a full FIT decoder, which decides. Every file's CRC is checked: a damaged
    file is reported and skipped until it changes. A damaged store is rebuilt
    from the sources, keeping the done marks.

    \b
    Example:
      fitplug sync ~/Downloads/garmin-export.zip --programme my-glutes.toml
      fitplug sync --device /Volumes/GARMIN
      fitplug sync --publish
    """
    from fitplug.app.sync import sync_activities
    from fitplug.present import activities as words
    from fitplug.present import json

    sources, programme = options.split_programme(sources, programme)
    now = app.now()
    bar = _Bar() if sys.stdout.isatty() and not as_json else None
    try:
        result = sync_activities(
            sources, programme_file=programme, device_root=device, db_path=app.store_path(), now=now, progress=bar
        )
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        click.echo(json.dumps(json.sync_json(result, now)))
    else:
        for line in words.sync_lines(result):
            click.echo(line)
    if publish:
        from fitplug.app.calendar import publish as publish_feed

        published = publish_feed(programme, None, now=now, db_path=app.store_path())
        click.echo(f"Published {published.url}" if published.changed else f"{published.url} is up to date", err=as_json)
    bad = len(result.skipped) + result.known_bad
    if strict and bad:
        raise click.ClickException(f"{bad} file{'s' if bad != 1 else ''} could not be read (--strict)")


@click.command()
@options.programme_input
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=None,
    metavar="N",
    help="A table of the last N local weeks: strength done/planned/missed, stretch days, post-run sets.",
)
@options.json_option
@app_options
@translate_errors
def status(app: App, programme: Path | None, weeks: int | None, as_json: bool) -> None:
    """Say what is due and until when, what closed since the last sync, the coming
    week's sessions, this week's tally and the band advice; from the store alone
    (no file is read, nothing is written).

    \b
    Example:
      fitplug status
      fitplug status --weeks 4
      fitplug status --json
    """
    from fitplug.app.activities import status as decide
    from fitplug.present import activities as words
    from fitplug.present import json

    found = decide(programme, db_path=app.store_path(), now=app.now(), weeks=weeks or 1)
    if as_json:
        click.echo(json.dumps(json.status_json(found)))
    else:
        for line in words.weeks_lines(found) if weeks else words.status_lines(found):
            click.echo(line)


@click.command()
@options.programme_input
@options.json_option
@app_options
@translate_errors
def activities(app: App, programme: Path | None, as_json: bool) -> None:
    """List the activities the store holds: one row a session, strength sets below,
    and each strength session against its plan (sets done of planned, reps against
    the range) when there is a programme (named, or remembered).

    \b
    Example:
      fitplug activities
      fitplug activities --json
    """
    from fitplug.app.activities import stored_activities
    from fitplug.present import activities as words
    from fitplug.present import json

    rows = stored_activities(programme, db_path=app.store_path(), now=app.now())
    if as_json:
        click.echo(json.dumps(json.activities_json(rows)))
    else:
        for line in words.activity_lines(rows):
            click.echo(line)


@click.command()
@click.option("--at", "at", type=options.Timestamp(), help="When it was done (ISO 8601; default: now).")
@options.programme_input
@options.json_option
@app_options
@translate_errors
def done(app: App, at: dt.datetime | None, programme: Path | None, as_json: bool) -> None:
    """Mark the post-run stretch set that is due as done (stretched without the watch).

    With --at, the set must have been open then: after the run ended, before it
    lapsed. A time before the run, or after the set was done or lapsed, is
    refused with the reason.

    \b
    Example:
      fitplug done
      fitplug done --at 2026-11-22T08:15
    """
    from fitplug.app.activities import mark_done
    from fitplug.present import activities as words
    from fitplug.present import json

    now = app.now()
    when = now if at is None else (at if at.tzinfo else at.astimezone())
    if when > now:
        raise click.BadParameter("is in the future", param_hint="--at")
    marked = mark_done(programme, db_path=app.store_path(), now=now, at=when)
    if as_json:
        click.echo(json.dumps(json.done_json(marked)))
    else:
        for line in words.done_lines(marked):
            click.echo(line)


COMMANDS = (sync, status, activities, done)
