"""What the due rule decides: items for the report and the feed, post-run sets, weeks, band advice."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from fitplug.model.activity import SetRecord
from fitplug.model.programme import Exercise, Hold, Reps, Session


class DueKind(enum.Enum):
    """A calendar-worthy item the due rule produces."""

    STRETCH_DUE = "stretch_due"  #: post-run stretch set due now
    STRETCH_DONE = "stretch_done"  #: post-run set done
    STRETCH_MISSED = "stretch_missed"  #: post-run set lapsed undone
    STRENGTH_MISSED = "strength_missed"  #: planned strength day with no strength activity
    STRENGTH_MOVED = "strength_moved"  #: planned strength day credited with a session done a day or so off
    BAND_UP = "band_up"  #: time for a tougher band
    BAND_DOWN = "band_down"  #: time for a lighter band


@dataclass(frozen=True, slots=True)
class DueItem:
    """One item for the report and the calendar feed."""

    kind: DueKind
    #: stable key, part of the calendar UID (``stretch-<activity id>``)
    key: str
    start_utc: dt.datetime
    end_utc: dt.datetime
    title: str
    detail: str = ""
    #: when this item last changed (the feed's DTSTAMP/LAST-MODIFIED)
    updated_utc: dt.datetime | None = None
    #: raised each time the item changes (the feed's SEQUENCE)
    sequence: int = 0


# --- what an activity was -------------------------------------------------------


class ActivityKind(enum.StrEnum):
    """What the rule makes of an activity (other activities are known by their sport)."""

    RUN = "run"
    STRENGTH = "strength"
    STRETCH = "stretch"
    OTHER = "other"  #: an activity with no session


class ClassifiedBy(enum.StrEnum):
    """What decided a classification (the text is what JSON shows)."""

    WORKOUT_NAME = "workout name"  #: the activity names a fitplug workout
    SPORT = "sport"  #: its FIT sport and sub_sport
    SETS = "sets"  #: its recorded sets (every one a stretch)
    NO_SESSION = "no session"  #: a file with no session


@dataclass(frozen=True, slots=True)
class Classification:
    """What an activity was, and why."""

    #: an :class:`ActivityKind`, or the first session's FIT sport for any other activity
    kind: ActivityKind | str
    #: the fitplug workout it was done from (by its recorded name), or the post-run set its sets hold
    session: Session | None = None
    #: it was the post-run stretch set (by name, or by its sets holding one variant's stretches)
    post_run: bool = False
    by: ClassifiedBy = ClassifiedBy.SPORT


# --- post-run sets, weeks, band --------------------------------------------------


class State(enum.Enum):
    """Where a post-run set stands at ``now``."""

    DUE = "due"  #: the run is over, the set is not done, it has not lapsed
    DONE = "done"  #: a stretch workout, a stretching activity or `fitplug done` covered it
    MISSED = "missed"  #: it lapsed undone


class DoneBy(enum.StrEnum):
    """What completed a post-run set (the text is what reports and JSON show)."""

    WORKOUT = "workout"  #: the post-run stretch workout
    STRETCHING_ACTIVITY = "stretching activity"  #: any stretching activity
    MARK = "fitplug done"  #: a `fitplug done` mark
    #: a strength session whose recorded sets hold every stretch of the post-run set that was due
    STRENGTH_SESSION = "strength session with its stretches"


@dataclass(frozen=True, slots=True)
class RunStretch:
    """The post-run set one qualifying run made due, and what became of it."""

    key: str
    run_start_utc: dt.datetime
    run_end_utc: dt.datetime
    #: watch-local offset of the run, when the file said
    utc_offset_s: int | None
    sub_sport: str | None
    distance_m: float | None
    elapsed_s: float
    #: 0-based count of qualifying runs, which picks the rotation
    run_number: int
    session: Session | None
    #: when it stops being due (``None``: not until the next run, which has not happened)
    lapse_utc: dt.datetime | None
    state: State
    done_utc: dt.datetime | None = None
    done_by: DoneBy | None = None
    #: the post-run set as it was done, when a recorded post-run workout did it (it may be
    #: another variant than the one due): what the set is called once done
    done_session: Session | None = None

    @property
    def done_as(self) -> Session | None:
        """The set as it was done, else the one that was due."""
        return self.done_session or self.session


@dataclass(frozen=True, slots=True)
class Moved:
    """A planned strength day with no session of its own, credited with one done a few days off."""

    planned: dt.date
    done: dt.date
    session: Session


@dataclass(frozen=True, slots=True)
class WeekTally:
    """One local week (Monday to Sunday) held against the programme."""

    week_start: dt.date
    strength_done: int
    strength_planned: int
    #: planned strength days of this week that are over with no strength activity
    strength_missed: tuple[dt.date, ...]
    stretch_days: int
    #: the weekly stretching target (``None``: the programme holds no stretches, so has no target)
    stretch_min: int | None
    stretch_max: int | None
    #: post-run sets of this week's runs: done, missed, still due
    post_run_done: int = 0
    post_run_missed: int = 0
    post_run_due: int = 0
    #: this week's planned strength days done on another day (``move_days`` under ``[targets]``)
    strength_moved: tuple[Moved, ...] = ()


@dataclass(frozen=True, slots=True)
class BandAdvice:
    """Time for a tougher band on a banded exercise."""

    key: str
    exercise: Exercise
    #: end of the last session of the run that earned it
    since_utc: dt.datetime
    #: every working set went past this many reps
    threshold: int
    #: in this many sessions in a row with the current band
    sessions: int
    #: the next colour on the runner's ladder (``None``: the band is the ladder's toughest)
    next_band: str | None


@dataclass(frozen=True, slots=True)
class BandDown:
    """Time for a lighter band: every set fell short of the range's bottom in a row of complete sessions."""

    key: str
    exercise: Exercise
    #: end of the last session of the run that earned it
    since_utc: dt.datetime
    #: every working set stayed below this many reps (the bottom of the range)
    threshold: int
    sessions: int
    #: the colour before the current one on the ladder (``None``: the band is the ladder's lightest)
    lighter_band: str | None


