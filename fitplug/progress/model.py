"""What the progress page shows: plain values, already decided and worded.

Nothing here computes: :func:`fitplug.app.progress.page_data` fills these in
from the due rule's answers, and :mod:`fitplug.progress.html` lays them out.
Dates are the programme's local dates; times are local ``HH:MM`` text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DueSet:
    """A post-run set due now."""

    name: str  #: ``Post-run 1 Stretch (Pigeon Pose + Lying Figure-Four)``
    after: str  #: ``your 10.2 km run yesterday, 07:14–08:02``
    until: str  #: ``Sat 21 Nov 23:59`` or ``your next run``


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """A planned session of the coming two weeks."""

    day: dt.date
    start: str
    end: str
    name: str
    kind: str  #: ``strength`` or ``stretch``
    exercises: str


@dataclass(frozen=True, slots=True)
class WeekRow:
    """One local week (Monday to Sunday) as the rule tallied it."""

    week_start: dt.date
    strength_done: int
    strength_planned: int
    strength_missed: int
    stretch_days: int
    #: the weekly stretching target (``None``: the programme holds no stretches)
    stretch_min: int | None
    stretch_max: int | None
    post_run_done: int
    post_run_missed: int
    post_run_due: int
    #: the week holding now: still open
    current: bool = False
    #: the tracking start, when it falls inside this week (after its Monday): days before it count for nothing
    from_day: dt.date | None = None


@dataclass(frozen=True, slots=True)
class BandSession:
    """One session's sets of a banded exercise."""

    day: dt.date
    band: str | None  #: the band it is attributed to
    reps: tuple[int | None, ...]
    #: whether the band rule used it, in words (``counts``; ``2 of 6 sets: not counted``; ...)
    counted: str = "counts"


@dataclass(frozen=True, slots=True)
class BandChange:
    """The band changed before the session at ``index`` of the series."""

    index: int
    day: dt.date
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class BandSeries:
    """A banded exercise over time."""

    title: str
    band: str | None  #: the band the programme prescribes now
    threshold: int
    #: True: a set counts when it goes past ``threshold``; False: when it reaches it
    past: bool
    #: ``every set at 15 reps or more in 2 sessions in a row``
    rule_words: str
    sessions: tuple[BandSession, ...]
    changes: tuple[BandChange, ...] = ()
    #: the rule's advice now, in words (``None``: keep the band)
    advice: str | None = None
    #: when the rule says go lighter, in words (``every set stays under 12 reps in 2 sessions in a row``)
    lighter_words: str = ""
    next_band: str | None = None


@dataclass(frozen=True, slots=True)
class ExerciseDone:
    """One exercise of a strength session: planned beside recorded."""

    title: str
    sets_planned: int
    sets_done: int
    target: str  #: ``12–15 reps`` or ``20–30 s``
    recorded: tuple[str, ...]  #: each set as recorded (``14``, ``30 s``, ``?``)
    #: True: every recorded set is inside the target range or above it
    on_target: bool


@dataclass(frozen=True, slots=True)
class SessionDone:
    """A recorded strength session against its plan."""

    day: dt.date
    start: str
    name: str  #: the planned session, or ``unplanned`` day
    planned: bool
    exercises: tuple[ExerciseDone, ...]
    #: sets the watch recorded that match no exercise of the session
    other_sets: int = 0


@dataclass(frozen=True, slots=True)
class ProgressPage:
    """Everything the page shows, for one instant."""

    programme: str
    timezone: str
    now: dt.datetime  #: local, aware
    due: tuple[DueSet, ...]
    #: the set that comes after the next run
    next_post_run: str | None
    plan: tuple[PlannedRow, ...]
    weeks: tuple[WeekRow, ...]
    #: ``This week (from Mon 16 Nov): strength 1 of 2 days …``, as `fitplug status` says it
    week_line: str
    bands: tuple[BandSeries, ...]
    sessions: tuple[SessionDone, ...]
    #: lines about the data itself (``tracking since Mon 9 Nov``, ``no activities yet``)
    notes: tuple[str, ...] = ()
    #: the programme has a post-run set (without one the page says nothing post-run)
    post_run: bool = True
    #: the local day tracking started (``None``: not said)
    started: dt.date | None = None
    #: weeks of the span asked for that ended before ``started``: left out of the charts and the table
    weeks_before: int = 0
