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
    if built.remembered:
        click.echo(f"Remembered {built.programme} as the programme for later commands.")


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
    from fitplug.watch.view import format_table, to_json

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

    The files are built in memory exactly as `fitplug build` writes them. A
    file already on the watch with the same bytes is skipped; a different
    file with the same name is never overwritten (exit 1). PROGRAMME defaults
    to the one last used; --device to the one mounted Garmin watch.

    \b
    Example:
      fitplug install --dry-run
      fitplug install my-glutes.toml --device /Volumes/GARMIN
    """
    from fitplug.app.watch import install_workouts

    watch, results = install_workouts(programme_file, device, now=app.now(), created=created, dry_run=dry_run)
    click.echo(f"{watch.name}: {watch.newfiles_dir}")
    width = max(len(r.status) for r in results)
    for result in results:
        click.echo(f"  {result.status:<{width}}  {result.name}")
    conflicts = [r.name for r in results if r.status == "conflict"]
    moved = sum(r.status in ("copied", "would copy") for r in results)
    if dry_run:
        click.echo(f"Dry run: {_files(moved)} would be copied; nothing was written.")
    elif moved:
        click.echo(f"Copied {_files(moved)}. Eject the watch; it imports them when it is unplugged.")
    else:
        click.echo("Nothing to copy.")
    if conflicts:
        raise click.ClickException(
            f"{', '.join(conflicts)}: a different file of that name is already in {watch.newfiles_dir} "
            "(not yet imported by the watch?); remove it there and run install again"
        )


COMMANDS = (build, show, install)
