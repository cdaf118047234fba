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


class CreatedTime(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """time_created for the FIT files: ISO 8601, or seconds since 1970 (SOURCE_DATE_EPOCH).

    A date or a time without an offset is UTC, so the same value gives the same
    bytes on every machine.
    """

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            moment = value
        else:
            text = str(value).strip()
            try:
                moment = (dt.datetime.fromtimestamp(int(text), dt.UTC) if text.isdigit()
                          else dt.datetime.fromisoformat(text))
            except (ValueError, OverflowError, OSError):
                self.fail(f"{value!r} is not an ISO date-time (2026-01-01T00:00Z) "
                          "or seconds since 1970", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        if not dt.datetime(1998, 7, 1, tzinfo=dt.UTC) <= moment < dt.datetime(2126, 1, 1, tzinfo=dt.UTC):
            self.fail(f"{value!r} is outside the FIT time range (1998-07-01 to 2125)", param, ctx)
        return moment.replace(microsecond=0)


def created_option(func: F) -> F:
    return click.option(
        "--created",
        type=CreatedTime(),
        envvar="SOURCE_DATE_EPOCH",
        show_envvar=True,
        help="time_created for every file (ISO 8601 or Unix seconds); default: derived from "
             "each file's content, so unchanged sessions keep their bytes.",
    )(func)


def _programme_argument(func: F) -> F:
    return click.argument(
        "programme_file", metavar="[PROGRAMME]", required=False,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    )(func)


@cli.command()
@_programme_argument
@options.output_dir_option
@created_option
@pass_app
@translate_errors
def build(app: App, programme_file: Path | None, output_dir: Path, created: dt.datetime | None) -> None:
    """Write the programme's FIT workouts, schedule and calendar feed into a folder.

    One workout per session and per post-run stretch set (<session-id>.fit),
    schedule.fit with the next sessions after now (at most 30) for the
    watch's calendar, and <programme id>.ics with the planned days and what
    `fitplug sync` found due. PROGRAMME defaults to the one last used. The
    same programme gives byte-identical files; nothing is written if anything fails.

    \b
    Example:
      fitplug build my-glutes.toml -o out
      fitplug show out/glute-strength.fit
    """
    from . import build as builder

    written = builder.build_outputs(programme_file, output_dir, now=app.now(), created=created,
                                    db_path=app.store_path())
    click.echo(f"Wrote {len(written)} file{'s' if len(written) != 1 else ''} to {output_dir}:")
    for path in written:
        click.echo(f"  {path.name}")


@cli.command()
@click.argument("fit_file", metavar="FILE.fit", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@options.json_option
@translate_errors
def show(fit_file: Path, as_json: bool) -> None:
    """Print a FIT workout file as a table of its steps.

    Works on any workout file: fitplug's, Garmin Connect's, the FIT SDK's.
    Sets fold into one row ("3 × 15 reps") with their rest; a repeat that
    loops over several exercises is shown with its steps indented below it.

    \b
    Example:
      fitplug show out/glute-strength.fit
      fitplug show --json out/post-run-stretch-1.fit
    """
    from .workout_view import format_table, read_workout, to_json

    view = read_workout(fit_file)
    if as_json:
        import json

        click.echo(json.dumps(to_json(view), indent=2, ensure_ascii=False))
    else:
        click.echo(format_table(view), nl=False)


@cli.command()
@_programme_argument
@options.device_option
@options.dry_run_option
@created_option
@pass_app
@translate_errors
def install(app: App, programme_file: Path | None, device: Path | None, dry_run: bool,
            created: dt.datetime | None) -> None:
    """Copy the programme's workouts and schedule onto a watch (GARMIN/NewFiles).

    The files are built in memory exactly as `fitplug build` writes them. A
    file already on the watch with the same bytes is skipped; a different
    file with the same name is never overwritten (exit 1). PROGRAMME defaults
    to the one last used; --device to the one mounted Garmin watch.

    \b
    Example:
      fitplug install --dry-run
      fitplug install my-glutes.toml --device /Volumes/GARMIN
    """
    from . import build as builder

    watch, results = builder.install_workouts(
        programme_file, device, now=app.now(), created=created, dry_run=dry_run
    )
    click.echo(f"{watch.name}: {watch.newfiles_dir}")
    width = max(len(r.status) for r in results)
    for result in results:
        click.echo(f"  {result.status:<{width}}  {result.name}")
    conflicts = [r.name for r in results if r.status == "conflict"]
    moved = sum(r.status in ("copied", "would copy") for r in results)
    if dry_run:
        click.echo(f"Dry run: {moved} file{'s' if moved != 1 else ''} would be copied; nothing was written.")
    elif moved:
        click.echo(f"Copied {moved} file{'s' if moved != 1 else ''}. Eject the watch; "
                   "it imports them when it is unplugged.")
    else:
        click.echo("Nothing to copy.")
    if conflicts:
        raise click.ClickException(
            f"{', '.join(conflicts)}: a different file of that name is already in {watch.newfiles_dir} "
            "(not yet imported by the watch?); remove it there and run install again"
        )




# --- calendar: calendar, serve -----------------------------------------------


@cli.command()
@click.argument("programme", metavar="[PROGRAMME]", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
def calendar(app: App, programme: Path | None, output: Path | None, start: dt.date | None,
             weeks: int | None) -> None:
    """Write an iCalendar (.ics) file of the planned sessions.

    One event per strength or stretch day, in the programme's time zone, with
    what to do at the gym in each event. Event IDs are stable, so importing the
    file again updates the events instead of duplicating them; a session you
    change gets a higher version number. After `fitplug sync` it also holds
    what is due. PROGRAMME defaults to the one last used. To subscribe
    instead of importing, use `fitplug serve`.

    \b
    Examples:
      fitplug calendar my-programme.toml
      fitplug calendar my-programme.toml -o ~/glutes.ics --from 2027-01-04 --weeks 8
      fitplug calendar my-programme.toml -o - | less
    """
    from . import build

    now = app.now()
    loaded = build.resolve_programme(programme)
    due = build.stored_due_items(loaded, now=now, db_path=app.store_path())
    if output is not None and str(output) == "-":
        body = build.calendar_feed(loaded, now=now, start=start, weeks=weeks, due_items=due).body
        click.echo(body, nl=False)  # bytes go to the binary stream unchanged
        return
    result = build.calendar_file(loaded, output, now=now, start=start, weeks=weeks, due_items=due)
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
    from .build import store_due_source
    from .serve import ServeInfo, serve_feed

    def ready(info: ServeInfo) -> None:
        if info.warning:
            click.echo(f"Warning: {info.warning}", err=True)
        click.echo(f"Serving {info.programme_name!r}. Subscribe with:")
        click.echo(f"  {info.webcal_url}")
        click.echo(f"  {info.url}")
        click.echo("Press Ctrl-C to stop.", err=True)

    def log(line: str) -> None:
        stamp = app.now().astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(f"{stamp} {line}", err=True)

    path = _remembered_programme(programme)
    serve_feed(path, host=host, port=port, rotate_token=rotate_token, clock=app.now, log=log,
               on_ready=ready, due_source=store_due_source(path, clock=app.now, db_path=app.store_path()))
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


@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[SOURCE]...")
@options.programme_option
@options.device_option
@click.option("--strict", is_flag=True, help="Exit 1 when any file could not be read.")
@click.option("--verify", is_flag=True,
              help="Check every file's CRCs too (slower); a file that fails is reported and skipped.")
@options.json_option
@pass_app
@translate_errors
def sync(
    app: App, sources: tuple[Path, ...], programme: Path | None, device: Path | None, strict: bool,
    verify: bool, as_json: bool,
) -> None:
    """Read recorded activities into the store and say what is due.

    A SOURCE is a folder (searched recursively), a mounted watch, a .fit or
    .fit.gz file, or a Garmin Connect export zip. Sources, the watch and the
    programme are remembered, so a plain `fitplug sync` works the second time.
    Files already read (same size and time) are not read again; unreadable
    files are reported and skipped. With a watch, the post-run stretch workout
    is put into GARMIN/NewFiles when it is due. Files are read by a fast
    reader (on every core for a big export); whatever it cannot read goes to
    a full FIT decoder, which decides. The fast reader skips the CRC check
    unless --verify is given.

    \b
    Example:
      fitplug sync ~/Downloads/garmin-export.zip --programme my-glutes.toml
      fitplug sync --device /Volumes/GARMIN
      fitplug sync
    """
    import json
    import sys

    from . import report
    from .store import Store
    from .sync import plan_sync
    from .sync import sync as run_sync

    plan = plan_sync(list(sources), programme, device)
    now = app.now()
    with Store(app.store_path()) as store:
        if sys.stdout.isatty() and not as_json:
            from .sources import count_files

            with click.progressbar(length=count_files(plan.sources), label="Reading", file=sys.stderr) as bar:
                result = run_sync(store, plan.sources, programme=plan.programme, now=now, device=plan.device,
                                  progress=lambda key: bar.update(0 if "!" in key else 1), verify=verify)
        else:
            result = run_sync(store, plan.sources, programme=plan.programme, now=now, device=plan.device,
                              verify=verify)
    result.notes[:0] = plan.notes
    if as_json:
        click.echo(json.dumps(report.sync_json(result, now), indent=2))
    else:
        for line in report.sync_lines(result, plan.programme, now):
            click.echo(line)
    bad = len(result.skipped) + result.known_bad
    if strict and bad:
        raise click.ClickException(f"{bad} file{'s' if bad != 1 else ''} could not be read (--strict)")


@cli.command()
@options.programme_option
@options.json_option
@pass_app
@translate_errors
def status(app: App, programme: Path | None, as_json: bool) -> None:
    """Say what is due, from the store alone (no file is read).

    \b
    Example:
      fitplug status
      fitplug status --json
    """
    import json

    from . import report
    from .build import resolve_programme
    from .store import Store
    from .sync import evaluate

    loaded = resolve_programme(programme)
    now = app.now()
    with Store(app.store_path()) as store:
        decision = evaluate(store, loaded, now)
        items = store.save_due(decision.items, now)
    if as_json:
        click.echo(json.dumps(report.status_json(decision, items, now), indent=2))
    else:
        for line in report.decision_lines(decision, loaded, now):
            click.echo(line)


@cli.command()
@options.json_option
@pass_app
@translate_errors
def activities(app: App, as_json: bool) -> None:
    """List the activities the store holds: one row a session, strength sets below.

    \b
    Example:
      fitplug activities
      fitplug activities --json
    """
    import json

    from . import report
    from .store import Store

    with Store(app.store_path()) as store:
        held = store.activities()
    if as_json:
        click.echo(json.dumps(report.activities_json(held), indent=2))
    else:
        for line in report.activity_lines(held):
            click.echo(line)


@cli.command()
@click.option("--at", "at", type=options.Timestamp(), help="When it was done (ISO 8601; default: now).")
@options.programme_option
@options.json_option
@pass_app
@translate_errors
def done(app: App, at: dt.datetime | None, programme: Path | None, as_json: bool) -> None:
    """Mark the post-run stretch set that is due as done (stretched without the watch).

    \b
    Example:
      fitplug done
      fitplug done --at 2026-11-22T08:15
    """
    import json

    from . import report
    from .build import resolve_programme
    from .store import Store
    from .sync import mark_done

    now = app.now()
    when = now if at is None else (at if at.tzinfo else at.astimezone())
    if when > now:
        raise click.BadParameter("is in the future", param_hint="--at")
    loaded = resolve_programme(programme)
    with Store(app.store_path()) as store:
        marked = mark_done(store, loaded, now, when)
    if as_json:
        click.echo(json.dumps(report.done_json(marked, when), indent=2))
    else:
        for line in report.done_lines(marked, loaded, now):
            click.echo(line)




# --- end of commands ----------------------------------------------------------
