"""The commands that hand the feed to others: ``publish`` (a WebDAV PUT) and ``serve`` (HTTP).

Kept apart from :mod:`fitplug.app.calendar` so that the commands writing a
feed into a folder (``calendar``, ``build``, ``sync``'s watch) load neither
the server nor the WebDAV client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from fitplug import settings
from fitplug.app.calendar import preview_due_items
from fitplug.app.programme import programme_for
from fitplug.calendar import ledger
from fitplug.calendar import publish as webdav
from fitplug.calendar.feed import Feed, render_feed
from fitplug.calendar.outcomes import Tracked
from fitplug.calendar.server import DueSource, PageSource, ServeInfo, open_server, serve_until_stopped
from fitplug.errors import FitplugError
from fitplug.model import Programme

__all__ = ["ServeInfo", "due_source", "publish", "serve", "store_files"]


def publish(
    programme_file: Path | None,
    url: str | None,
    *,
    now: dt.datetime,
    db_path: Path | None = None,
    meter: webdav.Meter | None = None,
    force: bool = False,
    deadline_s: float = webdav.DEADLINE_S,
) -> webdav.Published:
    """`fitplug publish [PROGRAMME] [URL]`: put the feed at a WebDAV URL when it changed (``meter`` shows it).

    Without ``url``, the one remembered from the last publish. The URL is
    remembered (it never holds credentials), and so is the programme.
    """
    target = url or settings.remembered().publish_url
    if target is None:
        raise FitplugError(
            "no URL given and none remembered; name the WebDAV file to write, "
            "e.g. https://cloud.example.com/remote.php/dav/files/me/glutes.ics"
        )
    webdav.check_url(target)
    loaded = programme_for(programme_file)
    path, programme = loaded.path, loaded.programme
    due = preview_due_items(programme, now=now, db_path=db_path)

    def build(previous: bytes | None) -> Feed:
        return render_feed(programme, due, now=now, previous=previous, ledger=ledger.read(programme.id))

    result = webdav.publish(target, build, programme_id=programme.id, force=force, deadline_s=deadline_s, meter=meter)
    ledger.record(programme.id, result.feed.given)
    settings.remember(programme=path, publish_url=target)
    return result


def serve(
    programme_file: Path | None,
    *,
    host: str,
    port: int,
    rotate_token: bool,
    clock: Callable[[], dt.datetime],
    db_path: Path,
    log: Callable[[str], None],
    on_ready: Callable[[ServeInfo], None],
    page_source: PageSource | None = None,
) -> None:
    """`fitplug serve`: serve the feed until stopped, with what `sync` found due.

    The due items are read from the store read-only, and only when the store's
    files changed (see :class:`~fitplug.calendar.server.FeedSource`).
    """
    path = settings.programme_path(programme_file)
    server, info = open_server(
        path,
        host=host,
        port=port,
        rotate_token=rotate_token,
        clock=clock,
        log=log,
        due_source=due_source(db_path=db_path),
        inputs=store_files(db_path),
        page_source=page_source,
        ledger=True,
    )
    serve_until_stopped(server, info, on_ready)


def due_source(*, db_path: Path) -> DueSource:
    """The served feed's due items for a programme at a time, read afresh from the store."""

    def source(programme: Programme, now: dt.datetime) -> Tracked:
        return preview_due_items(programme, now=now, db_path=db_path)

    return source


def store_files(db_path: Path) -> tuple[Path, ...]:
    """The files whose change means new sync results (SQLite's database and its WAL; the empty WAL
    every reader makes and removes stamps as none, see :func:`fitplug.kept.stamp`)."""
    return (db_path, db_path.with_name(db_path.name + "-wal"))
