"""Recorded activities as fitplug keeps them: what was read from a FIT activity file, and done marks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fitplug.times import FIT_EPOCH


@dataclass(frozen=True, slots=True)
class SetRecord:
    """One ``set`` message of a strength activity."""

    start_utc: dt.datetime | None
    #: ``active`` or ``rest``
    set_type: str
    repetitions: int | None = None
    weight_kg: float | None = None
    #: FIT exercise category name, when the watch recorded one
    category: str | None = None
    #: FIT exercise name id within the category
    exercise_name: int | None = None
    duration_s: float | None = None
    #: the workout step it was done for, when done from a workout
    wkt_step_index: int | None = None


@dataclass(frozen=True, slots=True)
class ActivitySession:
    """One ``session`` message: a whole activity, or one leg of a multisport one."""

    sport: str
    sub_sport: str | None
    start_utc: dt.datetime
    #: offset of the watch's local time from UTC at the start, seconds
    utc_offset_s: int | None
    elapsed_s: float | None
    timer_s: float | None
    distance_m: float | None
    avg_hr: int | None

    @property
    def end_utc(self) -> dt.datetime:
        return self.start_utc + dt.timedelta(seconds=self.elapsed_s or self.timer_s or 0)

    @property
    def start_local(self) -> dt.datetime | None:
        """Wall-clock start on the watch, naive, when the file says its offset."""
        if self.utc_offset_s is None:
            return None
        return (self.start_utc + dt.timedelta(seconds=self.utc_offset_s)).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class ActivitySummary:
    """What fitplug keeps of one recorded activity file."""

    #: sha256 of the file's bytes: the same activity copied twice counts once
    sha256: str
    #: FIT file type (``activity``, ``workout``, ``settings``, ``monitoring_b``, …);
    #: only ``activity`` files carry sessions, the rest are skipped quietly
    file_type: str
    manufacturer: str | None
    product: str | None
    serial_number: int | None
    time_created: dt.datetime | None
    sessions: tuple[ActivitySession, ...]
    #: ``workout.wkt_name`` when the activity was done from a workout
    workout_name: str | None = None
    sets: tuple[SetRecord, ...] = ()
    #: what the reader found wrong with the file's values (they read as unknown); not stored
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def start_utc(self) -> dt.datetime:
        """When its first session started (the FIT epoch for a file with none: no activity the rule sees)."""
        return min((s.start_utc for s in self.sessions), default=FIT_EPOCH)

    @property
    def end_utc(self) -> dt.datetime:
        """When its last session ended (the FIT epoch for a file with none)."""
        return max((s.end_utc for s in self.sessions), default=FIT_EPOCH)


@dataclass(frozen=True, slots=True)
class DoneMark:
    """``fitplug done``: the runner says a post-run set was done at ``at_utc``.

    With ``item_key`` it completes that item; without, every item open at ``at_utc``.
    """

    at_utc: dt.datetime
    item_key: str | None = None


@dataclass(frozen=True, slots=True)
class LoggedSets:
    """`fitplug log`: the runner's own record of one exercise on one local day, preferred over the watch's.

    ``reps``: per set and side, in the order the watch records them (set 1 left, set 1 right, …);
    empty when only ``pain`` was logged. ``pain``: the exercise hurt; band progression stops there.
    """

    day: dt.date
    exercise: str
    reps: tuple[int, ...]
    pain: bool
    logged_utc: dt.datetime


@dataclass(frozen=True, slots=True)
class StoredActivity:
    """An activity as the store holds it."""

    id: int
    #: the file it was first read from
    key: str
    added_utc: dt.datetime
    summary: ActivitySummary
