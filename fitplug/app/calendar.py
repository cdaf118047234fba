"""The feed's commands: ``calendar`` (write or print the feed) and the feed ``build`` writes.

``publish`` and ``serve``, which hand it to others, are in :mod:`fitplug.app.share`.

The writing commands (``calendar -o FILE``, ``build``'s feed, ``publish``,
``serve``) read the feeds' ledger (:mod:`fitplug.calendar.ledger`) and record
what they gave out in it; ``calendar -o -`` reads it and writes nothing. Each
writes only over its own feed of the same programme, known by its content.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fitplug.activities import tracking
from fitplug.activities.store.store import Store, reading
from fitplug.app.programme import programme_for
from fitplug.atomic import write_atomic
from fitplug.calendar import ledger
from fitplug.calendar.feed import Feed, render_feed
from fitplug.calendar.outcomes import Tracked
from fitplug.calendar.versions import identify
from fitplug.errors import OutputError
from fitplug.model import DueItem, Programme

__all__ = [
    "CalendarFile",
    "Tracked",
    "calendar_feed",
    "feed_bytes",
    "preview_due_items",
    "print_calendar",
    "read_previous",
    "recorded_due_items",
    "write_calendar",
]


@dataclass(frozen=True, slots=True)
class CalendarFile:
    """What :func:`write_calendar` wrote."""

    path: Path
    feed: Feed
    #: what was there before, when it was not fitplug's feed of the programme (``force`` replaced it)
    replaced: str | None = None


def feed_bytes(
    programme: Programme,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    db_path: Path | None = None,
) -> Feed:
    """The feed as it would be written now, writing nothing (``fitplug calendar -o -``).

    Due items come from the store opened read-only, with the sequences a sync
    would give them; the sessions' versions from the ledger (read, not written).
    """
    return render_feed(
        programme,
        preview_due_items(programme, now=now, db_path=db_path),
        now=now,
        start=start,
        weeks=weeks,
        ledger=ledger.read(programme.id),
    )


def calendar_feed(
    programme: Programme,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    due_items: Iterable[DueItem] = (),
    previous: bytes | None = None,
    record: bool = True,
) -> Feed:
    """The feed a writing command gives out (``build``, ``calendar -o FILE``), recorded in the ledger.

    ``previous`` (the feed it replaces, when it is fitplug's feed of this programme) and the
    ledger carry the sessions' SEQUENCE on. Recording before the write is safe: a version
    recorded and never seen only means the next change gets the number after it.
    """
    if previous is not None and not identify(previous, programme.id).own:
        previous = None
    feed = render_feed(
        programme, due_items, now=now, start=start, weeks=weeks, previous=previous, ledger=ledger.read(programme.id)
    )
    if record:
        ledger.record(programme.id, feed.given)
    return feed


def preview_due_items(programme: Programme, *, now: dt.datetime, db_path: Path | None) -> Tracked:
    """The due items at ``now`` as the feed shows them, from the store opened read-only:
    never writes, never waits on a sync's write lock (WAL readers do not block). None
    before the first sync (no store): nothing is known to be due, done or missed yet."""
    with reading(db_path) as store:
        if store is None:
            return Tracked()
        status = tracking.status(store, programme, now)
        return Tracked(status.items, status.decision.first_day)


def read_previous(path: Path) -> bytes | None:
    """The feed a write is about to replace, when there is one to read."""
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def recorded_due_items(programme: Programme, *, now: dt.datetime, db_path: Path | None) -> Tracked:
    """The due items at ``now``, recorded in the store (the feed's memory); none before a sync."""
    if db_path is None or not db_path.is_file():
        return Tracked()
    with Store(db_path) as store:
        status = tracking.record(store, programme, now)
        return Tracked(status.items, status.decision.first_day)


def write_calendar(
    programme_file: Path | None,
    output: Path | None,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    db_path: Path | None = None,
    force: bool = False,
) -> CalendarFile:
    """`fitplug calendar -o FILE`: write the feed atomically (default ``out/<programme id>.ics``).

    Only over nothing or fitplug's own feed of this programme (known by its content);
    anything else is refused, untouched, unless ``force`` (then :attr:`CalendarFile.replaced` says what).
    """
    programme = programme_for(programme_file).programme
    path = Path(output) if output is not None else Path("out") / f"{programme.id}.ics"
    if path.is_dir():
        raise OutputError(f"{path} is a folder; name the file to write")
    previous = read_previous(path)
    found = identify(previous, programme.id)
    if path.exists() and previous is None:
        found = dataclasses.replace(found, own=False, what="a file fitplug cannot read")
    if not found.own and not force:
        raise OutputError(
            f"{path}: {found.what} is there; fitplug replaces only its own feed of this programme, "
            "so nothing was written (--force replaces it)"
        )
    due = recorded_due_items(programme, now=now, db_path=db_path)
    feed = calendar_feed(programme, now=now, start=start, weeks=weeks, due_items=due, previous=previous, record=False)
    write_atomic(path, feed.body)
    ledger.record(programme.id, feed.given)
    return CalendarFile(path, feed, None if found.own else found.what)


def print_calendar(
    programme_file: Path | None,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    db_path: Path | None = None,
) -> bytes:
    """`fitplug calendar -o -`: the feed's bytes; writes nothing anywhere."""
    programme = programme_for(programme_file).programme
    return feed_bytes(programme, now=now, start=start, weeks=weeks, db_path=db_path).body
