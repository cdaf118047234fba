"""Dated sessions and due items → iCalendar bytes a calendar app can subscribe to.

Pure: no clock, no files. The caller passes ``now`` (and, when it has one, the
feed it published before); the same arguments always give the same bytes, so
an HTTP ETag changes only when the feed's content does.

Identity and versions of events (what calendar apps use to update in place):

- UID of a planned session: ``plan.<programme id>.<session id>.<YYYY-MM-DD>@fitplug.invalid``;
  of a due item: ``due.<programme id>.<key>@fitplug.invalid``; of the feed:
  ``feed.<programme id>@fitplug.invalid``. Slugs never contain ``.``, so the
  parts cannot run into each other.
- ``SEQUENCE``, ``DTSTAMP`` and ``LAST-MODIFIED`` of a planned session are
  derived, never stored (see :mod:`fitplug.calendar.versions`): from the
  previous feed when one is given (an unchanged event keeps its version, a
  changed one gets ``SEQUENCE + 1`` and ``now``), else ``SEQUENCE:0`` stamped
  at the start of the day. So the same programme gives the same feed on any
  machine, and a query never has to write to produce it.
- A due item carries its own ``sequence`` and ``updated_utc``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vText
from icalendar.enums import TRANSP

from fitplug.calendar.versions import Stamp, content_key, previous_versions
from fitplug.calendar.zones import needs_utc, vtimezone
from fitplug.model import (
    DueItem,
    DueKind,
    Exercise,
    PlannedSession,
    Programme,
    Session,
    SessionKind,
)
from fitplug.present import words
from fitplug.programme.schedule import expand, zone
from fitplug.times import UTC, as_utc, local_midnight, whole_second_utc

#: weeks before and after today that a rolling feed covers
WEEKS_BACK = 2
WEEKS_AHEAD = 12
#: suggested minimum time between two fetches (REFRESH-INTERVAL, X-PUBLISHED-TTL)
REFRESH_INTERVAL = dt.timedelta(hours=1)
PRODID = "-//fitplug//glute programme feed//EN"
UID_DOMAIN = "fitplug.invalid"

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
) -> bytes:
    """The iCalendar feed of ``planned`` sessions and ``due_items``, as bytes.

    ``previous``: the feed as published before, if any; the planned sessions'
    SEQUENCE and DTSTAMP carry on from it (see :mod:`fitplug.calendar.versions`).
    ``window`` bounds the VTIMEZONE (default: the span of ``planned``, else the
    default window).
    """
    return _build(programme, planned, due_items, now=now, window=window, previous=previous)[0]


def _build(
    programme: Programme,
    planned: Sequence[PlannedSession],
    due_items: Sequence[DueItem],
    *,
    now: dt.datetime,
    window: Window | None,
    previous: bytes | None,
) -> tuple[bytes, list[dt.datetime]]:
    """The feed's bytes and the change time of each event in it."""
    if window is None:
        window = _span(planned) or feed_window(programme, now)
    tzid = programme.timezone
    tz = zone(tzid)

    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("UID", f"feed.{programme.id}@{UID_DOMAIN}")
    # Every TEXT value escaped (``,`` ``;`` ``\\``), line breaks kept as ``\\n``: NAME is
    # RFC 7986's, X-WR-CALNAME / X-WR-CALDESC are what Apple, Google and Outlook read.
    name = vText(_text(programme.name))
    description = vText(
        _text(programme.description, multiline=True) or f"{words.what_is_planned(programme)}, planned by fitplug."
    )
    for key, value in (
        ("NAME", name),
        ("X-WR-CALNAME", name),
        ("DESCRIPTION", description),
        ("X-WR-CALDESC", description),
    ):
        cal.add(key, value)
    # RFC 7986 §5.7 requires VALUE=DURATION; Outlook reads X-PUBLISHED-TTL instead.
    cal.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", _duration(REFRESH_INTERVAL))
    cal.add("X-WR-TIMEZONE", tzid)

    # Always declare the programme's zone: it keeps the calendar non-empty
    # (RFC 5545 wants at least one component) even with nothing planned.
    cal.add_component(vtimezone(tzid, window.start, window.end))

    versions = previous_versions(previous)
    fresh = Stamp(0, local_midnight(as_utc(now).astimezone(tz).date(), tz))
    changed_now = whole_second_utc(now)
    events: list[tuple[dt.datetime, str, Event, dt.datetime]] = []
    for p in planned:
        uid = session_uid(programme, p.session, p.date)
        event = _session_event(programme, p, uid, tz, now)
        key = content_key(event)
        old = versions.get(uid)
        if old is None:
            stamp = fresh
        elif old.key == key:
            stamp = old.stamp
        else:
            stamp = Stamp(old.stamp.sequence + 1, max(changed_now, old.stamp.changed_utc))
        _set_version(event, stamp.sequence, stamp.changed_utc)
        events.append((p.start.astimezone(UTC), uid, event, stamp.changed_utc))
    for item in _latest_per_key(due_items):
        uid = due_uid(programme, item)
        events.append((as_utc(item.start_utc), uid, _due_event(programme, item, uid, now), _due_stamp(item)))
    for _, _, event, _ in sorted(events, key=lambda e: (e[0], e[1])):
        cal.add_component(event)
    return bytes(cal.to_ical()), [e[3] for e in events]


