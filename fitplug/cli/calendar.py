"""Calendar commands: ``calendar``, ``serve``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fitplug.cli import options
from fitplug.cli.options import App, app_options, translate_errors

if TYPE_CHECKING:
    from fitplug.app.share import ServeInfo


@click.command()
@options.programme_input
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="File to write; '-' for standard output (writes nothing else). [default: out/<programme id>.ics]",
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
@click.option("--force", is_flag=True, help="Replace FILE even when it is not fitplug's feed of this programme.")
@app_options
@translate_errors
def calendar(
    app: App, programme: Path | None, output: Path | None, start: dt.date | None, weeks: int | None, force: bool
) -> None:
    """Write an iCalendar (.ics) file of the planned sessions.

    One event per strength or stretch day, in the programme's time zone, with
    what to do at the gym in each event. Event IDs are stable, so importing the
    file again updates the events instead of duplicating them; a session you
    change gets a higher version number. After `fitplug sync` it also holds
    what is due, and which days were done, moved or missed. It replaces FILE
    only when FILE is fitplug's own feed of this programme (--force for
    anything else). PROGRAMME defaults to the one last used. To subscribe
    instead of importing, use `fitplug serve`.

    \b
    Examples:
      fitplug calendar my-programme.toml
      fitplug calendar my-programme.toml -o ~/glutes.ics --from 2027-01-04 --weeks 8
      fitplug calendar my-programme.toml -o - | less
    """
    from fitplug.app import calendar as app_calendar

    if output is not None and str(output) == "-":
        body = app_calendar.print_calendar(programme, now=app.now(), start=start, weeks=weeks, db_path=app.store_path())
        click.echo(body, nl=False)  # bytes go to the binary stream unchanged
        return
    result = app_calendar.write_calendar(
        programme, output, now=app.now(), start=start, weeks=weeks, db_path=app.store_path(), force=force
    )
    if result.replaced is not None:
        click.echo(f"Warning: --force: replaced {result.path}, which held {result.replaced}", err=True)
    feed = result.feed
    last_day = feed.window.end - dt.timedelta(days=1)
    from fitplug.present.words import plural

    click.echo(f"Wrote {result.path}: {plural(feed.sessions, 'session')}, {feed.window.start} to {last_day}")


@click.command()
@options.programme_input
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback exposes the feed to the network.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--rotate-token", is_flag=True, help="Make a new secret for the URL; subscriptions to the old URL stop working."
)
@app_options
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
    from fitplug.app.progress import served_page
    from fitplug.app.share import serve as run_server

    def ready(info: ServeInfo) -> None:
        if info.warning:
            click.echo(f"Warning: {info.warning}", err=True)
        click.echo(f"Serving {info.programme_name!r}. Subscribe with:")
        click.echo(f"  {info.webcal_url}")
        click.echo(f"  {info.url}")
        click.echo(f"Progress page: {info.url.rsplit('/', 1)[0]}/", err=True)
        click.echo("Press Ctrl-C to stop.", err=True)

    def log(line: str) -> None:
        stamp = app.now().astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(f"{stamp} {line}", err=True)

    run_server(
        programme,
        host=host,
        port=port,
        rotate_token=rotate_token,
        clock=app.now,
        db_path=app.store_path(),
        log=log,
        on_ready=ready,
        page_source=served_page(programme, app.store_path(), app.now),
    )
    click.echo("Stopped.", err=True)


@click.command()
@click.argument("targets", nargs=-1, metavar="[PROGRAMME] [URL]")
@options.programme_option
@click.option(
    "--force",
    is_flag=True,
    help="Replace what is at URL even when it is not fitplug's feed of this programme, "
    "or the server cannot guard the write.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True, max=3600),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up on a request (the read, the write) that takes longer than this in all.",
)
@app_options
@translate_errors
def publish(app: App, targets: tuple[str, ...], programme: Path | None, force: bool, timeout_s: float) -> None:
    """Put the calendar feed at a WebDAV URL, so any calendar can subscribe to it.

    URL names the file to write on a WebDAV server (Nextcloud, ownCloud,
    Fastmail files, a NAS, Apache or nginx with DAV); its public https link is
    what Google, iCloud and Outlook.com subscribe to. The feed is written only
    when it changed, and only if nobody else changed it since it was read
    (If-Match), and only over fitplug's own feed of this programme (known by
    its content; `--force` replaces anything else). Credentials come from ~/.netrc or FITPLUG_PUBLISH_USER and
    FITPLUG_PUBLISH_PASSWORD, never from the command line. URL and PROGRAMME
    default to the last ones used; `fitplug sync --publish` publishes after a sync.

    \b
    Examples:
      fitplug publish my-programme.toml https://cloud.example.com/remote.php/dav/files/me/glutes.ics
      fitplug publish
    """
    from fitplug.app.share import publish as publish_feed

    if len(targets) > 2:
        raise click.UsageError("at most a PROGRAMME and a URL")
    urls = [t for t in targets if "://" in t]
    files = [Path(t) for t in targets if "://" not in t]
    if len(urls) > 1 or len(files) > 1:
        raise click.UsageError("give at most one PROGRAMME and one URL")
    if files and not files[0].is_file():
        raise click.UsageError(f"{files[0]}: no such programme file")
    programme = options.one_programme(files[0] if files else None, programme)
    import sys

    from fitplug.cli.meter import Meter

    meter = Meter("Publishing") if sys.stderr.isatty() else None
    result = publish_feed(
        programme,
        urls[0] if urls else None,
        now=app.now(),
        db_path=app.store_path(),
        meter=meter,
        force=force,
        deadline_s=timeout_s,
    )
    if result.replaced_foreign is not None:
        click.echo(f"Warning: --force: replaced {result.url}, which held {result.replaced_foreign}", err=True)
    if result.changed:
        from fitplug.present.words import plural

        sessions, due = plural(result.feed.sessions, "session"), plural(result.feed.due, "due item")
        click.echo(f"Published {result.url}: {sessions}, {due}")
    else:
        click.echo(f"{result.url} is up to date; nothing written")


COMMANDS = (calendar, serve, publish)
