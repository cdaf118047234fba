"""The part of the rule's answer that is settled for good, kept, so a later answer decides only what came after.

A post-run set whose run is weeks old is done or missed, and a planned strength day weeks back is
missed or credited, for good: nothing recorded later can change them, only something recorded
*then* (a file synced late, a hand log or a mark for those days). :func:`settled` takes that part of a
whole answer, up to a cut (a local Monday), with ``until``: every record it depends on starts before
that instant. :func:`~fitplug.activities.rule.due.decide` given it (``past=``) decides only from the
cut on and gives the answer it would give over everything, as long as what is recorded before
``until`` is what it was then (the caller checks that: :mod:`fitplug.activities.tracking`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from fitplug.model import Decision, Moved, Programme, RunStretch, Session, State
from fitplug.programme.schedule import zone
from fitplug.times import UTC, local_midnight

#: how far back the cut lies: every post-run set before it is long closed (a lapse is two days at most,
#: or the next run), and what a command decides afresh is only the weeks after it
KEEP_WEEKS = 4


@dataclass(frozen=True, slots=True)
class Past:
    """The rule's settled answer before ``cut`` (local midnight of a Monday, UTC), decided at ``now``."""

    cut: dt.datetime
    #: every activity, mark and hand log it depends on starts (or is for a day) before this
    until: dt.datetime
    now: dt.datetime
    #: in time order (a tuple, or one that makes them when they are looked at: a kept answer's)
    runs: Sequence[RunStretch]
    missed: tuple[tuple[dt.date, Session], ...]
    moved: tuple[Moved, ...]

    @property
    def taken(self) -> frozenset[dt.date]:
        """The days done that were credited to a planned day before the cut: none is credited twice."""
        return frozenset(m.done for m in self.moved)


def cut_for(programme: Programme, now: dt.datetime) -> dt.datetime:
    """Where the settled part ends at ``now``: the local Monday :data:`KEEP_WEEKS` weeks back (UTC)."""
    tz = zone(programme.timezone)
    day = now.astimezone(tz).date() - dt.timedelta(weeks=KEEP_WEEKS)
    return local_midnight(day - dt.timedelta(days=day.weekday()), tz).astimezone(UTC)


def settled(decision: Decision, programme: Programme, cut: dt.datetime) -> Past | None:
    """The part of ``decision`` (over the whole history) before ``cut`` that nothing later can change;
    the cut is moved back to the Monday of the first post-run set still open before it. ``None`` when
    there is nothing to keep (no day before the cut is tracked)."""
    tz = zone(programme.timezone)
    open_runs = [r for r in decision.runs if r.run_start_utc < cut and r.state is State.DUE]
    if open_runs:
        day = open_runs[0].run_start_utc.astimezone(tz).date()
        cut = local_midnight(day - dt.timedelta(days=day.weekday()), tz).astimezone(UTC)
    cut_day = cut.astimezone(tz).date()
    if decision.first_day is None or decision.first_day >= cut_day:
        return None
    runs = tuple(r for r in decision.runs if r.run_start_utc < cut)
    # what a settled set depended on: the evidence up to its completion, else up to its lapse (never
    # ``None`` here: a set open until a run not yet run is still due); a planned day, strength days
    # ``move_days`` off, and a day's local span
    until = cut + dt.timedelta(days=programme.targets.move_days + 3)
    for r in runs:
        end = r.done_utc if r.done_utc is not None else r.lapse_utc
        if end is None:
            return None
        until = max(until, end, r.run_end_utc)  # no week tallied after ``until`` holds a settled set
    if until.microsecond:  # the store keeps whole seconds: round up, so nothing before it is left out
        until = until.replace(microsecond=0) + dt.timedelta(seconds=1)
    return Past(
        cut=cut,
        until=until,
        now=decision.now,
        runs=runs,
        missed=tuple(m for m in decision.strength_missed if m[0] < cut_day),
        moved=tuple(m for m in decision.strength_moved if m.planned < cut_day),
    )
