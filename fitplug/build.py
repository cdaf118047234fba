"""Connects the pieces: programme → workout files, schedule, calendar feed.

The only module that writes output files; every write is atomic
(:func:`fitplug.atomic.write_atomic`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .model import DueItem, Programme

if TYPE_CHECKING:
    from .ical import Feed


# --- workouts and schedule ------------------------------------------------------



# --- calendar feed ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarFile:
    """What :func:`calendar_file` wrote."""

    path: Path
    feed: Feed


def calendar_feed(
    programme: Programme | Path | str,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    due_items: Iterable[DueItem] = (),
) -> Feed:
    """The iCalendar feed of ``programme``: ``weeks`` weeks from ``start`` (default:
    two weeks back and twelve ahead of ``now``), with the due items in that window.

    Session revisions are read from and recorded in the data folder
    (:mod:`fitplug.feedstate`), so a changed session gets a higher SEQUENCE.
    """
    from .feedstate import update_revisions
    from .ical import render_feed
    from .programme import load_programme

    if not isinstance(programme, Programme):
        programme = load_programme(programme)
    revisions = update_revisions(programme, now)
    return render_feed(programme, due_items, now=now, start=start, weeks=weeks, revisions=revisions)


def calendar_file(
    programme: Programme | Path | str,
    output: Path | None = None,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    due_items: Iterable[DueItem] = (),
) -> CalendarFile:
    """Write the feed of :func:`calendar_feed` to ``output`` atomically
    (default: ``out/<programme id>.ics``)."""
    from .atomic import write_atomic
    from .programme import load_programme

    if not isinstance(programme, Programme):
        programme = load_programme(programme)
    feed = calendar_feed(programme, now=now, start=start, weeks=weeks, due_items=due_items)
    path = Path(output) if output is not None else Path("out") / f"{programme.id}.ics"
    write_atomic(path, feed.body)
    return CalendarFile(path, feed)


# --- end -------------------------------------------------------------------------
