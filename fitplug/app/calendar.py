"""Calendar commands: ``calendar`` (write or print the feed) and ``serve``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from fitplug import settings
from fitplug.activities import history
from fitplug.activities.store import Store, reading
from fitplug.atomic import write_atomic
from fitplug.calendar import revisions
from fitplug.calendar.feed import Feed, render_feed, revise
from fitplug.calendar.server import ServeInfo, serve_feed
from fitplug.model import DueItem, Programme
from fitplug.programme import load


@dataclass(frozen=True, slots=True)
class CalendarFile:
    """What :func:`write_calendar` wrote."""

    path: Path
    feed: Feed


def feed_bytes(
    programme: Programme, *, now: dt.datetime, start: dt.date | None = None, weeks: int | None = None,
    db_path: Path | None = None,
) -> Feed:
    """The feed as it would be written now, writing nothing (``fitplug calendar -o -``).

    Session revisions and due-item sequences are read and carried on as a
    write would, but nothing is recorded.
    """
    with reading(db_path) as store:
        _, items = history.status(store, programme, now)
    current = revise(programme, revisions.load_revisions(programme.id), now)
    return render_feed(programme, items, now=now, start=start, weeks=weeks, revisions=current)


def calendar_feed(
    programme: Programme, *, now: dt.datetime, start: dt.date | None = None, weeks: int | None = None,
    due_items: Iterable[DueItem] = (),
) -> Feed:
    """The feed, recording the session revisions (a changed session gets a higher SEQUENCE)."""
    current = revisions.update_revisions(programme, now)
    return render_feed(programme, due_items, now=now, start=start, weeks=weeks, revisions=current)


def recorded_due_items(programme: Programme, *, now: dt.datetime, db_path: Path | None) -> list[DueItem]:
    """The due items at ``now``, recorded in the store (the feed's memory); none before a sync."""
    if db_path is None or not db_path.is_file():
        return []
    with Store(db_path) as store:
        return history.due_items(store, programme, now)


def write_calendar(
    programme_file: Path | None, output: Path | None, *, now: dt.datetime, start: dt.date | None = None,
    weeks: int | None = None, db_path: Path | None = None,
) -> CalendarFile:
    """`fitplug calendar -o FILE`: write the feed atomically (default ``out/<programme id>.ics``)."""
    programme = load.load_programme(settings.programme_path(programme_file))
    due = recorded_due_items(programme, now=now, db_path=db_path)
    feed = calendar_feed(programme, now=now, start=start, weeks=weeks, due_items=due)
    path = Path(output) if output is not None else Path("out") / f"{programme.id}.ics"
    write_atomic(path, feed.body)
    return CalendarFile(path, feed)


def print_calendar(
    programme_file: Path | None, *, now: dt.datetime, start: dt.date | None = None, weeks: int | None = None,
    db_path: Path | None = None,
) -> bytes:
    """`fitplug calendar -o -`: the feed's bytes; writes nothing anywhere."""
    programme = load.load_programme(settings.programme_path(programme_file))
    return feed_bytes(programme, now=now, start=start, weeks=weeks, db_path=db_path).body


def serve(
    programme_file: Path | None, *, host: str, port: int, rotate_token: bool, clock: Callable[[], dt.datetime],
    db_path: Path, log: Callable[[str], None], on_ready: Callable[[ServeInfo], None],
) -> None:
    """`fitplug serve`: serve the feed until stopped, with what `sync` found due."""
    path = settings.programme_path(programme_file)
    serve_feed(path, host=host, port=port, rotate_token=rotate_token, clock=clock, log=log,
               on_ready=on_ready, due_source=due_source(path, clock=clock, db_path=db_path))


def due_source(
    programme_path: Path, *, clock: Callable[[], dt.datetime], db_path: Path
) -> Callable[[], list[DueItem]]:
    """The served feed's due items: the store read afresh on every call, so the feed
    shows new sync results without a restart."""

    def source() -> list[DueItem]:
        return recorded_due_items(load.load_programme(programme_path), now=clock(), db_path=db_path)

    return source
