"""Band progression, pure: when every set of a banded exercise went past the threshold in a row of sessions.

The source's rule: pick a band that brings failure near 12 reps; when more
are possible, go tougher. fitplug counts a session for a banded exercise
(one with a band and a rep range) when it is a strength session holding that
exercise's working sets; ``sessions`` such sessions in a row with the current
band, every set past ``threshold``, name the next colour on the runner's
ladder. Sessions done before the current band was first prescribed never
count. docs/due-rule.md says it in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from fitplug.activities.rule.classify import classify, exercise_key, exercise_sets
from fitplug.activities.rule.legs import all_legs
from fitplug.model import (
    ActivityKind,
    ActivitySummary,
    BandAdvice,
    Classification,
    Exercise,
    Programme,
    Reps,
    SetRecord,
)


def banded_exercises(programme: Programme) -> list[Exercise]:
    """The exercises with a band and a rep range, each once, in programme order."""
    seen: dict[str, Exercise] = {}
    for session in programme.sessions:
        for ex in session.exercises:
            if ex.band and isinstance(ex.dose, Reps) and ex.id not in seen:
                seen[ex.id] = ex
    return list(seen.values())


def band_categories(programme: Programme) -> frozenset[str]:
    """The Garmin categories of the banded exercises: only activities with such sets matter to band advice."""
    return frozenset(exercise_key(ex)[0] for ex in banded_exercises(programme))


def banded_sets(a: ActivitySummary, c: Classification, ex: Exercise) -> list[SetRecord]:
    """The working sets of banded exercise ``ex`` in ``a`` when it is a strength session (none otherwise)."""
    if c.kind != ActivityKind.STRENGTH:
        return []
    return exercise_sets(a, exercise_key(ex))


def _past(sets: Sequence[SetRecord], threshold: int) -> bool:
    return all((s.repetitions or 0) > threshold for s in sets)


def band_advice(
    classified: Sequence[tuple[ActivitySummary, Classification]],
    programme: Programme,
    band_since: Mapping[str, dt.datetime],
) -> Iterable[BandAdvice]:
    """Per banded exercise: the last ``sessions`` sessions with the current band all went past the threshold.

    ``classified`` is in order of start; ``band_since``: when each exercise's current band
    was first prescribed (sessions before it were done with an earlier band).
    """
    rule = programme.band
    for ex in banded_exercises(programme):
        changed = band_since.get(ex.id)
        streak = 0
        since: dt.datetime | None = None
        for a, c in classified:
            if changed is not None and a.start_utc < changed:
                continue  # done with an earlier band
            sets = banded_sets(a, c, ex)
            if not sets:
                continue
            if _past(sets, rule.threshold):
                streak += 1
                if streak == rule.sessions:
                    since = a.end_utc
            else:
                streak, since = 0, None
        if streak >= rule.sessions and since is not None:
            yield BandAdvice(
                key=f"band-up-{ex.id}-{ex.band}",
                exercise=ex,
                since_utc=since,
                threshold=rule.threshold,
                sessions=rule.sessions,
                next_band=rule.next_band(ex.band),
            )


def band_settled(
    history: Iterable[ActivitySummary],
    programme: Programme,
    now: dt.datetime,
    bound: dt.datetime,
    band_since: Mapping[str, dt.datetime] | None = None,
) -> bool:
    """True when older activities cannot change the band advice over ``history``.

    ``history`` must hold every activity with a banded exercise's sets that has a
    session starting at or after ``bound``. Band advice follows each banded
    exercise's unbroken run of sessions past the threshold with the current
    band; once a session that starts at or after ``bound`` broke it, or the band
    was changed at or after ``bound``, nothing before counts.
    """
    band_since = band_since or {}
    known = [
        (a, classify(a, programme))
        for a in all_legs(history)
        if a.sessions and a.start_utc >= bound and a.end_utc <= now
    ]
    for ex in banded_exercises(programme):
        changed = band_since.get(ex.id)
        if changed is not None and changed >= bound:
            continue
        if not any((sets := banded_sets(a, c, ex)) and not _past(sets, programme.band.threshold) for a, c in known):
            return False
    return True
