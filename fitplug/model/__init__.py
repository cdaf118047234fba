"""The data fitplug works on: frozen dataclasses and enums, no I/O.

- :mod:`.programme`: a checked programme (sessions, exercises, rules), built only by
  :mod:`fitplug.programme`;
- :mod:`.activity`: recorded activities as read and stored, built only by
  :mod:`fitplug.activities`;
- :mod:`.decision`: what the due rule decides (post-run sets, weeks, band advice, the
  items for the report and the feed; what an activity was; a strength session
  against its plan);
- :mod:`.workout`: a workout file read back (steps, repeats folded), built only by
  :mod:`fitplug.watch.view`;
- :mod:`.results`: what the application layer returns to the command line (what a
  sync read and completed, a status, an install), already decided, for
  :mod:`fitplug.present` to word.

Every other module reads them. Units are in the names (``_s`` seconds, ``_m``
metres, ``_kg``).
"""

from typing import TYPE_CHECKING, Any

from fitplug.model.activity import (
    ActivitySession,
    ActivitySummary,
    DoneMark,
    LoggedSets,
    SetRecord,
    StoredActivity,
)
from fitplug.model.decision import (
    ActivityKind,
    BandAdvice,
    BandDown,
    BandRecord,
    BandStanding,
    Classification,
    ClassifiedBy,
    Decision,
    DoneBy,
    DueItem,
    DueKind,
    ExerciseDone,
    FoundBy,
    Moved,
    PainNote,
    PlanAgainstDone,
    RunStretch,
    State,
    Verdict,
    WeekTally,
    implausible_reps,
)
from fitplug.model.programme import (
    DEFAULT_BAND_LADDER,
    DEFAULT_POST_RUN_NAME,
    BandRule,
    DueRule,
    Exercise,
    GarminExercise,
    Hold,
    Intensity,
    Lapse,
    PlannedSession,
    PostRunSet,
    Programme,
    Reps,
    RunHabit,
    Session,
    SessionKind,
    Targets,
    Tempo,
    Weekday,
)
from fitplug.model.results import (
    REMOVES,
    WRITES,
    ActivityRow,
    Install,
    Installed,
    InstallResult,
    Logged,
    Marked,
    NewActivity,
    SkippedFile,
    Status,
    SyncResult,
    WatchReport,
)

if TYPE_CHECKING:
    from fitplug.model.workout import (
        Block,
        ScheduledWorkout,
        ScheduleView,
        ViewExercise,
        ViewStep,
        WorkoutView,
        fold_repeats,
    )

#: the names of :mod:`.workout` (a workout file read back), imported when first asked for: only `show`
#: and `watch` read workout files, and no other command pays for its classes
_WORKOUT = frozenset(
    {"Block", "ScheduledWorkout", "ScheduleView", "ViewExercise", "ViewStep", "WorkoutView", "fold_repeats"}
)


def __getattr__(name: str) -> Any:
    if name not in _WORKOUT:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from fitplug.model import workout  # deferred: see above, and tests/test_architecture.py

    value = getattr(workout, name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_BAND_LADDER",
    "DEFAULT_POST_RUN_NAME",
    "ActivityKind",
    "ActivitySession",
    "ActivitySummary",
    "BandAdvice",
    "BandDown",
    "BandRecord",
    "BandStanding",
    "BandRule",
    "Block",
    "Classification",
    "Decision",
    "Moved",
    "PainNote",
    "DoneBy",
    "DoneMark",
    "LoggedSets",
    "DueItem",
    "DueKind",
    "DueRule",
    "Exercise",
    "ExerciseDone",
    "implausible_reps",
    "GarminExercise",
    "Hold",
    "Intensity",
    "Lapse",
    "PlanAgainstDone",
    "PlannedSession",
    "PostRunSet",
    "Programme",
    "Reps",
    "RunHabit",
    "RunStretch",
    "Session",
    "SessionKind",
    "SetRecord",
    "State",
    "StoredActivity",
    "Targets",
    "Tempo",
    "Verdict",
    "Weekday",
    "WeekTally",
    "ClassifiedBy",
    "FoundBy",
    "ActivityRow",
    "Install",
    "Installed",
    "InstallResult",
    "REMOVES",
    "WRITES",
    "Logged",
    "Marked",
    "NewActivity",
    "SkippedFile",
    "Status",
    "SyncResult",
    "WatchReport",
    "State",
    "StoredActivity",
    "Targets",
    "Tempo",
    "ScheduleView",
    "ScheduledWorkout",
    "ViewExercise",
    "ViewStep",
    "WeekTally",
    "Weekday",
    "WorkoutView",
    "fold_repeats",
]