@dataclass(frozen=True, slots=True)
class PainNote:
    """The runner logged pain in an exercise (`fitplug log --pain`), and nothing of it came after."""

    exercise: Exercise
    day: dt.date


class BandStanding(enum.StrEnum):
    """What one session means for a banded exercise's band advice."""

    COUNTS = "counts"  #: complete, with a believable count in every set
    PARTIAL = "partial"  #: not every planned set was recorded: neither advances nor resets
    IMPLAUSIBLE = "implausible"  #: a count no runner did: neither advances nor resets
    PAIN = "pain"  #: the runner logged pain: progression is frozen, the streaks start again


@dataclass(frozen=True, slots=True)
class BandRecord:
    """One session's sets of a banded exercise, and whether the band rule used it."""

    exercise: Exercise
    start_utc: dt.datetime
    end_utc: dt.datetime
    #: sets × sides
    planned: int
    reps: tuple[int | None, ...]
    standing: BandStanding


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the rule decided at ``now``."""

    now: dt.datetime
    #: every post-run set in time order (a tuple, or one that makes the kept settled ones when looked at)
    runs: Sequence[RunStretch]
    tally: WeekTally
    strength_missed: tuple[tuple[dt.date, Session], ...]
    band: tuple[BandAdvice, ...]
    #: the local day the bookkeeping starts (nothing before it is due or missed)
    first_day: dt.date | None = None
    #: the tallies of the weeks asked for, oldest first; the last is ``tally``
    weeks: tuple[WeekTally, ...] = ()
    #: time for a lighter band
    band_down: tuple[BandDown, ...] = ()
    #: planned strength days credited with a session done a day or so off, from the first day on
    strength_moved: tuple[Moved, ...] = ()
    #: exercises the runner logged pain in, the latest word on them
    pain: tuple[PainNote, ...] = ()
    #: how many of the first ``runs`` are settled for good (a kept answer's: none is due)
    settled: int = field(default=0, compare=False)

    @property
    def due(self) -> tuple[RunStretch, ...]:
        """Post-run sets due now, oldest first."""
        return tuple(r for r in self.runs[self.settled :] if r.state is State.DUE)


# --- a strength activity against its plan ------------------------------------------


class Verdict(enum.StrEnum):
    """One recorded set against its target range."""

    BELOW = "below"
    IN_RANGE = "in range"
    ABOVE = "above"
    UNKNOWN = "unknown"  #: no count or time was recorded
    #: a count no runner did: 0 or 1 on a reps step (a hold counted as one rep, a missed count), or far
    #: above the range (a miscount); flagged, never used for band advice
    IMPLAUSIBLE = "implausible"


def implausible_reps(count: int, dose: Reps) -> bool:
    """A rep count a watch got wrong: 0 or 1 on a reps step, or more than three times the top of the range."""
    return count <= 1 or count > 3 * dose.high


class FoundBy(enum.StrEnum):
    """How a strength activity's planned session was found (the text is what JSON shows)."""

    WORKOUT_NAME = "workout name"  #: the activity names the fitplug workout
    PLANNED_THAT_DAY = "planned that day"  #: the strength session planned on its local day
    ONLY_SESSION = "the only strength session"  #: the programme has one


