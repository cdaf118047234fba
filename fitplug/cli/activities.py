"""Activity commands: ``sync``, ``status``, ``activities``, ``done``, ``log``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from fitplug.cli import options
from fitplug.cli.options import App, app_options, translate_errors


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
    from fitplug.cli.meter import Meter

    shown = sys.stderr.isatty() and not as_json  # drawn on stderr: only on a terminal
    bar = Meter() if shown else None
    try:
        result = sync_activities(
            sources,
            programme_file=programme,
            device_root=device,
            db_path=app.store_path(),
            now=now,
            progress=bar,
            transfer=Meter("Copying from the watch") if shown else None,
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
        from fitplug.app.share import publish as publish_feed

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
@click.option("--last", type=click.IntRange(min=1), metavar="N", help="Only the last N sessions.")
@click.option("--since", type=options.Day(), help="Only sessions from this local day on (YYYY-MM-DD).")
@click.option("--kind", metavar="KIND", help="Only sessions of this kind: run, strength, stretch, or a FIT sport.")
@options.json_option
@app_options
@translate_errors
def activities(
    app: App, programme: Path | None, last: int | None, since: dt.date | None, kind: str | None, as_json: bool
) -> None:
    """List the activities the store holds: one row a session, strength sets below,
    and each strength session against its plan (sets done of planned, reps against
    the range) when there is a programme (named, or remembered).

    \b
    Example:
      fitplug activities --last 10
      fitplug activities --since 2026-11-01 --kind strength
      fitplug activities --json
    """
    from fitplug.app.activities import stored_activities
    from fitplug.present import activities as words
    from fitplug.present import json

    rows = stored_activities(
        programme,
        db_path=app.store_path(),
        now=app.now(),
        since=since,
        kind=kind.casefold() if kind else None,
        last=last,
    )
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


def _reps(tokens: tuple[str, ...]) -> tuple[int, ...]:
    """``14 13 12`` or ``14/13 13/13``: reps per set, a ``/`` between the sides of one set."""
    out: list[int] = []
    for token in tokens:
        for part in token.split("/"):
            if not part.isdecimal():
                raise click.BadParameter(f"{token!r} is not a rep count (give 14, or 14/13 for the two sides)")
            out.append(int(part))
    return tuple(out)


@click.command()
@click.argument("exercise", required=False)
@click.argument("reps", nargs=-1, metavar="[REPS]...")
@click.option("--day", type=options.Day(), help="The local day it was done (ISO 8601; default: today).")
@click.option("--pain", is_flag=True, help="It hurt: the band stays as it is; shows what to change.")
@click.option("--undo", is_flag=True, help="Take back what was logged for EXERCISE that day.")
@options.programme_option
@options.json_option
@app_options
@translate_errors
def log(
    app: App,
    exercise: str | None,
    reps: tuple[str, ...],
    day: dt.date | None,
    pain: bool,
    undo: bool,
    programme: Path | None,
    as_json: bool,
) -> None:
    """Record or correct a session by hand: the reps of each set (and side) of one exercise.

    What you log stands for what the watch recorded that day (watches miss
    and miscount reps, and fixes made in Garmin Connect never reach the FIT
    file). REPS are in the order the watch records them: for an exercise done
    each side, set 1 left, set 1 right, and so on; `14/13` gives both sides of
    one set. EXERCISE is its key in the programme (`[exercises.<key>]`).
    Without EXERCISE, lists what was logged and writes nothing.

    \b
    Example:
      fitplug log banded_leg_raise 14/14 13/13 12/12
      fitplug log banded_leg_raise --pain
      fitplug log banded_leg_raise --day 2026-11-20 --undo
    """
    from fitplug.present import activities as words
    from fitplug.present import json

    if exercise is None:
        from fitplug.app.activities import logged_sets

        if reps or pain or undo or day is not None:
            raise click.UsageError("give the EXERCISE to log")
        entries = logged_sets(db_path=app.store_path())
        click.echo(json.dumps(json.logs_json(entries)) if as_json else "\n".join(words.logs_lines(entries)))
        return
    from fitplug.app.activities import log_sets

    logged = log_sets(
        programme,
        db_path=app.store_path(),
        now=app.now(),
        exercise=exercise,
        day=day,
        reps=_reps(reps),
        pain=pain,
        undo=undo,
    )
    if as_json:
        click.echo(json.dumps(json.logged_json(logged)))
    else:
        for line in words.logged_lines(logged):
            click.echo(line)


COMMANDS = (sync, status, activities, done, log)
