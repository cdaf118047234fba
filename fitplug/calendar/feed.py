"""Dated sessions and due items → iCalendar bytes a calendar app can subscribe to.

Pure: no clock, no files. The caller passes ``now`` and the session
revisions (see :func:`revise`); the same arguments always give the same bytes,
so an HTTP ETag changes only when the feed's content does.

Identity and versions of events (what calendar apps use to update in place):

- UID of a planned session: ``plan.<programme id>.<session id>.<YYYY-MM-DD>@fitplug.invalid``;
  of a due item: ``due.<programme id>.<key>@fitplug.invalid``; of the feed:
  ``feed.<programme id>@fitplug.invalid``. Slugs never contain ``.``, so the
  parts cannot run into each other.
- A session's *fingerprint* is a hash of everything its events show apart from
  the date (title, description, categories, start time, length, time zone).
  :func:`revise` compares it with the last recorded one: unchanged keeps the
  revision; changed raises ``SEQUENCE`` by one and moves the change time to
  ``now``. ``DTSTAMP`` and ``LAST-MODIFIED`` are that change time.
- A due item carries its own ``sequence`` and ``updated_utc``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.enums import TRANSP

from fitplug.model import (
    DueItem,
    DueKind,
    Exercise,
    Hold,
    PlannedSession,
    Programme,
    Session,
    SessionKind,
)
from fitplug.programme.schedule import expand, zone
from fitplug.times import as_utc, whole_second_utc

_UTC = dt.UTC

#: weeks before and after today that a rolling feed covers
WEEKS_BACK = 2
WEEKS_AHEAD = 12
#: suggested minimum time between two fetches (REFRESH-INTERVAL, X-PUBLISHED-TTL)
REFRESH_INTERVAL = dt.timedelta(hours=1)
PRODID = "-//fitplug//glute programme feed//EN"
UID_DOMAIN = "fitplug.invalid"
#: bump when the rendering of a session changes, so every session gets a new SEQUENCE
RENDER_VERSION = 1

_SESSION_CATEGORIES: Mapping[SessionKind, tuple[str, ...]] = {
    SessionKind.STRENGTH: ("Strength", "Mobility", "Glutes"),
    SessionKind.STRETCH: ("Stretch", "Mobility", "Glutes"),
    SessionKind.POST_RUN: ("Stretch", "Post-run", "Glutes"),
}
_DUE_CATEGORIES: Mapping[DueKind, tuple[str, ...]] = {
    DueKind.STRETCH_DUE: ("Stretch", "Post-run", "Due"),
    DueKind.STRETCH_DONE: ("Stretch", "Post-run", "Done"),
    DueKind.STRETCH_MISSED: ("Stretch", "Post-run", "Missed"),
    DueKind.STRENGTH_MISSED: ("Strength", "Missed"),
    DueKind.BAND_UP: ("Strength", "Progression"),
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
class Revision:
    """The recorded version of a session's events."""

    fingerprint: str
    sequence: int
    #: when this version was first seen (DTSTAMP / LAST-MODIFIED), UTC, whole seconds
    changed_utc: dt.datetime


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


def session_fingerprint(programme: Programme, session: Session) -> str:
    """A hash of everything a session's events show apart from their date."""
    fields = _session_fields(programme, session)
    fields["render_version"] = RENDER_VERSION
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def revise(
    programme: Programme, previous: Mapping[str, Revision], now: dt.datetime
) -> dict[str, Revision]:
    """The session revisions after seeing ``programme`` at ``now``.

    Keys are session ids. An unchanged session keeps its revision; a changed
    one gets ``sequence + 1`` and ``changed_utc = now``; a new one starts at 0.
    Sessions no longer in the programme keep their entry, so a session that
    comes back continues its sequence instead of going back to 0.
    """
    stamp = whole_second_utc(now)
    result = dict(previous)
    for session in programme.sessions:
        fingerprint = session_fingerprint(programme, session)
        old = previous.get(session.id)
        if old is None:
            result[session.id] = Revision(fingerprint, 0, stamp)
        elif old.fingerprint != fingerprint:
            result[session.id] = Revision(fingerprint, old.sequence + 1, max(stamp, old.changed_utc))
    return result


