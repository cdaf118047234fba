"""What the application layer returns to the command line: finished, typed, already decided.

:mod:`fitplug.present` words these (text and JSON); nothing in it decides
anything. A sync's decision is the same :class:`Status` that ``fitplug
status`` returns, so the two say the same about the same moment.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fitplug.model.activity import ActivitySummary, LoggedSets, StoredActivity
from fitplug.model.decision import (
    ActivityKind,
    BandStanding,
    Classification,
    Decision,
    DueItem,
    PlanAgainstDone,
    RunStretch,
)
from fitplug.model.programme import Exercise, PlannedSession, Programme, RunHabit

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True)
class Status:
    """What is due at a moment, for one programme."""

    now: dt.datetime
    programme: Programme
    decision: Decision
    #: the report's and the feed's items at ``now``, with their versions, in time order (a tuple, or one
    #: that makes a kept answer's when they are looked at)
    items: Sequence[DueItem]
    #: items that closed (done, lapsed, missed) since the store last recorded them: all of them
    changed: tuple[DueItem, ...] = ()
    #: the planned sessions of the next seven days
    coming: tuple[PlannedSession, ...] = ()


class Install(enum.StrEnum):
    """What happened to one file (the words the CLI shows)."""

    COPIED = "copied"
    WOULD_COPY = "would copy"
    REPLACED = "replaced"
    WOULD_REPLACE = "would replace"
    ALREADY_THERE = "already there"
    CONFLICT = "conflict"
    HELD_BACK = "held back"
    REMOVED = "removed"
    WOULD_REMOVE = "would remove"


#: statuses that put bytes on the watch
WRITES = frozenset({Install.COPIED, Install.REPLACED, Install.WOULD_COPY, Install.WOULD_REPLACE})
#: statuses that take a file off it
REMOVES = frozenset({Install.REMOVED, Install.WOULD_REMOVE})


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What happened to one file put on the watch, and why when it did not go."""

    name: str
    status: Install
    path: Path
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Installed:
    """What ``fitplug install`` did: the watch, where its inbox is, and each file."""

    watch: str
    #: the watch's ``GARMIN/NewFiles``, in words (a path, or ``mtp://<watch>/GARMIN/NewFiles``)
    newfiles: str
    results: tuple[InstallResult, ...]
    #: what the watch had done with fitplug's files before this install (``fitplug watch``'s findings)
    before: WatchReport | None = None
    #: what the install left out and why
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file that could not be read, and why."""

    key: str
    reason: str
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class NewActivity:
    """A session (each leg of a multisport file is one) a sync stored for the first time, as the one
    classification saw it."""

    key: str
    kind: ActivityKind | str
    start_utc: dt.datetime | None
    #: which leg of the file
    leg: int = 0


@dataclass
class SyncResult:
    """What one sync read, stored and decided (filled in as it goes)."""

    sources: list[str] = field(default_factory=list)
    new: list[NewActivity] = field(default_factory=list)
    duplicates: int = 0
    unchanged: int = 0
    #: files that are not activities (workouts, settings, monitoring…), by FIT file type
    other: Counter[str] = field(default_factory=Counter)
    #: unreadable files found in this sync
    skipped: list[SkippedFile] = field(default_factory=list)
    #: unreadable files remembered from earlier syncs and not retried
    known_bad: int = 0
    #: files put off to the next sync: slow to decode, and this sync's decoding time was used up
    deferred: list[SkippedFile] = field(default_factory=list)
    #: what is due after it (``None``: no programme)
    status: Status | None = None
    #: the post-run sets that activities read in this sync completed (not repeated in ``status.changed``)
    completed: tuple[RunStretch, ...] = ()
    #: the due post-run workout put on the watch
    installed: list[InstallResult] = field(default_factory=list)
    #: what the watch (when one was read) had done with the programme's files
    watch: WatchReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def new_by_kind(self) -> Counter[str]:
        return Counter(str(a.kind) for a in self.new)


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """One session (a leg of a multisport file is one) of a stored activity: what it was, its own sets,
    and (a strength session) how it went against its plan."""

    activity: StoredActivity
    #: which leg of the file (0 for a one-session file)
    leg: int
    #: the leg as an activity of its own: its session and the sets recorded in its time span
    summary: ActivitySummary
    classification: Classification
    plan: PlanAgainstDone | None = None
    #: what the runner logged by hand (`fitplug log`) on the leg's local day, standing for the watch's sets
    logged: tuple[LoggedSets, ...] = ()


@dataclass(frozen=True, slots=True)
class Marked:
    """What ``fitplug done`` completed."""

    programme: Programme
    now: dt.datetime
    at: dt.datetime
    marked: tuple[RunStretch, ...]


@dataclass(frozen=True, slots=True)
class Logged:
    """What ``fitplug log`` recorded, corrected or took back, and what the rule makes of it now."""

    programme: Programme
    now: dt.datetime
    exercise: Exercise
    day: dt.date
    #: what stands logged for the exercise that day now (``None``: taken back)
    entry: LoggedSets | None
    #: what it replaced or took back (``None``: nothing was logged there)
    before: LoggedSets | None
    #: what the band rule makes of the entry (``None``: not a banded exercise, or taken back)
    standing: BandStanding | None
    #: the rule's answer after it
    decision: Decision


@dataclass(frozen=True, slots=True)
class WatchReport:
    """What ``fitplug watch`` found: the watch's own description, and what it did with fitplug's files."""

    name: str
    model: str | None
    software: str | None
    part_number: str | None
    #: what each folder is for (``workouts``, ``schedules``, ``activities``, ``inbox``) → where it is
    folders: dict[str, str]
    free_bytes: int | None
    #: fitplug's files of the programme the watch has taken into its own folders
    on_watch: tuple[str, ...]
    #: fitplug's files still waiting in NewFiles
    waiting: tuple[str, ...]
    #: waiting files the watch passed over when it recorded an activity since: it refused them
    not_taken: tuple[str, ...]
    #: workouts in the watch's own folder that are not this programme's
    strangers: int
    #: every workout the watch keeps now, and how many more it takes before it drops some
    kept: int
    room: int
    notes: tuple[str, ...] = ()
    #: fitplug's workouts on the watch that the programme dropped (the next install removes them)
    stale: tuple[str, ...] = ()
    #: the runner's usual run days, on which the watch's calendar offers the post-run set
    habit: RunHabit | None = None
