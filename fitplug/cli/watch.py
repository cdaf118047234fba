"""Watch commands: ``build``, ``show``, ``install``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from fitplug.cli import options
from fitplug.cli.options import (
    App,
    app_options,
    created_option,
    translate_errors,
)


@click.command()
@options.programme_input
@options.output_dir_option
@created_option
@app_options
@translate_errors
def build(app: App, programme: Path | None, output_dir: Path, created: dt.datetime | None) -> None:
    """Write the programme's FIT workouts, schedule and calendar feed into a folder.

    One workout per session and per post-run stretch set (<session-id>.fit),
    schedule.fit with the next sessions after now (at most 30) for the
    watch's calendar, and <programme id>.ics with the planned days and what
    `fitplug sync` found due. PROGRAMME defaults to the one last used, and
    the one built is remembered. The same programme gives byte-identical
    files; nothing is written if anything fails.

    \b
    Example:
      fitplug build my-glutes.toml -o out
      fitplug show out/glute-strength.fit
    """
    from fitplug.app.watch import build_outputs
    from fitplug.present import watch as words

    built = build_outputs(programme, output_dir, now=app.now(), created=created, db_path=app.store_path())
    for line in words.build_lines(
        built.paths, built.removed, output_dir, built.programme if built.remembered else None
    ):
        click.echo(line)
    if built.conflicts:
        raise click.ClickException(words.build_conflict(built.conflicts, output_dir))


@click.command()
@click.argument("fit_file", metavar="FILE.fit", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@options.json_option
@translate_errors
def show(fit_file: Path, as_json: bool) -> None:
    """Print a FIT workout file as a table of its steps, or a schedule as its days.

    Works on any workout file: fitplug's, Garmin Connect's, the FIT SDK's.
    Sets fold into one row ("3 × 15 reps") with their rest; a repeat that
    loops over several exercises is shown with its steps indented below it.
    A schedules file (schedule.fit) lists each day the watch's calendar will
    show: date, time, the workout and its file beside it, or that it is missing.

    \b
    Example:
      fitplug show out/glute-strength.fit
      fitplug show --json out/post-run-stretch-1.fit
      fitplug show out/schedule.fit
    """
    import json

    from fitplug.app.watch import show_workout
    from fitplug.model import ScheduleView
    from fitplug.present.workout import format_table, schedule_json, schedule_table, to_json

    view = show_workout(fit_file)
    if isinstance(view, ScheduleView):
        doc, text = (schedule_json(view), "") if as_json else ({}, schedule_table(view))
    else:
        doc, text = (to_json(view), "") if as_json else ({}, format_table(view))
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False) if as_json else text, nl=as_json)


@click.command()
@options.programme_input
@options.device_option
@options.dry_run_option
@click.option(
    "--force", is_flag=True, help="Copy even when the watch would then hold more than the 25 workouts it keeps."
)
@created_option
@app_options
@translate_errors
def install(
    app: App, programme: Path | None, device: Path | None, dry_run: bool, force: bool, created: dt.datetime | None
) -> None:
    """Copy the programme's workouts and schedule onto a watch (GARMIN/NewFiles).

    The files are built in memory exactly as `fitplug build` writes them and
    go as one batch: the schedule takes every workout it names along, so the
    watch's calendar binds to them. fitplug's own earlier files waiting in
    NewFiles are replaced, and its workouts the programme no longer has are
    removed; a file fitplug did not write is never touched (a conflict, exit
    1; the rest still goes). PROGRAMME defaults to the one last used;
    --device to the remembered watch (shared with `fitplug sync`), else the
    one mounted Garmin watch, including an MTP watch the desktop mounted.

    \b
    Example:
      fitplug install --dry-run
      fitplug install my-glutes.toml --device /Volumes/GARMIN
      fitplug install --device mtp    # over USB where nothing mounts it: pip install 'fitplug[mtp]'
    """
    from fitplug.app.watch import install_workouts
    from fitplug.cli.meter import Meter
    from fitplug.present import watch as words

    meter = Meter("Copying to the watch") if sys.stderr.isatty() else None  # shown over USB MTP only
    if force:
        click.echo("--force: the watch may drop workouts past the 25 it keeps, without a word.", err=True)
    installed = install_workouts(
        programme,
        device,
        now=app.now(),
        created=created,
        dry_run=dry_run,
        meter=meter,
        force=force,
        db_path=app.store_path(),
    )
    for line in words.install_lines(f"{installed.watch}: {installed.newfiles}", installed.results, dry_run=dry_run):
        click.echo(line)
    for line in (*installed.notes, *words.install_findings(installed.before)):
        click.echo(line)
    conflict = words.install_conflict(installed.results, installed.newfiles)
    if conflict:
        raise click.ClickException(conflict)


@click.command(name="watch")
@options.programme_input
@options.device_option
@options.json_option
@app_options
@translate_errors
def watch_command(app: App, programme: Path | None, device: Path | None, as_json: bool) -> None:
    """Say what the watch did with the programme's files: its model and firmware (from its own
    GarminDevice.xml), its folders, fitplug's files it took in, those still waiting in NewFiles and
    those it refused, and the room left under the 25 workouts it keeps. Writes nothing.

    \b
    Example:
      fitplug watch
      fitplug watch --device /Volumes/GARMIN --json
    """
    from fitplug.app.watch import inspect_watch
    from fitplug.present import watch as words

    report = inspect_watch(programme, device, now=app.now(), db_path=app.store_path())
    if as_json:
        import json

        click.echo(json.dumps(words.watch_json(report), indent=2))
    else:
        for line in words.watch_lines(report):
            click.echo(line)


COMMANDS = (build, show, install, watch_command)