def build_calendar(
    programme: Programme,
    planned: Sequence[PlannedSession],
    due_items: Sequence[DueItem],
    *,
    now: dt.datetime,
    revisions: Mapping[str, Revision] | None = None,
    window: Window | None = None,
) -> bytes:
    """The iCalendar feed of ``planned`` sessions and ``due_items``, as bytes.

    ``revisions`` (session id → :class:`Revision`) gives SEQUENCE and DTSTAMP;
    without it every session counts as first seen at ``now``. ``window`` bounds
    the VTIMEZONE (default: the span of ``planned``, else the default window).
    """
    if revisions is None:
        revisions = revise(programme, {}, now)
    if window is None:
        window = _span(planned) or feed_window(programme, now)
    tzid = programme.timezone

    cal = Calendar.new(
        prodid=PRODID,
        uid=f"feed.{programme.id}@{UID_DOMAIN}",
        name=_text(programme.name),
        description=_text(programme.description)
        or "Strength days, stretch days and post-run stretches, planned by fitplug.",
        refresh_interval=REFRESH_INTERVAL,
        calscale="GREGORIAN",
    )
    # RFC 7986 §5.7 requires VALUE=DURATION; icalendar 7.3 leaves it out.
    cal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    # Outlook reads X-PUBLISHED-TTL; Apple and Google read X-WR-TIMEZONE as a hint.
    cal.add("X-PUBLISHED-TTL", _duration(REFRESH_INTERVAL))
    cal.add("X-WR-TIMEZONE", tzid)

    # Always declare the programme's zone: it keeps the calendar non-empty
    # (RFC 5545 wants at least one component) even with nothing planned.
    cal.add_component(_vtimezone(tzid, window))

    events: list[tuple[dt.datetime, str, Event]] = []
    for p in planned:
        uid = session_uid(programme, p.session, p.date)
        events.append((p.start.astimezone(_UTC), uid, _session_event(programme, p, uid, revisions)))
    for item in _latest_per_key(due_items):
        uid = due_uid(programme, item)
        events.append((as_utc(item.start_utc), uid, _due_event(item, uid)))
    for _, _, event in sorted(events, key=lambda e: (e[0], e[1])):
        cal.add_component(event)
    return bytes(cal.to_ical())


def render_feed(
    programme: Programme,
    due_items: Iterable[DueItem],
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    revisions: Mapping[str, Revision] | None = None,
) -> Feed:
    """Expand the window, pick the due items inside it and build the feed."""
    window = feed_window(programme, now, start, weeks)
    if revisions is None:
        revisions = revise(programme, {}, now)
    planned = expand(programme, window.start, window.end)
    tz = zone(programme.timezone)
    first = _midnight(window.start, tz)
    last = _midnight(window.end, tz)
    items = _latest_per_key(i for i in due_items if as_utc(i.end_utc) > first and as_utc(i.start_utc) < last)
    body = build_calendar(programme, planned, items, now=now, revisions=revisions, window=window)

    changes = [revisions[p.session.id].changed_utc for p in planned if p.session.id in revisions]
    changes += [_due_stamp(i) for i in items]
    # A rolling window changes the bytes at the local midnight it moved on.
    changes.append(_midnight(as_utc(now).astimezone(tz).date(), tz) if window.rolling else first)
    last_modified = whole_second_utc(max(changes))
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


def _session_event(
    programme: Programme, p: PlannedSession, uid: str, revisions: Mapping[str, Revision]
) -> Event:
    fields = _session_fields(programme, p.session)
    rev = revisions.get(p.session.id)
    if rev is None:
        # A revisions map that lacks this session (made for another version of the
        # programme): stamp it with its own start, which is fixed, so the bytes stay stable.
        rev = revise(programme, {}, p.start)[p.session.id]
    return Event.new(
        uid=uid,
        stamp=rev.changed_utc,
        last_modified=rev.changed_utc,
        sequence=rev.sequence,
        start=p.start,
        end=p.end,
        summary=str(fields["summary"]),
        description=str(fields["description"]),
        categories=list(_SESSION_CATEGORIES[p.session.kind]),
    )


def _due_event(item: DueItem, uid: str) -> Event:
    start = whole_second_utc(item.start_utc)
    end = whole_second_utc(item.end_utc)
    if end <= start:  # a zero-length item still needs DTEND after DTSTART
        end = start + dt.timedelta(minutes=1)
    stamp = _due_stamp(item)
    return Event.new(
        uid=uid,
        stamp=stamp,
        last_modified=stamp,
        sequence=max(0, item.sequence),
        start=start,
        end=end,
        summary=_text(item.title) or item.kind.value.replace("_", " "),
        description=_text(item.detail, multiline=True) or None,
        categories=list(_DUE_CATEGORIES.get(item.kind, ("Glutes",))),
        transparency=TRANSP.TRANSPARENT,  # a reminder, not busy time
    )


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
    return (item.sequence, _due_stamp(item), as_utc(item.start_utc), as_utc(item.end_utc),
            item.kind.value, item.title, item.detail)


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
    side = " each side" if e.per_side else ""
    if isinstance(e.dose, Hold):
        dose = f"hold {e.dose}{side}"
        head = dose if e.sets == 1 else f"{e.sets} × {dose}"
    else:
        head = f"{e.sets} × {e.dose} reps{side}"
    warmup = " (warm-up)" if e.intensity.value == "warmup" else ""
    details: list[str] = []
    if e.tempo is not None:
        details.append(
            f"tempo {e.tempo}: {e.tempo.up_s} s up, {e.tempo.hold_s} s hold, {e.tempo.down_s} s down"
        )
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


