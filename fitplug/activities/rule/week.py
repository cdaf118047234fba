"""One local week (Monday to Sunday) held against the programme, pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fitplug.activities.rule.classify import has_stretches
from fitplug.model import Moved, Programme, RunStretch, Session, SessionKind, State, WeekTally
from fitplug.programme.schedule import expand, zone


def tally(
    programme: Programme,
    week_start: dt.date,
    first_day: dt.date,
    strength_days: set[dt.date],
    stretch_days: set[dt.date],
    missed_days: Sequence[tuple[dt.date, Session]],
    runs: Sequence[RunStretch],
    today: dt.date,
    moved: Sequence[Moved] = (),
) -> WeekTally:
    """The week from ``week_start``: only days from ``first_day`` are planned, only days up to ``today`` done."""
    tz = zone(programme.timezone)
    week_end = week_start + dt.timedelta(days=7)
    planned_week = [
        p for p in expand(programme, max(week_start, first_day), week_end) if p.session.kind is SessionKind.STRENGTH
    ]

    def in_week(d: dt.date) -> bool:
        return week_start <= d < week_end and d <= today

    stretching = has_stretches(programme)
    run_days = [(r.run_end_utc.astimezone(tz).date(), r.state) for r in runs]
    return WeekTally(
        week_start=week_start,
        strength_done=sum(1 for d in strength_days if in_week(d)),
        strength_planned=len(planned_week),
        strength_missed=tuple(d for d, _ in missed_days if week_start <= d < week_end),
        stretch_days=sum(1 for d in stretch_days if in_week(d)),
        stretch_min=programme.targets.stretch_days_min if stretching else None,
        stretch_max=programme.targets.stretch_days_max if stretching else None,
        post_run_done=sum(1 for d, st in run_days if in_week(d) and st is State.DONE),
        post_run_missed=sum(1 for d, st in run_days if in_week(d) and st is State.MISSED),
        post_run_due=sum(1 for d, st in run_days if in_week(d) and st is State.DUE),
        strength_moved=tuple(m for m in moved if week_start <= m.planned < week_end),
    )