def render_feed(
    programme: Programme,
    due_items: Iterable[DueItem],
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    previous: bytes | None = None,
) -> Feed:
    """Expand the window, pick the due items inside it and build the feed.

    ``previous``: the feed as published before (a written file, the remote copy),
    so that a changed session gets a higher SEQUENCE; see :func:`build_calendar`.
    """
    window = feed_window(programme, now, start, weeks)
    planned = expand(programme, window.start, window.end)
    tz = zone(programme.timezone)
    first = local_midnight(window.start, tz)
    last = local_midnight(window.end, tz)
    items = _latest_per_key(i for i in due_items if as_utc(i.end_utc) > first and as_utc(i.start_utc) < last)
    body, changes = _build(programme, planned, items, now=now, window=window, previous=previous)
    # A rolling window changes the bytes at the local midnight it moved on.
    changes.append(local_midnight(as_utc(now).astimezone(tz).date(), tz) if window.rolling else first)
    last_modified = min(whole_second_utc(max(changes)), whole_second_utc(now))
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    return Feed(body, etag, last_modified, window, len(planned), len(items))


# --- events -------------------------------------------------------------------


def _session_fields(programme: Programme, session: Session) -> dict[str, object]:
    """What a session's events show apart from the date: the source of both the
    event and its fingerprint, so a change anywhere here raises SEQUENCE."""
    return {
        "summary": _text(session.name),
        "description": describe_session(programme, session),
        "categories": list(_SESSION_CATEGORIES[session.kind]),
        "time": session.time.isoformat(),
        "duration_min": session.duration_min,
        "timezone": programme.timezone,
    }


def _session_event(programme: Programme, p: PlannedSession, uid: str, tz: dt.tzinfo, now: dt.datetime) -> Event:
    """A planned session's event, without its version (SEQUENCE, DTSTAMP, LAST-MODIFIED).

    Its start and end are local times in the programme's zone, except when one of
    them falls in an hour that a clock change repeats or skips: readers disagree
    on such a local time, so then both are written in UTC (the same instant for all).
    """
    fields = _session_fields(programme, p.session)
    start_utc = whole_second_utc(p.start)
    end_utc = start_utc + dt.timedelta(minutes=p.session.duration_min)
    assert isinstance(tz, ZoneInfo)
    if needs_utc(start_utc, tz) or needs_utc(end_utc, tz):
        start, end = start_utc, end_utc
    else:
        start, end = start_utc.astimezone(tz), end_utc.astimezone(tz)
    event = Event.new(
        uid=uid,
        start=start,
        end=end,
        summary=str(fields["summary"]),
        description=str(fields["description"]),
        categories=list(_SESSION_CATEGORIES[p.session.kind]),
    )
    event.pop("DTSTAMP", None)  # Event.new stamps "now": the version is set by the caller
    _add_reminder(event, programme, start_utc, str(fields["summary"]), None)
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
    stamp = _due_stamp(item)
    summary = _text(item.title) or item.kind.value.replace("_", " ")
    event = Event.new(
        uid=uid,
        stamp=stamp,
        last_modified=stamp,
        sequence=max(0, item.sequence),
        start=start,
        end=end,
        summary=summary,
        description=_text(item.detail, multiline=True) or None,
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


def describe_session(programme: Programme, session: Session) -> str:
    """The event description: what to do at the gym, exercise by exercise."""
    lines: list[str] = []
    if session.description:
        lines += [_text(session.description, multiline=True), ""]
    lines.append(f"Watch workout: {_text(session.name)} ({session.id}.fit), about {session.duration_min} min.")
    lines.append("")
    for n, exercise in enumerate(session.exercises, 1):
        lines += _describe_exercise(n, exercise)
    lines.append(f"Programme: {_text(programme.name)} (fitplug)")
    return "\n".join(lines)


def _describe_exercise(n: int, e: Exercise) -> list[str]:
    head = words.dose(e)
    warmup = " (warm-up)" if e.intensity.value == "warmup" else ""
    details: list[str] = []
    if e.tempo is not None:
        details.append(f"tempo {e.tempo}: {e.tempo.up_s} s up, {e.tempo.hold_s} s hold, {e.tempo.down_s} s down")
    if e.band:
        details.append(f"{_text(e.band)} band")
    elif e.equipment:
        details.append(_text(e.equipment))
    if e.weight_kg:
        details.append(f"{e.weight_kg:g} kg")
    if e.rest_s is None:
        details.append("rest until you press lap")
    elif e.rest_s and e.sets > 1:
        details.append(f"rest {e.rest_s} s between sets")
    if e.per_side and e.side_rest_s:
        details.append(f"{e.side_rest_s} s to switch sides")
    lines = [f"{n}. {_text(e.title)}{warmup}: {head}"]
    if details:
        lines.append("   " + " · ".join(details))
    if e.cue:
        lines.append("   Cue: " + _text(e.cue))
    lines.append("")
    return lines


# --- time zones and helpers -----------------------------------------------------


def _span(planned: Sequence[PlannedSession]) -> Window | None:
    if not planned:
        return None
    return Window(min(p.date for p in planned), max(p.date for p in planned) + dt.timedelta(days=1), False)


def _due_stamp(item: DueItem) -> dt.datetime:
    return whole_second_utc(item.updated_utc if item.updated_utc is not None else item.start_utc)


def _duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (
        "PT"
        + (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{secs}S" if secs or not (hours or minutes) else "")
    )


def _text(value: str | None, *, multiline: bool = False) -> str:
    """Text safe for an iCalendar TEXT value: control characters (other than new
    lines where allowed) dropped; icalendar escapes the rest."""
    if not value:
        return ""
    keep = "\n" if multiline else ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(ch for ch in value if ch in keep or unicodedata.category(ch) not in ("Cc", "Cs"))
    return cleaned.strip()
