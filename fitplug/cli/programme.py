"""Programme commands: ``templates``, ``init``, ``check``, ``exercises``."""

from __future__ import annotations

from pathlib import Path

import click

from fitplug.cli import options
from fitplug.cli.options import App, app_options, translate_errors


@click.command()
def templates() -> None:
    """List the programme templates `fitplug init` can write.

    \b
    Example:
      fitplug templates
    """
    from fitplug.app.programme import templates as listed

    rows = listed()
    width = max(len(name) for name, _, _ in rows)
    for name, summary, default in rows:
        click.echo(f"{name:<{width}}  {summary}{' (default)' if default else ''}")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default="programme.toml")
@click.option(
    "--template",
    "-t",
    default=None,
    metavar="NAME",
    help="Template to start from (see `fitplug templates`; default: glute-runner).",
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@app_options
@translate_errors
def init(app: App, path: Path, template: str | None, force: bool) -> None:
    """Write a programme file to edit, from a template, and remember it.

    The file is checked before it is written; later commands use it when no
    programme is named. It names today as the day you start (`start`): nothing
    before it counts as missed; move it if you began earlier.

    \b
    Example:
      fitplug init my-glutes.toml
      fitplug init --template post-run post-run.toml
    """
    from fitplug.app.programme import init_programme

    written = init_programme(path, template, force=force, now=app.now())
    click.echo(f"Wrote {written.path} from the {template or 'default'} template; edit it, then run:")
    click.echo(f"  fitplug build {written.path}")
    if written.programme.start is not None:
        click.echo(
            f"Tracking starts on {written.programme.start:%a %d %b %Y} (start in the file; "
            "move it if you began earlier)."
        )
    if written.remembered:
        click.echo(f"Remembered {written.path} as the programme for later commands.")


@click.command()
@options.programme_input
@app_options
@translate_errors
def check(app: App, programme: Path | None) -> None:
    """Check a programme file and summarise what it plans; report every problem at once.

    \b
    Example:
      fitplug check my-glutes.toml
    """
    from fitplug.app.programme import check_programme
    from fitplug.present.programme import check_lines

    checked, habit = check_programme(programme, db_path=app.store_path(), now=app.now())
    for line in check_lines(checked, habit):
        click.echo(line)


@click.command()
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
    from fitplug.app.programme import exercises as listed

    click.echo("\n".join(listed(category)))


COMMANDS = (templates, init, check, exercises)