def _vtimezone(tzid: str, window: Window) -> Timezone:
    """A VTIMEZONE for ``tzid`` that covers the window: its offset on the day before
    the window opens, then each change up to the day after it closes.

    Built here rather than by ``Timezone.from_tzid``: icalendar 7.3 writes the
    onset of a spring change in the new offset (03:00 for New York's 02:00 EST
    change) where RFC 5545 §3.6.5 reads DTSTART with TZOFFSETFROM, and it puts
    several RDATE values on one line, of which ical.js (Thunderbird, many web
    calendars) reads only the first. Here each onset is the local time before
    the change, and every RDATE holds one value.
    """
    tz = zone(tzid)
    first = dt.datetime.combine(window.start - dt.timedelta(days=1), dt.time(0), tz)
    last = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time(0), tz)
    initial = _zone_state(tz, int(first.timestamp()))
    # (is DST, offset before, offset after, name) → onsets as local times before the change
    observances: dict[tuple[bool, dt.timedelta, dt.timedelta, str], list[dt.datetime]] = {
        (initial[1], initial[0], initial[0], initial[2]): [first.replace(tzinfo=None)],
    }
    for instant, before, after in _zone_changes(tz, int(first.timestamp()), int(last.timestamp())):
        onset = (dt.datetime.fromtimestamp(instant, _UTC) + before[0]).replace(tzinfo=None)
        observances.setdefault((after[1], before[0], after[0], after[2]), []).append(onset)

    vtimezone = Timezone()
    vtimezone.add("TZID", tzid)
    for (is_dst, offset_from, offset_to, name), onsets in sorted(observances.items(), key=lambda kv: kv[1][0]):
        sub = TimezoneDaylight() if is_dst else TimezoneStandard()
        sub.add("DTSTART", onsets[0])
        for onset in onsets[1:]:
            sub.add("RDATE", onset)
        sub.add("TZNAME", name)
        sub.add("TZOFFSETFROM", offset_from)
        sub.add("TZOFFSETTO", offset_to)
        vtimezone.add_component(sub)
    return vtimezone


_ZoneState = tuple[dt.timedelta, bool, str]


def _zone_state(tz: dt.tzinfo, timestamp: int) -> _ZoneState:
    local = dt.datetime.fromtimestamp(timestamp, tz)
    return (local.utcoffset() or dt.timedelta(0), bool(local.dst()), local.tzname() or "")


def _zone_changes(tz: dt.tzinfo, begin: int, end: int) -> list[tuple[int, _ZoneState, _ZoneState]]:
    """Each change of offset, DST flag or name in ``begin``..``end`` (Unix seconds):
    the first second of the new state, the state before and the state after."""
    changes: list[tuple[int, _ZoneState, _ZoneState]] = []
    day = 86400  # zones change at most a few times a year: look day by day, then bisect
    t, state = begin, _zone_state(tz, begin)
    while t < end:
        nxt = min(t + day, end)
        if _zone_state(tz, nxt) == state:
            t = nxt
            continue
        lo, hi = t, nxt
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _zone_state(tz, mid) == state:
                lo = mid
            else:
                hi = mid
        after = _zone_state(tz, hi)
        changes.append((hi, state, after))
        t, state = hi, after
    return changes


def _span(planned: Sequence[PlannedSession]) -> Window | None:
    if not planned:
        return None
    return Window(min(p.date for p in planned), max(p.date for p in planned) + dt.timedelta(days=1), False)


def _due_stamp(item: DueItem) -> dt.datetime:
    return whole_second_utc(item.updated_utc if item.updated_utc is not None else item.start_utc)


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tz).astimezone(_UTC)


def _duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
        f"{secs}S" if secs or not (hours or minutes) else ""
    )


def _text(value: str | None, *, multiline: bool = False) -> str:
    """Text safe for an iCalendar TEXT value: control characters (other than new
    lines where allowed) dropped; icalendar escapes the rest."""
    if not value:
        return ""
    keep = "\n" if multiline else ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(
        ch for ch in value if ch in keep or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return cleaned.strip()
