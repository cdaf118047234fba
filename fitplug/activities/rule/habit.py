"""When the runner runs, learned from the recorded runs (pure): the days the watch's calendar offers the
post-run set on.

A weekday counts as a run day when qualifying runs fell on it in at least :data:`MIN_WEEKS` of the last
:data:`WEEKS` weeks; the post-run set is put at the usual (median) local end of those runs, to the five
minutes. No history, no run days: nothing is guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fitplug.model import Programme, RunHabit, RunStretch
from fitplug.programme.schedule import zone

#: the weeks looked back over, and in how many of them a weekday must have had a run
WEEKS = 4
MIN_WEEKS = 2


def run_habit(runs: Sequence[RunStretch], programme: Programme, now: dt.datetime) -> RunHabit:
    """The run days and the post-run set the next run gets, from the qualifying runs (:attr:`Decision.runs`,
    in order: the n-th gets the n-th variant)."""
    tz = zone(programme.timezone)
    today = now.astimezone(tz).date()
    since = today - dt.timedelta(weeks=WEEKS)
    weeks: dict[int, set[tuple[int, int]]] = {}
    ends: dict[int, list[int]] = {}
    for r in runs:
        end = r.run_end_utc.astimezone(tz)
        if not since <= end.date() < today:
            continue
        iso = end.isocalendar()
        weeks.setdefault(end.weekday(), set()).add((iso.year, iso.week))
        ends.setdefault(end.weekday(), []).append(end.hour * 60 + end.minute)
    days = []
    for weekday in sorted(weeks):
        if len(weeks[weekday]) >= MIN_WEEKS:
            minutes = int(5 * round(_median(ends[weekday]) / 5)) % (24 * 60)
            days.append((weekday, dt.time(minutes // 60, minutes % 60)))
    return RunHabit(tuple(days), len(runs))


def _median(values: list[int]) -> float:
    """The middle value (of the two middle ones, their mean): ``statistics`` costs 10 ms to import."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
