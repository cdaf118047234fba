"""VTIMEZONE blocks every reader agrees on, and the instants that need UTC.

A zone with a regular yearly rule (London, New York, Sydney, most of the
world) is written the way Google, Apple and Outlook write it: one STANDARD and
one DAYLIGHT block, each with a DTSTART in 1970 and a yearly RRULE
(``FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU``). Ruby's icalendar gem and ical-library
crash on the other form (one block per change, a DTSTART each), and every
reader tried handles this one. A zone without DST gets one STANDARD block. Only
a zone whose changes follow no such rule in the feed's years (they move with a
calendar of their own) gets RDATE blocks, one date per RDATE line, because
ical.js reads only the first value of a list.

Each onset is the local time before the change, as RFC 5545 §3.6.5 reads
DTSTART with TZOFFSETFROM.

A wall-clock time that a change repeats (01:30 in London on the last Sunday of
October) or skips is read differently by different apps, so
:func:`needs_utc` tells the feed to write such an instant in UTC.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fitplug.times import UTC

if TYPE_CHECKING:
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: the RRULE-form DTSTART year, as Google, Apple and Outlook write it
_BASE_YEAR = 1970


@dataclass(frozen=True, slots=True)
class _State:
    offset: dt.timedelta
    dst: bool
    name: str


@dataclass(frozen=True, slots=True)
class _Change:
    """A change of offset, DST flag or name: its onset as the local time before it."""

    onset: dt.datetime  # naive, local time before the change
    before: _State
    after: _State


def needs_utc(instant: dt.datetime, tz: ZoneInfo) -> bool:
    """``instant`` shows a local time in ``tz`` that a clock change repeats or skips,
    so readers would not agree on it as ``TZID`` local time."""
    local = instant.astimezone(tz).replace(tzinfo=None)
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return first != second


def vtimezone(tzid: str, first_day: dt.date, end_day: dt.date) -> Timezone:
    """A VTIMEZONE for ``tzid`` valid for every instant from ``first_day`` to ``end_day``."""
    tz = ZoneInfo(tzid)
    years = range(first_day.year - 1, end_day.year + 2)
    begin = dt.datetime(years[0], 1, 1, tzinfo=UTC)
    end = dt.datetime(years[-1] + 1, 1, 1, tzinfo=UTC)
    changes = _changes(tz, begin, end)
    from icalendar import Timezone, vRecur  # here: only a feed being written needs icalendar

    block = Timezone()
    block.add("TZID", tzid)
    if not changes:
        state = _state(tz, begin)
        block.add_component(_observance(state, state, dt.datetime(_BASE_YEAR, 1, 1)))
        return block
    rules = _yearly_rules(changes, years)
    if rules is not None:
        for change, month, position, weekday in rules:
            sub = _observance(change.before, change.after, _first_onset(change, month, position, weekday))
            sub.add("RRULE", vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{position}{_WEEKDAYS[weekday]}"}))
            block.add_component(sub)
        return block
    # No regular rule: the state before the span, then each change in it, one RDATE a line.
    near = [
        c for c in changes if first_day - dt.timedelta(days=400) <= c.onset.date() <= end_day + dt.timedelta(days=400)
    ] or changes
    start_state = _state(tz, dt.datetime.combine(near[0].onset.date() - dt.timedelta(days=1), dt.time(0), UTC))
    groups: dict[tuple[_State, _State], list[dt.datetime]] = {
        (start_state, start_state): [dt.datetime.combine(near[0].onset.date() - dt.timedelta(days=1), dt.time(0))],
    }
    for change in near:
        groups.setdefault((change.before, change.after), []).append(change.onset)
    for (before, after), onsets in sorted(groups.items(), key=lambda kv: kv[1][0]):
        sub = _observance(before, after, onsets[0])
        for onset in onsets[1:]:
            sub.add("RDATE", onset)
        block.add_component(sub)
    return block


def _observance(before: _State, after: _State, onset: dt.datetime) -> TimezoneStandard | TimezoneDaylight:
    from icalendar import TimezoneDaylight, TimezoneStandard

    sub = TimezoneDaylight() if after.dst else TimezoneStandard()
    sub.add("DTSTART", onset)
    if after.name:
        sub.add("TZNAME", after.name)
    sub.add("TZOFFSETFROM", before.offset)
    sub.add("TZOFFSETTO", after.offset)
    return sub


def _yearly_rules(changes: Sequence[_Change], years: range) -> list[tuple[_Change, int, int, int]] | None:
    """Two changes a year, each on the n-th (or last) weekday of a fixed month at a fixed
    local time with fixed offsets, in every year of ``years``; else ``None``."""
    by_kind: dict[tuple[_State, _State], list[_Change]] = {}
    for change in changes:
        by_kind.setdefault((change.before, change.after), []).append(change)
    if len(by_kind) != 2 or any(len(v) != len(years) for v in by_kind.values()):
        return None
    rules: list[tuple[_Change, int, int, int]] = []
    for kind in by_kind.values():
        first = kind[0]
        month, weekday, clock = first.onset.month, first.onset.weekday(), first.onset.time()
        if {c.onset.year for c in kind} != set(years):
            return None
        if any((c.onset.month, c.onset.weekday(), c.onset.time()) != (month, weekday, clock) for c in kind):
            return None
        nth = {(c.onset.day - 1) // 7 + 1 for c in kind}
        last = {c.onset.day + 7 > calendar.monthrange(c.onset.year, month)[1] for c in kind}
        if last == {True}:
            position = -1
        elif len(nth) == 1:
            position = nth.pop()
        else:
            return None
        rules.append((first, month, position, weekday))
    return sorted(rules, key=lambda r: r[0].onset)


def _first_onset(change: _Change, month: int, position: int, weekday: int) -> dt.datetime:
    """The rule's day in the base year, at the change's local time."""
    days = [
        d
        for d in range(1, calendar.monthrange(_BASE_YEAR, month)[1] + 1)
        if dt.date(_BASE_YEAR, month, d).weekday() == weekday
    ]
    day = days[position - 1] if position > 0 else days[position]
    return dt.datetime.combine(dt.date(_BASE_YEAR, month, day), change.onset.time())


def _state(tz: ZoneInfo, instant: dt.datetime) -> _State:
    local = instant.astimezone(tz)
    return _State(local.utcoffset() or dt.timedelta(0), bool(local.dst()), local.tzname() or "")


def _changes(tz: ZoneInfo, begin: dt.datetime, end: dt.datetime) -> list[_Change]:
    """Each change in ``begin``..``end``: found day by day, then to the second by bisection."""
    out: list[_Change] = []
    t, state = int(begin.timestamp()), _state(tz, begin)
    stop = int(end.timestamp())
    while t < stop:
        nxt = min(t + 86400, stop)
        if _state(tz, dt.datetime.fromtimestamp(nxt, UTC)) == state:
            t = nxt
            continue
        lo, hi = t, nxt
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _state(tz, dt.datetime.fromtimestamp(mid, UTC)) == state:
                lo = mid
            else:
                hi = mid
        after = _state(tz, dt.datetime.fromtimestamp(hi, UTC))
        onset = (dt.datetime.fromtimestamp(hi, UTC) + state.offset).replace(tzinfo=None)
        out.append(_Change(onset, state, after))
        t, state = hi, after
    return out
