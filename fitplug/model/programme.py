"""A programme as checked: sessions, exercises, the post-run set, the rules and targets.

Built only by :mod:`fitplug.programme`, which checks it.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class Weekday(enum.IntEnum):
    """Day of the week, numbered as :meth:`datetime.date.weekday` does."""

    MON = 0  #: Monday
    TUE = 1  #: Tuesday
    WED = 2  #: Wednesday
    THU = 3  #: Thursday
    FRI = 4  #: Friday
    SAT = 5  #: Saturday
    SUN = 6  #: Sunday

    @property
    def ical(self) -> str:
        """Two-letter iCalendar day (``MO`` … ``SU``)."""
        return self.name[:2]


class SessionKind(enum.Enum):
    """What a session is for; decides the FIT sub_sport and the calendar category."""

    STRENGTH = "strength"  #: strength and mobility day (activation, banded work, stretches)
    STRETCH = "stretch"  #: stretching day (mobility only)
    POST_RUN = "post_run"  #: the short set done after a run; not on fixed days


class Intensity(enum.Enum):
    """How a working step is marked on the watch (FIT ``intensity``)."""

    WARMUP = "warmup"  #: activation work done first
    ACTIVE = "active"  #: the working sets and the stretches


@dataclass(frozen=True, slots=True)
class GarminExercise:
    """A Garmin exercise: FIT profile category and name (``None`` = category only)."""

    category: str
    name: str | None = None
    #: the FIT id of ``name`` within ``category`` (filled in when the programme is checked)
    name_id: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.category}/{self.name}" if self.name else self.category


@dataclass(frozen=True, slots=True)
class Reps:
    """A repetition target: ``low``–``high`` reps per set (equal for a fixed count)."""

    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.low}" if self.low == self.high else f"{self.low}–{self.high}"


@dataclass(frozen=True, slots=True)
class Hold:
    """A timed hold: ``low_s``–``high_s`` seconds (equal for a fixed time)."""

    low_s: int
    high_s: int

    def __str__(self) -> str:
        return f"{self.low_s} s" if self.low_s == self.high_s else f"{self.low_s}–{self.high_s} s"


@dataclass(frozen=True, slots=True)
class Tempo:
    """Seconds for each phase of a rep: lift, pause at the top, lower."""

    up_s: int
    hold_s: int
    down_s: int

    def __str__(self) -> str:
        return f"{self.up_s}-{self.hold_s}-{self.down_s}"

    @property
    def rep_s(self) -> int:
        """Seconds one rep takes at this tempo."""
        return self.up_s + self.hold_s + self.down_s


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise as the programme prescribes it."""

    #: key of the exercise in the programme file (``glute_bridge``)
    id: str
    #: name the watch and the calendar show (``Glute Bridge``)
    title: str
    #: Garmin exercise the watch records it as
    garmin: GarminExercise
    #: number of sets (a stretch is done once: 1)
    sets: int
    #: reps per set, or a hold per set
    dose: Reps | Hold
    #: done on the left side, then the right
    per_side: bool = False
    tempo: Tempo | None = None
    #: rest after each set, seconds (0: none; ``None``: until the lap button)
    rest_s: int | None = 0
    #: pause between the left and the right side, seconds
    side_rest_s: int = 0
    #: one short coaching cue
    cue: str = ""
    #: kit needed, e.g. ``resistance band``
    equipment: str | None = None
    #: the band's colour when a band is used (progression moves it on)
    band: str | None = None
    weight_kg: float | None = None
    intensity: Intensity = Intensity.ACTIVE


@dataclass(frozen=True, slots=True)
class Session:
    """A workout: an ordered list of exercises done on the same day."""

    #: slug, used for the file name (``glute-strength.fit``) and calendar UIDs
    id: str
    #: name on the watch (at most 31 bytes of UTF-8)
    name: str
    kind: SessionKind
    exercises: tuple[Exercise, ...]
    #: weekdays the session is planned on (empty for the post-run set)
    days: tuple[Weekday, ...] = ()
    #: local start time on those days
    time: dt.time = dt.time(7, 0)
    duration_min: int = 30
    description: str = ""