@dataclass(frozen=True, slots=True)
class ExerciseDone:
    """One planned exercise and the sets recorded for it."""

    exercise: Exercise
    #: sets × sides (a per-side exercise is recorded one set a side)
    sets_planned: int
    #: the recorded active sets, in order
    sets: tuple[SetRecord, ...]

    @property
    def sets_done(self) -> int:
        return len(self.sets)

    @property
    def complete(self) -> bool:
        """Every planned set (× sides) was recorded."""
        return self.sets_done >= self.sets_planned

    @property
    def usable(self) -> bool:
        """Complete, with a believable count in every set: only such a session counts for the band."""
        return self.complete and all(v not in (Verdict.UNKNOWN, Verdict.IMPLAUSIBLE) for v in self.verdicts())

    @property
    def band_standing(self) -> BandStanding | None:
        """What these sets mean for the band advice (``None``: not a banded exercise, one with a band
        and a rep range)."""
        if not (self.exercise.band and isinstance(self.exercise.dose, Reps)):
            return None
        if not self.complete:
            return BandStanding.PARTIAL
        if not self.usable:
            return BandStanding.IMPLAUSIBLE
        return BandStanding.COUNTS

    def verdicts(self) -> list[Verdict]:
        """Per recorded set, against the target range."""
        out = []
        for s in self.sets:
            if isinstance(self.exercise.dose, Reps):
                value, low, high = s.repetitions, self.exercise.dose.low, self.exercise.dose.high
            else:
                assert isinstance(self.exercise.dose, Hold)
                value = round(s.duration_s) if s.duration_s is not None else None
                low, high = self.exercise.dose.low_s, self.exercise.dose.high_s
            if value is None:
                out.append(Verdict.UNKNOWN)
            elif isinstance(self.exercise.dose, Reps) and implausible_reps(value, self.exercise.dose):
                out.append(Verdict.IMPLAUSIBLE)
            elif value < low:
                out.append(Verdict.BELOW)
            elif value > high:
                out.append(Verdict.ABOVE)
            else:
                out.append(Verdict.IN_RANGE)
        return out


@dataclass(frozen=True, slots=True)
class PlanAgainstDone:
    """A strength activity held against its planned session."""

    session: Session
    by: FoundBy
    exercises: tuple[ExerciseDone, ...]
    #: active sets that matched no planned exercise
    other_sets: int
