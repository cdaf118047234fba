"""Band progression, pure: which sessions of a banded exercise count, and when the band should change.

The source's rule: pick a band that brings failure somewhere in the rep range
(12–15 in the default programme); when more are possible, go tougher. fitplug
holds each strength session's sets of a banded exercise (one with a band and a
rep range) against the sets the programme plans for it (sets × sides):

- a session **counts** only when every planned set was recorded with a
  believable count (:func:`~fitplug.model.decision.implausible_reps`);
- a **partial** session, or one with an **implausible** count, neither
  advances nor resets anything: it is as if it had not been recorded;
- **tougher**: every set of ``sessions`` counting sessions in a row went past
  ``threshold`` → the next colour on the runner's ladder;
- **lighter**: every set of ``sessions`` counting sessions in a row fell below
  the bottom of the range → the colour before it on the ladder;
- sessions done before the current band was first prescribed never count, so
  the advice ends when the band changes.

docs/due-rule.md says it in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence

from fitplug.activities.rule.classify import classify_all, exercise_key, exercise_sets
from fitplug.activities.rule.legs import all_legs
from fitplug.activities.rule.plan import plan_against_done
from fitplug.model import (
    ActivityKind,
    ActivitySummary,
    BandAdvice,
    BandDown,
    BandRecord,
    BandStanding,
    Classification,
    Exercise,
    ExerciseDone,
    LoggedSets,
    PainNote,
    PlanAgainstDone,
    Programme,
    Reps,
    implausible_reps,
)
from fitplug.programme.schedule import zone
from fitplug.times import local_midnight

#: how long a logged pain is shown (days) when nothing of that exercise came after it
PAIN_DAYS = 28


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


def exercise_done(a: ActivitySummary, c: Classification, ex: Exercise, programme: Programme) -> ExerciseDone | None:
    """Banded exercise ``ex`` in the strength session ``a``: its sets held against the planned ones
    (by the session's plan against done when ``ex`` is in it; else every set recorded as ``ex``
    against ``ex``'s own sets × sides). ``None``: not a strength session, or no set of ``ex``."""
    if c.kind != ActivityKind.STRENGTH:
        return None
    return _held_against(a, ex, plan_against_done(a, c, programme))


def _held_against(a: ActivitySummary, ex: Exercise, plan: PlanAgainstDone | None) -> ExerciseDone | None:
    """:func:`exercise_done` with the strength session's plan against done already made."""
    done = next((d for d in plan.exercises if d.exercise.id == ex.id), None) if plan is not None else None
    if done is None:
        done = ExerciseDone(ex, ex.sets * (2 if ex.per_side else 1), tuple(exercise_sets(a, exercise_key(ex))))
    return done if done.sets else None


def band_records(
    classified: Sequence[tuple[ActivitySummary, Classification]],
    programme: Programme,
    band_since: Mapping[str, dt.datetime],
    logged: Sequence[LoggedSets] = (),
) -> list[BandRecord]:
    """Every session of a banded exercise done with its current band, in order of start, per exercise
    in programme order, each with its standing (``classified`` is in order of start).

    What the runner logged by hand for an exercise on a local day (`fitplug log`) stands for that
    day's strength sessions of it; a day logged with no strength activity recorded is a session at
    local noon.
    """
    tz = zone(programme.timezone)
    records: list[BandRecord] = []
    plans: dict[int, PlanAgainstDone | None] = {}
    steps: dict[int, dict[int, int]] = {}  # each session's steps, planned once for this call
    for ex in banded_exercises(programme):
        changed = band_since.get(ex.id)
        mine = {e.day: e for e in logged if e.exercise == ex.id}
        own: list[BandRecord] = []
        for n, (a, c) in enumerate(classified):
            if changed is not None and a.start_utc < changed:
                continue  # done with an earlier band
            entry = mine.pop(a.start_utc.astimezone(tz).date(), None) if c.kind == ActivityKind.STRENGTH else None
            if entry is not None:
                own.append(_logged_record(ex, entry, a.start_utc, a.end_utc))
                continue
            if c.kind != ActivityKind.STRENGTH:
                continue
            if n not in plans:  # one plan against done a session, whatever the number of banded exercises
                plans[n] = plan_against_done(a, c, programme, steps=steps)
            done = _held_against(a, ex, plans[n])
            if done is not None:
                reps = tuple(s.repetitions for s in done.sets)
                standing = done.band_standing or BandStanding.COUNTS
                own.append(BandRecord(ex, a.start_utc, a.end_utc, done.sets_planned, reps, standing))
        for day, entry in mine.items():
            noon = local_midnight(day, tz) + dt.timedelta(hours=12)
            if changed is None or noon >= changed:
                own.append(_logged_record(ex, entry, noon, noon))
        records += sorted(own, key=lambda r: r.start_utc)
    return records


def _logged_record(ex: Exercise, entry: LoggedSets, start: dt.datetime, end: dt.datetime) -> BandRecord:
    """A session as the runner logged it: pain freezes; else complete and believable, as for recorded sets."""
    assert isinstance(ex.dose, Reps)
    planned = ex.sets * (2 if ex.per_side else 1)
    if entry.pain:
        standing = BandStanding.PAIN
    elif len(entry.reps) < planned:
        standing = BandStanding.PARTIAL
    elif any(implausible_reps(n, ex.dose) for n in entry.reps):
        standing = BandStanding.IMPLAUSIBLE
    else:
        standing = BandStanding.COUNTS
    return BandRecord(ex, start, end, planned, entry.reps, standing)


def pain_notes(
    classified: Sequence[tuple[ActivitySummary, Classification]],
    programme: Programme,
    logged: Sequence[LoggedSets],
    today: dt.date,
) -> list[PainNote]:
    """The exercises whose latest word is pain the runner logged, within the last :data:`PAIN_DAYS`: no
    recorded session of it, nor a log without pain, came after it."""
    tz = zone(programme.timezone)
    exercises = {e.id: e for s in programme.sessions for e in s.exercises}
    notes: list[PainNote] = []
    for ex_id in dict.fromkeys(e.exercise for e in logged if e.pain):
        ex = exercises.get(ex_id)
        latest = max(e.day for e in logged if e.exercise == ex_id and e.pain) if ex is not None else None
        if ex is None or latest is None or (today - latest).days > PAIN_DAYS:
            continue
        later_log = any(e.exercise == ex_id and not e.pain and e.day > latest for e in logged)
        later_session = any(
            c.kind == ActivityKind.STRENGTH
            and a.start_utc.astimezone(tz).date() > latest
            and exercise_sets(a, exercise_key(ex))
            for a, c in classified
        )
        if not (later_log or later_session):
            notes.append(PainNote(ex, latest))
    return notes


def _streak(records: Sequence[BandRecord], test: Callable[[int], bool], sessions: int) -> BandRecord | None:
    """The counting session that completed a run of ``sessions`` in a row passing ``test`` in every set,
    when the latest counting sessions make one (partial and implausible ones are passed over)."""
    counting = [
        r for r in records if r.standing is not BandStanding.PARTIAL and r.standing is not BandStanding.IMPLAUSIBLE
    ]
    run: list[BandRecord] = []
    for r in counting:
        if r.standing is BandStanding.COUNTS and all(n is not None and test(n) for n in r.reps):
            run.append(r)
        else:
            run = []
    return run[sessions - 1] if len(run) >= sessions else None


def band_advice(records: Sequence[BandRecord], programme: Programme) -> Iterable[BandAdvice | BandDown]:
    """Per banded exercise: tougher when its latest counting sessions all went past the threshold,
    lighter when they all fell below the range."""
    rule = programme.band
    for ex in banded_exercises(programme):
        assert isinstance(ex.dose, Reps)
        mine = [r for r in records if r.exercise.id == ex.id]
        up = _streak(mine, lambda n: n > rule.threshold, rule.sessions)
        if up is not None:
            yield BandAdvice(
                key=f"band-up-{ex.id}-{ex.band}",
                exercise=ex,
                since_utc=up.end_utc,
                threshold=rule.threshold,
                sessions=rule.sessions,
                next_band=rule.next_band(ex.band),
            )
        low = ex.dose.low
        down = _streak(mine, lambda n: n < low, rule.sessions)
        if down is not None:
            yield BandDown(
                key=f"band-down-{ex.id}-{ex.band}",
                exercise=ex,
                since_utc=down.end_utc,
                threshold=low,
                sessions=rule.sessions,
                lighter_band=rule.previous_band(ex.band),
            )


def band_settled(
    history: Iterable[ActivitySummary],
    programme: Programme,
    now: dt.datetime,
    bound: dt.datetime,
    band_since: Mapping[str, dt.datetime] | None = None,
    logged: Sequence[LoggedSets] = (),
) -> bool:
    """True when older activities cannot change the band advice over ``history``.

    ``history`` must hold every activity with a banded exercise's sets that has a
    session starting at or after ``bound``. Each advice follows the latest
    unbroken run of counting sessions; once counting sessions at or after
    ``bound`` broke both the tougher and the lighter run (or a logged pain broke
    both), or the band was changed at or after ``bound``, nothing before counts.
    """
    band_since = band_since or {}
    rule = programme.band
    legs = [
        a
        for a in sorted(all_legs(history), key=lambda a: a.start_utc)
        if a.sessions and a.start_utc >= bound and a.end_utc <= now
    ]
    known = list(zip(legs, classify_all(legs, programme), strict=True))
    records = [r for r in band_records(known, programme, {}, logged) if r.start_utc >= bound]
    for ex in banded_exercises(programme):
        assert isinstance(ex.dose, Reps)
        changed = band_since.get(ex.id)
        if changed is not None and changed >= bound:
            continue
        low = ex.dose.low
        mine = [r for r in records if r.exercise.id == ex.id]
        if any(r.standing is BandStanding.PAIN for r in mine):
            continue
        counting = [r for r in mine if r.standing is BandStanding.COUNTS]
        broke_up = any(not all(n is not None and n > rule.threshold for n in r.reps) for r in counting)
        broke_down = any(not all(n is not None and n < low for n in r.reps) for r in counting)
        if not (broke_up and broke_down):
            return False
    return True
