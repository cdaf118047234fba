"""Watch commands: ``build``, ``show``, ``install``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from fitplug.cli import options
from fitplug.cli.options import (
    App,
    app_options,
    created_option,
    programme_argument,
    translate_errors,
)


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


@click.command()
@programme_argument
@options.output_dir_option
@created_option
@app_options
@translate_errors
def build(app: App, programme_file: Path | None, output_dir: Path, created: dt.datetime | None) -> None:
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

    built = build_outputs(programme_file, output_dir, now=app.now(), created=created, db_path=app.store_path())
    click.echo(f"Wrote {_files(len(built.paths))} to {output_dir}:")
    for path in built.paths:
        click.echo(f"  {path.name}")
    for path in built.removed:
        click.echo(f"Removed {path.name}: fitplug's own workout, no longer in the programme.")
    if built.remembered:
        click.echo(f"Remembered {built.programme} as the programme for later commands.")
    if built.conflicts:
        raise click.ClickException(
            f"{', '.join(p.name for p in built.conflicts)}: a file fitplug did not write is already in "
            f"{output_dir}; left as it was (the other files were written). Move it away and build again"
        )


@click.command()
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
    from fitplug.app.watch import show_workout
    from fitplug.present.workout import format_table, to_json

    view = show_workout(fit_file)
    if as_json:
        import json

        click.echo(json.dumps(to_json(view), indent=2, ensure_ascii=False))
    else:
        click.echo(format_table(view), nl=False)


@click.command()
@programme_argument
@options.device_option
@options.dry_run_option
@created_option
@app_options
@translate_errors
def install(app: App, programme_file: Path | None, device: Path | None, dry_run: bool,
            created: dt.datetime | None) -> None:
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
    from fitplug.app.watch import install_workouts, open_watch
    from fitplug.watch.target import NEWFILES

    with open_watch(device, remember=not dry_run) as watch:
        results = install_workouts(programme_file, watch, now=app.now(), created=created, dry_run=dry_run)
    newfiles_dir = watch.location(NEWFILES)
    click.echo(f"{watch.name}: {newfiles_dir}")
    width = max(len(r.status) for r in results)
    for result in results:
        why = f"  ({result.reason})" if result.reason else ""
        click.echo(f"  {result.status:<{width}}  {result.name}{why}")
    conflicts = [r.name for r in results if r.status in ("conflict", "held back")]
    moved = sum(r.status in ("copied", "would copy", "replaced", "would replace") for r in results)
    if dry_run:
        click.echo(f"Dry run: {_files(moved)} would be copied; nothing was written.")
    elif moved:
        click.echo(f"Copied {_files(moved)}. Eject the watch; it imports them when it is unplugged.")
    else:
        click.echo("Nothing to copy.")
    if conflicts:
        raise click.ClickException(
            f"{', '.join(conflicts)}: not copied; a file fitplug did not write has that name in "
            f"{newfiles_dir} (left as it was; the other files went). Move it away and run install again"
        )


COMMANDS = (build, show, install)
