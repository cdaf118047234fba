"""The progress page: ``report``."""

from __future__ import annotations

from pathlib import Path

import click

from fitplug.cli import options
from fitplug.cli.options import App, app_options, translate_errors


@click.command()
@options.programme_input
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write (default: progress.html in the data folder).",
)
@click.option("--open", "open_it", is_flag=True, help="Open the page in the default browser.")
@app_options
@translate_errors
def report(app: App, programme: Path | None, output: Path | None, open_it: bool) -> None:
    """Write the progress page: what is due, the next two weeks, the last 12 weeks, the band.

    One HTML file with everything inside it (no network needed): open it in
    any browser, on a computer or a phone. Nothing but the file is written.

    \b
    Example:
      fitplug report --open
      fitplug report -o ~/progress.html
    """
    import webbrowser

    from fitplug.app.progress import write_report

    path = write_report(programme, db_path=app.store_path(), now=app.now(), output=output)
    click.echo(f"Wrote the progress page to {path}")
    if open_it and not webbrowser.open(path.resolve().as_uri()):
        click.echo("No browser could be opened; open the file yourself.", err=True)


COMMANDS = (report,)
