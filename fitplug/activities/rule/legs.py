"""Every leg of a multisport recording is a session of its own, with its own sets (pure).

A watch records a strength session with a bike warm-up, or strength + run +
strength, as one file with several ``session`` messages; the file's ``set``
messages are one list. :func:`legs` gives each leg as an activity of its own:
the sets whose start falls in its time span (a set before the first leg goes
to the first, one in a gap between legs to the leg before it), and the
workout's name on the legs a workout can be done in (not a run, a ride, a
swim or a transition). The rule, ``activities``, the page: all see legs, so a
strength leg makes a strength day and a run leg may make a post-run set due.
A file with one session is its own only leg, unchanged.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import replace

from fitplug.model import ActivitySummary

#: sports whose legs carry no workout name (a watch runs workouts with sets in the others)
_NO_WORKOUT_SPORTS = frozenset({"running", "cycling", "swimming", "transition", "walking", "hiking"})


def legs(summary: ActivitySummary) -> tuple[ActivitySummary, ...]:
    """The legs of ``summary``, in order, each an activity with its own sets; a one-session file is itself."""
    if len(summary.sessions) <= 1:
        return (summary,)
    sessions = sorted(summary.sessions, key=lambda s: s.start_utc)
    starts = [s.start_utc for s in sessions]
    by_leg: list[list[int]] = [[] for _ in sessions]
    for i, record in enumerate(summary.sets):
        at = record.start_utc
        k = 0 if at is None else max(0, bisect.bisect_right(starts, at) - 1)
        by_leg[k].append(i)
    out = []
    for n, (leg, picked) in enumerate(zip(sessions, by_leg, strict=True)):
        out.append(
            replace(
                summary,
                sha256=f"{summary.sha256}#{n}",
                sessions=(leg,),
                sets=tuple(summary.sets[i] for i in picked),
                workout_name=None if leg.sport in _NO_WORKOUT_SPORTS else summary.workout_name,
            )
        )
    return tuple(out)


def all_legs(history: Iterable[ActivitySummary]) -> list[ActivitySummary]:
    """Every leg of every activity of ``history``."""
    return [leg for a in history for leg in legs(a)]
