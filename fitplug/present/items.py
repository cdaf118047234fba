"""The due rule's answers as items for the report and the feed: one :class:`DueItem` each, worded here.

The rule decides what is due, done, lapsed, missed and advised, with their
times; this module gives each its key, title and detail, in the words every
other place uses (:mod:`.words`). The store versions the items by their
content, so a change of words here is a new version of the item in every
subscribed calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from fitplug.model import Decision, DueItem, DueKind, Moved, Programme, RunStretch, Session, State
from fitplug.present import words
from fitplug.programme.schedule import expand, zone
from fitplug.times import UTC

#: minutes a post-run item lasts in the calendar when the programme has no post-run set
_POST_RUN_MIN = 5
#: minutes a band advice lasts in the calendar
_BAND_MIN = 15


def due_items(decision: Decision, programme: Programme) -> tuple[DueItem, ...]:
    """Every item of ``decision``, in time order."""
    tz = zone(programme.timezone)
    held: dict[int, str] = {}  # what each post-run set holds, worded once (by the session's identity)
    items = [_post_run_item(r, tz, held) for r in decision.runs]
    for day, session in decision.strength_missed:
        planned = expand(programme, day, day + dt.timedelta(days=1))[0]
        items.append(
            DueItem(
                DueKind.STRENGTH_MISSED,
                _missed_key(day),
                planned.start.astimezone(UTC),
                planned.end.astimezone(UTC),
                f"{session.name} missed",
                f"No strength activity was recorded on {words.day(day)}.",
            )
        )
    for m in decision.strength_moved:
        planned = expand(programme, m.planned, m.planned + dt.timedelta(days=1))[0]
        shift = m.done - m.planned  # wall-clock days: the planned time of day, on the day it was done
        items.append(
            DueItem(
                DueKind.STRENGTH_MOVED,
                _moved_key(m.planned),
                (planned.start + shift).astimezone(UTC),
                (planned.end + shift).astimezone(UTC),
                f"{m.session.name} done, {words.moved(m)}",
                f"Planned for {words.day(m.planned)}, done on {words.day(m.done)}: it counts for the planned day.",
            )
        )
    for b in decision.band:
        items.append(
            DueItem(
                DueKind.BAND_UP,
                b.key,
                b.since_utc,
                b.since_utc + dt.timedelta(minutes=_BAND_MIN),
                f"Time for a tougher band: {words.band_move(b)}",
                words.band_advice(b),
            )
        )
    for d in decision.band_down:
        items.append(
            DueItem(
                DueKind.BAND_DOWN,
                d.key,
                d.since_utc,
                d.since_utc + dt.timedelta(minutes=_BAND_MIN),
                f"Time for a lighter band: {words.band_lighter(d)}",
                words.band_down(d),
            )
        )
    items.sort(key=lambda i: (i.start_utc, i.key))
    return tuple(items)


def item_keys(
    runs: Iterable[RunStretch], missed: Iterable[tuple[dt.date, Session]], moved: Iterable[Moved]
) -> set[str]:
    """The keys of the items :func:`due_items` gives for these post-run sets and planned strength days."""
    return {*(r.key for r in runs), *(_missed_key(d) for d, _ in missed), *(_moved_key(m.planned) for m in moved)}


def _missed_key(day: dt.date) -> str:
    return f"strength-missed-{day.isoformat()}"


def _moved_key(day: dt.date) -> str:
    return f"strength-moved-{day.isoformat()}"


def _post_run_item(r: RunStretch, tz: dt.tzinfo, held: dict[int, str]) -> DueItem:
    session = r.done_as if r.state is State.DONE else r.session
    name = session.name if session is not None else "Post-run stretch"
    if (stretches := held.get(id(session))) is None:
        stretches = held[id(session)] = words.stretches(session)
    minutes = session.duration_min if session is not None else _POST_RUN_MIN
    km = f"{r.distance_m / 1000:.1f} km " if r.distance_m else ""
    detail = f"After the {km}run of {words.day_time(r.run_start_utc.astimezone(tz))}."
    if r.state is State.DONE and r.done_utc is not None:
        kind, title = DueKind.STRETCH_DONE, f"{name} done: {stretches}"
        done = r.done_utc.astimezone(tz)
        detail += f" Done at {done.hour:02d}:{done.minute:02d} ({r.done_by})."
    elif r.state is State.MISSED:
        kind, title = DueKind.STRETCH_MISSED, f"{name} missed: {stretches}"
    else:
        kind, title = DueKind.STRETCH_DUE, f"{name} due: {stretches}"
        detail += f" Due until {words.until(r.lapse_utc, tz)}."
    start = r.run_end_utc
    return DueItem(kind, r.key, start, start + dt.timedelta(minutes=minutes), title, detail)