@dataclass(frozen=True, slots=True)
class PostRunSet:
    """The stretches done after a training run, and how they rotate."""

    #: stretches done after every run (pigeon pose by default)
    always: tuple[Exercise, ...]
    #: stretches taken in turn to fill the set up to ``per_run``
    rotation: tuple[Exercise, ...]
    #: stretches in one post-run set
    per_run: int = 2
    #: session name on the watch
    name: str = "Post-run Stretch"
    #: put the next post-run sets on the watch's own calendar, on the runner's usual run days
    on_watch_calendar: bool = True


#: the post-run set's name when the programme gives none
DEFAULT_POST_RUN_NAME = "Post-run Stretch"


class Lapse(enum.Enum):
    """When an undone post-run stretch set stops being due and counts as missed."""

    NEXT_RUN = "next_run"  #: when the next run starts
    END_OF_NEXT_DAY = "end_of_next_day"  #: at local midnight ending the day after the run


@dataclass(frozen=True, slots=True)
class DueRule:
    """Thresholds of the post-run stretch rule."""

    #: runs shorter than this (elapsed) do not make the set due
    min_run_min: int = 20
    lapse: Lapse = Lapse.END_OF_NEXT_DAY


@dataclass(frozen=True, slots=True)
class Targets:
    """Weekly targets the tally is held against."""

    stretch_days_min: int = 2
    stretch_days_max: int = 3
    #: a strength session done this many days either side of a planned day that had none counts for it
    move_days: int = 1


#: the band ladder when the programme names none: a common order, lightest first
DEFAULT_BAND_LADDER = ("yellow", "red", "green", "blue", "black", "silver", "gold")


@dataclass(frozen=True, slots=True)
class BandRule:
    """When to suggest a tougher band (the source: failure near 12 reps; more possible, go tougher)."""

    #: the runner's band colours, lightest first
    ladder: tuple[str, ...] = DEFAULT_BAND_LADDER
    #: every working set must go past this many reps (13 or more for 12) ...
    threshold: int = 12
    #: ... in this many sessions in a row with the current band
    sessions: int = 2

    def next_band(self, band: str | None) -> str | None:
        """The next colour on the ladder after ``band`` (``None``: at the top, or not on it)."""
        names = [b.casefold() for b in self.ladder]
        if band is None or band.casefold() not in names:
            return None
        i = names.index(band.casefold())
        return self.ladder[i + 1] if i + 1 < len(self.ladder) else None

    def previous_band(self, band: str | None) -> str | None:
        """The colour before ``band`` on the ladder, the lighter one (``None``: the lightest, or not on it)."""
        names = [b.casefold() for b in self.ladder]
        if band is None or band.casefold() not in names:
            return None
        i = names.index(band.casefold())
        return self.ladder[i - 1] if i > 0 else None


@dataclass(frozen=True, slots=True)
class Programme:
    """A whole programme file, checked."""

    #: slug; part of every calendar UID and FIT serial number
    id: str
    name: str
    #: IANA time zone the sessions are planned in
    timezone: str
    sessions: tuple[Session, ...]
    post_run: PostRunSet | None = None
    due: DueRule = field(default_factory=DueRule)
    targets: Targets = field(default_factory=Targets)
    description: str = ""
    #: the file it came from, for messages
    source: str | None = None
    #: the local day the runner starts: nothing before it is missed (``None``: the day fitplug first saw it)
    start: dt.date | None = None
    band: BandRule = field(default_factory=BandRule)
    #: calendar reminder this many minutes before each session (0: none)
    reminder_min: int = 30


@dataclass(frozen=True, slots=True)
class RunHabit:
    """When the runner runs, as the recent history shows it: what the watch's calendar is given."""

    #: (weekday, 0 = Monday; the usual local end time of a run that day), in weekday order
    days: tuple[tuple[int, dt.time], ...] = ()
    #: which post-run variant the next qualifying run gets (its position in the rotation)
    next_variant: int = 0


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """A session on a date, with its zoned start and end."""

    date: dt.date
    start: dt.datetime
    end: dt.datetime
    session: Session
