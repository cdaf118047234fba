"""Dated sessions and due items → iCalendar bytes a calendar app can subscribe to.

Pure: no clock, no files. The caller passes ``now`` (and, when it has one, the
feed it published before); the same arguments always give the same bytes, so
an HTTP ETag changes only when the feed's content does.

Identity and versions of events (what calendar apps use to update in place):

- UID of a planned session: ``plan.<programme id>.<session id>.<YYYY-MM-DD>@fitplug.invalid``;
  of a due item: ``due.<programme id>.<key>@fitplug.invalid``. Slugs never
  contain ``.``, so the parts cannot run into each other.
- The feed itself has no UID: readers that store a subscription as items
  (vdirsyncer, CalDAV servers) take a calendar-level UID for every event's and
  keep one. It names itself with ``X-WR-RELCALID:feed.<programme id>@fitplug.invalid``
  and its PRODID; that is how ``publish`` and ``calendar -o`` know their own file.
- ``SEQUENCE``, ``DTSTAMP`` and ``LAST-MODIFIED`` of a planned session come
  from what was given out before (see :mod:`fitplug.calendar.versions`): the
  previous feed and the ledger, when given (an unchanged event keeps its
  version, a changed one gets ``SEQUENCE + 1`` and ``now``), else
  ``SEQUENCE:0`` stamped at the start of the day.
- A due item carries its own ``sequence`` and ``updated_utc``.
- Planned strength days show how they went (:mod:`fitplug.calendar.outcomes`);
  a past event keeps the start and end the ledger recorded for it.
- Calendar-level text (NAME, X-WR-CALNAME, DESCRIPTION, X-WR-CALDESC) is
  written so that it needs no escape: readers disagree on escapes in X-WR-
  properties. ``,`` ``;`` ``\\`` become ``‚`` (U+201A) ``；`` (U+FF1B) ``∖``
  (U+2216), and line breaks spaces. There is no X-WR-TIMEZONE: every time
  has its TZID or is UTC, and readers that honour it (recurring-ical-events)
  move UTC times into it, the repeated autumn hour differently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fitplug.calendar.outcomes import Outcome, Tracked, merge
from fitplug.calendar.text import describe_session, duration, plain, text
from fitplug.calendar.versions import (
    PRODID_PREFIX,
    UID_DOMAIN,
    Given,
    Previous,
    Stamp,
    choose,
    content_key,
    feed_id,
    previous_versions,
)
from fitplug.calendar.zones import needs_utc, vtimezone
from fitplug.model import (
    DueItem,
    DueKind,
    PlannedSession,
    Programme,
    Session,
    SessionKind,
)
from fitplug.present import words
from fitplug.programme.schedule import expand, zone
from fitplug.times import as_utc, local_midnight, whole_second_utc

if TYPE_CHECKING:
    from icalendar import Event

#: weeks before and after today that a rolling feed covers
WEEKS_BACK = 2
WEEKS_AHEAD = 12
#: suggested minimum time between two fetches (REFRESH-INTERVAL, X-PUBLISHED-TTL)
REFRESH_INTERVAL = dt.timedelta(hours=1)
PRODID = PRODID_PREFIX + "glute programme feed//EN"

_SESSION_CATEGORIES: Mapping[SessionKind, tuple[str, ...]] = {
    SessionKind.STRENGTH: ("Strength", "Mobility", "Glutes"),
    SessionKind.STRETCH: ("Stretch", "Mobility", "Glutes"),
    SessionKind.POST_RUN: ("Stretch", "Post-run", "Glutes"),
}
#: due items that get a reminder (when its moment is still ahead): something to do
_REMINDED = frozenset({DueKind.STRETCH_DUE})
_DUE_CATEGORIES: Mapping[DueKind, tuple[str, ...]] = {
    DueKind.STRETCH_DUE: ("Stretch", "Post-run", "Due"),
    DueKind.STRETCH_DONE: ("Stretch", "Post-run", "Done"),
    DueKind.STRETCH_MISSED: ("Stretch", "Post-run", "Missed"),
    DueKind.STRENGTH_MISSED: ("Strength", "Missed"),
    DueKind.STRENGTH_MOVED: ("Strength", "Moved"),
    DueKind.BAND_UP: ("Strength", "Progression"),
    DueKind.BAND_DOWN: ("Strength", "Progression"),
}


@dataclass(frozen=True, slots=True)
class Window:
    """The days a feed covers: ``start`` ≤ day < ``end``."""

    start: dt.date
    end: dt.date
    #: the window follows today (the default) rather than a fixed ``--from``
    rolling: bool = True

    @property
    def weeks(self) -> int:
        return (self.end - self.start).days // 7


@dataclass(frozen=True, slots=True)
class Feed:
    """A rendered feed with what HTTP needs to serve it."""

    body: bytes
    #: strong entity tag, quoted: a hash of ``body``
    etag: str
    #: the last change of anything in the feed (UTC, whole seconds)
    last_modified: dt.datetime
    window: Window
    #: planned-session events and due-item events in the feed
    sessions: int
    due: int
    #: the planned sessions' versions as given out, for the ledger
    given: Mapping[str, Given] = dataclasses.field(default_factory=dict)


def feed_window(
    programme: Programme, now: dt.datetime, start: dt.date | None = None, weeks: int | None = None
) -> Window:
    """The days to publish: from ``start`` (default: two weeks before today in the
    programme's zone) for ``weeks`` weeks (default: 14, i.e. twelve ahead)."""
    if weeks is None:
        weeks = WEEKS_BACK + WEEKS_AHEAD
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    rolling = start is None
    if start is None:
        today = as_utc(now).astimezone(zone(programme.timezone)).date()
        start = today - dt.timedelta(weeks=WEEKS_BACK)
    return Window(start, start + dt.timedelta(weeks=weeks), rolling)


def session_uid(programme: Programme, session: Session, day: dt.date) -> str:
    """The stable UID of ``session`` on ``day``."""
    return f"plan.{programme.id}.{session.id}.{day.isoformat()}@{UID_DOMAIN}"


def due_uid(programme: Programme, item: DueItem) -> str:
    """The stable UID of a due item (its key, percent-encoded outside ``[A-Za-z0-9._~-]``)."""
    return f"due.{programme.id}.{urllib.parse.quote(item.key, safe='')}@{UID_DOMAIN}"


def build_calendar(
    programme: Programme,
    planned: Sequence[PlannedSession],
    due_items: Sequence[DueItem],
    *,
    now: dt.datetime,
    window: Window | None = None,
    previous: bytes | None = None,
    ledger: Mapping[str, Given] | None = None,
) -> bytes:
    """The iCalendar feed of ``planned`` sessions and ``due_items``, as bytes.

    ``previous``: the feed as published before, if any, and ``ledger``: what the
    feed gave out before; the planned sessions' SEQUENCE and DTSTAMP carry on from
    them (see :mod:`fitplug.calendar.versions`). ``window`` bounds the VTIMEZONE
    (default: the span of ``planned``, else the default window). ``due_items`` may
    be :class:`~fitplug.calendar.outcomes.Tracked` (its ``first_day`` marks done days).
    """
    return _build(programme, planned, due_items, now=now, window=window, previous=previous, ledger=ledger)[0]


def _build(
    programme: Programme,
    planned: Sequence[PlannedSession],
    due_items: Sequence[DueItem],
    *,
    now: dt.datetime,
    window: Window | None,
    previous: bytes | None,
    ledger: Mapping[str, Given] | None,
) -> tuple[bytes, list[dt.datetime], dict[str, Given]]:
    """The feed's bytes, the change time of each event in it, and the planned events as given out."""
    if window is None:
        window = _span(planned) or feed_window(programme, now)
    tzid = programme.timezone
    tz = zone(tzid)
    ledger = ledger or {}

    from icalendar import Calendar, vText  # here: icalendar is 30 ms of import the other commands skip

    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    # No UID: vdirsyncer and CalDAV servers take it for every event's (see the module docstring).
    cal.add("X-WR-RELCALID", feed_id(programme.id))
    # NAME is RFC 7986's, X-WR-CALNAME / X-WR-CALDESC are what Apple, Google and Outlook read;
    # the values need no escape, so that every reader shows them alike.
    name = plain(programme.name)
    description = plain(programme.description) or f"{words.what_is_planned(programme)}, planned by fitplug."
    for key, value in (
        ("NAME", name),
        ("X-WR-CALNAME", name),
        ("DESCRIPTION", description),
        ("X-WR-CALDESC", description),
    ):
        cal.add(key, vText(value))
    # RFC 7986 §5.7 requires VALUE=DURATION; Outlook reads X-PUBLISHED-TTL instead.
    cal.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", duration(REFRESH_INTERVAL))

    # Always declare the programme's zone: it keeps the calendar non-empty
    # (RFC 5545 wants at least one component) even with nothing planned.
    cal.add_component(vtimezone(tzid, window.start, window.end))

    versions = previous_versions(previous)
    fresh = Stamp(0, local_midnight(as_utc(now).astimezone(tz).date(), tz))
    changed_now = whole_second_utc(now)
    today = as_utc(now).astimezone(tz).date()
    first_day = due_items.first_day if isinstance(due_items, Tracked) else None
    outcomes, shown_items = merge(planned, _latest_per_key(due_items), first_day, today)
    events: list[tuple[dt.datetime, str, Event, dt.datetime]] = []
    given: dict[str, Given] = {}
    for p in planned:
        uid = session_uid(programme, p.session, p.date)
        outcome = outcomes.get((p.session.id, p.date))
        before = ledger.get(uid)
        start_utc, end_utc = _when(p, outcome, before, now)
        event = _session_event(programme, p, uid, tz, start_utc, end_utc, outcome)
        key = content_key(event)
        known = [v for v in (versions.get(uid), before.previous if before else None) if v is not None]
        stamp = choose(key, known, fresh, changed_now)
        _set_version(event, stamp.sequence, stamp.changed_utc)
        given[uid] = Given(Previous(key, stamp), start_utc, end_utc)
        events.append((start_utc, uid, event, stamp.changed_utc))
    for item in shown_items:
        uid = due_uid(programme, item)
        events.append((as_utc(item.start_utc), uid, _due_event(programme, item, uid, now), _due_stamp(item)))
    for _, _, event, _ in sorted(events, key=lambda e: (e[0], e[1])):
        cal.add_component(event)
    return bytes(cal.to_ical()), [e[3] for e in events], given


def _when(
    p: PlannedSession, outcome: Outcome | None, before: Given | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """A planned event's start and end (UTC): on the day it was done when moved; as it was given
    out when that was over by ``now`` (a past event keeps its time when the programme's is edited)."""
    if outcome is not None and outcome.item is not None and outcome.kind is DueKind.STRENGTH_MOVED:
        start = whole_second_utc(outcome.item.start_utc)
        return start, max(whole_second_utc(outcome.item.end_utc), start + dt.timedelta(minutes=1))
    if before is not None and before.end_utc <= as_utc(now) and abs(before.start_utc - p.start) < _NEAR:
        return before.start_utc, before.end_utc
    start = whole_second_utc(p.start)
    return start, start + dt.timedelta(minutes=p.session.duration_min)


#: a recorded start this far from the planned one is not a time of day edited (a moved session, say)
_NEAR = dt.timedelta(hours=23)


def render_feed(
    programme: Programme,
    due_items: Iterable[DueItem],
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    previous: bytes | None = None,
    ledger: Mapping[str, Given] | None = None,
) -> Feed:
    """Expand the window, pick the due items inside it and build the feed.

    ``previous``: the feed as published before (a written file, the remote copy),
    and ``ledger``: what the feed gave out before, so that a changed session gets
    a higher SEQUENCE and an unchanged one keeps its own; see :func:`build_calendar`.
    """
    window = feed_window(programme, now, start, weeks)
    planned = expand(programme, window.start, window.end)
    tz = zone(programme.timezone)
    first = local_midnight(window.start, tz)
    last = local_midnight(window.end, tz)
    first_day = due_items.first_day if isinstance(due_items, Tracked) else None
    inside = Tracked(
        _latest_per_key(i for i in due_items if as_utc(i.end_utc) > first and as_utc(i.start_utc) < last), first_day
    )
    body, changes, given = _build(programme, planned, inside, now=now, window=window, previous=previous, ledger=ledger)
    # A rolling window changes the bytes at the local midnight it moved on.
    changes.append(local_midnight(as_utc(now).astimezone(tz).date(), tz) if window.rolling else first)
    last_modified = min(whole_second_utc(max(changes)), whole_second_utc(now))
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    due = len(changes) - 1 - len(given)
    return Feed(body, etag, last_modified, window, len(planned), due, given)


# --- events -------------------------------------------------------------------


def _session_fields(programme: Programme, session: Session) -> dict[str, object]:
    """What a session's events show apart from the date: the source of both the
    event and its fingerprint, so a change anywhere here raises SEQUENCE."""
    return {
        "summary": text(session.name),
        "description": describe_session(programme, session),
        "categories": list(_SESSION_CATEGORIES[session.kind]),
        "time": session.time.isoformat(),
        "duration_min": session.duration_min,
        "timezone": programme.timezone,
    }


def _session_event(
    programme: Programme,
    p: PlannedSession,
    uid: str,
    tz: dt.tzinfo,
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    outcome: Outcome | None,
) -> Event:
    """A planned session's event, without its version (SEQUENCE, DTSTAMP, LAST-MODIFIED).

    Its start and end are local times in the programme's zone, except when one of
    them falls in an hour that a clock change repeats or skips: readers disagree
    on such a local time, so then both are written in UTC (the same instant for all).
    With an ``outcome`` (a past strength day), it says how the day went and has no reminder.
    """
    fields = _session_fields(programme, p.session)
    assert isinstance(tz, ZoneInfo)
    if needs_utc(start_utc, tz) or needs_utc(end_utc, tz):
        start, end = start_utc, end_utc
    else:
        start, end = start_utc.astimezone(tz), end_utc.astimezone(tz)
    summary, description = str(fields["summary"]), str(fields["description"])
    categories = list(_SESSION_CATEGORIES[p.session.kind])
    if outcome is not None:
        item = outcome.item
        said = text(item.title) if item is not None else ""
        summary = f"{outcome.mark} {said or f'{summary} done'}"
        detail = text(item.detail, multiline=True) if item is not None else "Done on the day."
        description = f"{detail}\n\n{description}" if detail else description
        categories.append(outcome.category)
    from icalendar import Event

    event = Event.new(uid=uid, start=start, end=end, summary=summary, description=description, categories=categories)
    event.pop("DTSTAMP", None)  # Event.new stamps "now": the version is set by the caller
    if outcome is None:
        _add_reminder(event, programme, start_utc, summary, None)
    return event


def _set_version(event: Event, sequence: int, changed_utc: dt.datetime) -> None:
    event.add("DTSTAMP", changed_utc)
    event.add("LAST-MODIFIED", changed_utc)
    event.add("SEQUENCE", sequence)


def _add_reminder(
    event: Event, programme: Programme, start_utc: dt.datetime, summary: str, now: dt.datetime | None
) -> None:
    """A DISPLAY alarm ``programme.reminder_min`` before the start (0: none); with ``now``,
    only when that moment is still ahead."""
    minutes = programme.reminder_min
    if minutes <= 0:
        return
    before = dt.timedelta(minutes=minutes)
    if now is not None and start_utc - before <= as_utc(now):
        return
    from icalendar import Alarm, vText

    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", vText(summary))
    alarm.add("TRIGGER", -before)
    event.add_component(alarm)


def _due_event(programme: Programme, item: DueItem, uid: str, now: dt.datetime) -> Event:
    start = whole_second_utc(item.start_utc)
    end = whole_second_utc(item.end_utc)
    if end <= start:  # a zero-length item still needs DTEND after DTSTART
        end = start + dt.timedelta(minutes=1)
    from icalendar import Event
    from icalendar.enums import TRANSP

    stamp = _due_stamp(item)
    summary = text(item.title) or item.kind.value.replace("_", " ")
    event = Event.new(
        uid=uid,
        stamp=stamp,
        last_modified=stamp,
        sequence=max(0, item.sequence),
        start=start,
        end=end,
        summary=summary,
        description=text(item.detail, multiline=True) or None,
        categories=list(_DUE_CATEGORIES.get(item.kind, ("Glutes",))),
        transparency=TRANSP.TRANSPARENT,  # a reminder, not busy time
    )
    if item.kind in _REMINDED:
        _add_reminder(event, programme, start, summary, now)
    return event


def _latest_per_key(items: Iterable[DueItem]) -> list[DueItem]:
    """One item per key (a UID must not repeat): the highest sequence, then the latest
    change; the rest of the content breaks ties, so the input order never matters."""
    best: dict[str, DueItem] = {}
    for item in items:
        old = best.get(item.key)
        if old is None or _rank(item) > _rank(old):
            best[item.key] = item
    return list(best.values())


def _rank(item: DueItem) -> tuple[object, ...]:
    return (
        item.sequence,
        _due_stamp(item),
        as_utc(item.start_utc),
        as_utc(item.end_utc),
        item.kind.value,
        item.title,
        item.detail,
    )


# --- time zones and helpers -----------------------------------------------------


def _span(planned: Sequence[PlannedSession]) -> Window | None:
    if not planned:
        return None
    return Window(min(p.date for p in planned), max(p.date for p in planned) + dt.timedelta(days=1), False)


def _due_stamp(item: DueItem) -> dt.datetime:
    return whole_second_utc(item.updated_utc if item.updated_utc is not None else item.start_utc)
