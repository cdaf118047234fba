"""The due rule, as a pure function: history + programme + now → what is due.

No clock and no I/O here: :func:`decide` takes ``now`` and the recorded
history, and the same inputs always give the same answer. The rule is
written out for people in ``docs/due-rule.md``; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fitplug.model import (
    ActivitySession,
    ActivitySummary,
    DoneMark,
    DueItem,
    DueKind,
    Exercise,
    Lapse,
    Programme,
    Reps,
    Session,
    SessionKind,
    SetRecord,
)
from fitplug.programme.schedule import expand, post_run_variants, zone

_UTC = dt.UTC

#: running sub_sports that count as a training run (``None``: the file does not say)
RUN_SUB_SPORTS = frozenset(
    {None, "generic", "street", "road", "trail", "treadmill", "track", "indoor_running", "virtual_activity"}
)
#: sub_sports of a stretching session, whatever the sport
STRETCH_SUB_SPORTS = frozenset({"flexibility_training", "yoga", "mobility"})
#: sports that are stretching whatever the sub_sport
STRETCH_SPORTS = frozenset({"mobility", "yoga", "flexibility_training"})


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


class ActivityKind(enum.StrEnum):
    """What the rule makes of an activity (other activities are known by their sport)."""

    RUN = "run"
    STRENGTH = "strength"
    STRETCH = "stretch"
    OTHER = "other"  #: an activity with no session


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


@dataclass(frozen=True, slots=True)
class WeekTally:
    """One local week (Monday to Sunday) held against the programme."""

    week_start: dt.date
    strength_done: int
    strength_planned: int
    #: planned strength days of this week that are over with no strength activity
    strength_missed: tuple[dt.date, ...]
    stretch_days: int
    stretch_min: int
    stretch_max: int


@dataclass(frozen=True, slots=True)
class BandAdvice:
    """Time for a tougher band on a banded exercise."""

    key: str
    exercise: Exercise
    since_utc: dt.datetime
    top_reps: int


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the rule decided at ``now``."""

    now: dt.datetime
    runs: tuple[RunStretch, ...]
    tally: WeekTally
    strength_missed: tuple[tuple[dt.date, Session], ...]
    band: tuple[BandAdvice, ...]
    #: the report's and the feed's items, in time order
    items: tuple[DueItem, ...] = field(default=())

    @property
    def due(self) -> tuple[RunStretch, ...]:
        """Post-run sets due now, oldest first."""
        return tuple(r for r in self.runs if r.state is State.DUE)


# --- classifying activities ------------------------------------------------------


def is_run(session: ActivitySession) -> bool:
    return session.sport == "running" and session.sub_sport in RUN_SUB_SPORTS


def is_stretching(summary: ActivitySummary) -> bool:
    return any(s.sport in STRETCH_SPORTS or s.sub_sport in STRETCH_SUB_SPORTS for s in summary.sessions)


def is_strength(summary: ActivitySummary) -> bool:
    return any(s.sport == "training" and s.sub_sport == "strength_training" for s in summary.sessions)


def activity_kind(summary: ActivitySummary) -> ActivityKind | str:
    """An :class:`ActivityKind`, or the first session's sport (``cycling``) for any other activity."""
    if any(is_run(s) for s in summary.sessions):
        return ActivityKind.RUN
    if is_strength(summary):
        return ActivityKind.STRENGTH
    if is_stretching(summary):
        return ActivityKind.STRETCH
    return summary.sessions[0].sport if summary.sessions else ActivityKind.OTHER


def _seconds(session: ActivitySession) -> float:
    return float(session.elapsed_s or session.timer_s or 0.0)


def _start(summary: ActivitySummary) -> dt.datetime:
    return min(s.start_utc for s in summary.sessions)


def _end(summary: ActivitySummary) -> dt.datetime:
    return max(s.end_utc for s in summary.sessions)


def _exercise_key(exercise: Exercise) -> tuple[str, int | None]:
    g = exercise.garmin
    return g.category, g.name_id


def _set_matches(category: str | None, name: int | None, key: tuple[str, int | None]) -> bool:
    # A watch may record the category alone; that is enough to match.
    return category == key[0] and (key[1] is None or name is None or name == key[1])


def is_post_run_workout(summary: ActivitySummary, programme: Programme) -> bool:
    """The activity is the post-run stretch workout: by its workout name, or by its sets."""
    post = programme.post_run
    if post is None or not (summary.workout_name or summary.sets):
        return False  # most activities: no need to build the variants
    variants = post_run_variants(programme)
    if summary.workout_name:
        name = summary.workout_name.strip().casefold()
        names = {v.name.strip().casefold() for v in variants} | {post.name.strip().casefold()}
        if name in names or name.startswith(post.name.strip().casefold()):
            return True
    active = [(s.category, s.exercise_name) for s in summary.sets if s.set_type == "active" and s.category]
    if not active:
        return False
    for variant in variants:
        keys = [_exercise_key(e) for e in variant.exercises]
        if keys and all(any(_set_matches(c, n, k) for c, n in active) for k in keys):
            return True
    return False


# --- the rule ----------------------------------------------------------------------

#: what a run's post-run set needs from the activities: (the activity, its running legs)
_Run = tuple[ActivitySummary, list[ActivitySession]]
#: evidence that a post-run set was done: (when, how, the activity)
_Evidence = tuple[dt.datetime, DoneBy, ActivitySummary]


def decide(
    history: Sequence[ActivitySummary],
    marks: Sequence[DoneMark],
    programme: Programme,
    now: dt.datetime,
    *,
    since: dt.datetime | None = None,
) -> Decision:
    """What is due at ``now`` (aware), from everything recorded up to then.

    ``since`` starts the bookkeeping: runs and planned strength days before it
    make no items (a watch with years of history should not report years of
    missed stretches). Activities and marks after ``now`` are ignored.
    """
    tz = zone(programme.timezone)
    now = now.astimezone(_UTC)
    known = _known(history, now)
    marks = sorted((m for m in marks if m.at_utc <= now), key=lambda m: m.at_utc)
    evidence = _evidence(known, programme)
    stretches = _stretches(_qualifying_runs(known, programme, since), evidence, marks, programme, now)

    today = now.astimezone(tz).date()
    strength_days = {_start(a).astimezone(tz).date() for a in known if is_strength(a)}
    stretch_days = {_start(a).astimezone(tz).date() for a in known if is_stretching(a) or is_strength(a)}
    stretch_days |= {t.astimezone(tz).date() for t, _, _ in evidence}
    stretch_days |= {r.done_utc.astimezone(tz).date() for r in stretches if r.done_utc is not None}
    if since is not None:
        first_day = since.astimezone(tz).date()
    else:
        first_day = _start(known[0]).astimezone(tz).date() if known else today
    missed_days = _missed_strength(programme, strength_days, first_day, today)
    band = tuple(_band_advice(known, programme))
    return Decision(
        now=now,
        runs=tuple(stretches),
        tally=_tally(programme, today, strength_days, stretch_days, missed_days),
        strength_missed=tuple(missed_days),
        band=band,
        items=_items(stretches, missed_days, band, programme),
    )


def _known(history: Iterable[ActivitySummary], now: dt.datetime) -> list[ActivitySummary]:
    """The activities over by ``now``, in order of start."""
    return sorted((a for a in history if a.sessions and _end(a) <= now), key=lambda a: (_start(a), a.sha256))


def _qualifying_runs(
    known: Iterable[ActivitySummary], programme: Programme, since: dt.datetime | None
) -> list[_Run]:
    """Runs long enough to make a post-run set due, from ``since`` on, in order."""
    min_s = programme.due.min_run_min * 60
    runs: list[_Run] = []
    for a in known:
        legs = [s for s in a.sessions if is_run(s)]
        if legs and sum(_seconds(s) for s in legs) >= min_s and (since is None or legs[0].start_utc >= since):
            runs.append((a, legs))
    return runs


def _evidence(known: Iterable[ActivitySummary], programme: Programme) -> list[_Evidence]:
    """Activities that complete a post-run set: the post-run workout or any stretching."""
    evidence: list[_Evidence] = []
    for a in known:
        if any(is_run(s) for s in a.sessions):
            continue
        if is_post_run_workout(a, programme):
            evidence.append((_start(a), DoneBy.WORKOUT, a))
        elif is_stretching(a):
            evidence.append((_start(a), DoneBy.STRETCHING_ACTIVITY, a))
    return evidence


def _lapse(runs: Sequence[_Run], n: int, programme: Programme) -> dt.datetime | None:
    """When run ``n``'s post-run set stops being due (``None``: at a next run not yet run)."""
    if programme.due.lapse is Lapse.NEXT_RUN:
        return runs[n + 1][1][0].start_utc if n + 1 < len(runs) else None
    end_day = _end(runs[n][0]).astimezone(zone(programme.timezone)).date() + dt.timedelta(days=2)
    return dt.datetime.combine(end_day, dt.time(0), tzinfo=zone(programme.timezone)).astimezone(_UTC)


def _done(
    key: str, start: dt.datetime, lapse: dt.datetime | None, evidence: Sequence[_Evidence],
    marks: Sequence[DoneMark],
) -> tuple[dt.datetime, DoneBy] | None:
    """The first evidence or mark that completed the set open from ``start`` to ``lapse``."""

    def open_at(t: dt.datetime) -> bool:
        return start < t and (lapse is None or t < lapse)

    done = next(((t, how) for t, how, _ in evidence if open_at(t)), None)
    mark = next((m for m in marks if (m.item_key is None or m.item_key == key) and open_at(m.at_utc)), None)
    if mark is not None and (done is None or mark.at_utc < done[0]):
        done = (mark.at_utc, DoneBy.MARK)
    return done


def _stretches(
    runs: Sequence[_Run], evidence: Sequence[_Evidence], marks: Sequence[DoneMark], programme: Programme,
    now: dt.datetime,
) -> list[RunStretch]:
    """Each qualifying run's post-run set, and what became of it by ``now``."""
    stretches: list[RunStretch] = []
    variants = post_run_variants(programme)  # once: post_run_session would build them per run
    for n, (a, legs) in enumerate(runs):
        run_start = legs[0].start_utc
        lapse = _lapse(runs, n, programme)
        key = f"stretch-{run_start.astimezone(_UTC):%Y%m%dT%H%M%SZ}"
        done = _done(key, run_start, lapse, evidence, marks)
        if done is not None:
            state = State.DONE
        elif lapse is not None and lapse <= now:
            state = State.MISSED
        else:
            state = State.DUE
        distances = [s.distance_m for s in legs if s.distance_m is not None]
        stretches.append(
            RunStretch(
                key=key,
                run_start_utc=run_start,
                run_end_utc=_end(a),
                utc_offset_s=legs[0].utc_offset_s,
                sub_sport=legs[0].sub_sport,
                distance_m=sum(distances) if distances else None,
                elapsed_s=sum(_seconds(s) for s in legs),
                run_number=n,
                session=variants[n % len(variants)] if variants else None,
                lapse_utc=lapse,
                state=state,
                done_utc=done[0] if done else None,
                done_by=done[1] if done else None,
            )
        )
    return stretches


def _missed_strength(
    programme: Programme, strength_days: set[dt.date], first_day: dt.date, today: dt.date
) -> list[tuple[dt.date, Session]]:
    """Planned strength days from ``first_day`` that are over with no strength activity."""
    return [
        (planned.date, planned.session)
        for planned in expand(programme, first_day, today)
        if planned.session.kind is SessionKind.STRENGTH and planned.date not in strength_days
    ]


def _tally(
    programme: Programme, today: dt.date, strength_days: set[dt.date], stretch_days: set[dt.date],
    missed_days: Sequence[tuple[dt.date, Session]],
) -> WeekTally:
    """``today``'s local week held against the programme."""
    week_start = today - dt.timedelta(days=today.weekday())
    week_end = week_start + dt.timedelta(days=7)
    planned_week = [p for p in expand(programme, week_start, week_end) if p.session.kind is SessionKind.STRENGTH]
    return WeekTally(
        week_start=week_start,
        strength_done=sum(1 for d in strength_days if week_start <= d < week_end),
        strength_planned=len(planned_week),
        strength_missed=tuple(d for d, _ in missed_days if week_start <= d < week_end),
        stretch_days=sum(1 for d in stretch_days if week_start <= d < week_end),
        stretch_min=programme.targets.stretch_days_min,
        stretch_max=programme.targets.stretch_days_max,
    )


# --- how far back the rule looks ------------------------------------------------------


def lookback(since: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The earliest instant whose activities can change :func:`decide` at ``now`` (band aside).

    Runs count from ``since``, and the post-run sets they open can only be
    completed after they start; planned strength days count from ``since``'s
    local day, and the tally looks at ``now``'s local week. Any activity that
    matters therefore has a session starting on or after the earlier of
    ``since`` and ``now``'s local week, which are at most a day (the widest
    UTC offset, plus a clock change) and a week before those instants; two
    days of margin cover it. Band advice can reach further: see :func:`band_settled`.
    """
    return min(since, now - dt.timedelta(days=7)).astimezone(_UTC) - dt.timedelta(days=2)


def band_categories(programme: Programme) -> frozenset[str]:
    """The Garmin categories of the banded exercises: only activities with such sets matter to band advice."""
    return frozenset(_exercise_key(ex)[0] for ex in _banded(programme))


def band_settled(
    history: Iterable[ActivitySummary], programme: Programme, now: dt.datetime, bound: dt.datetime
) -> bool:
    """True when older activities cannot change the band advice over ``history``.

    ``history`` must hold every activity with a banded exercise's sets that has a
    session starting at or after ``bound``. Band advice follows each banded
    exercise's unbroken run of sessions at the top of its range; once a session
    that starts at or after ``bound`` broke it, nothing before counts.
    """
    known = _known(history, now.astimezone(_UTC))
    for ex in _banded(programme):
        assert isinstance(ex.dose, Reps)
        key, top = _exercise_key(ex), ex.dose.high
        if not any(_start(a) >= bound and _streak_breaks(a, key, top) for a in known):
            return False
    return True


def _banded_sets(a: ActivitySummary, key: tuple[str, int | None]) -> list[SetRecord]:
    if not is_strength(a):
        return []
    return [s for s in a.sets if s.set_type == "active" and _set_matches(s.category, s.exercise_name, key)]


def _streak_breaks(a: ActivitySummary, key: tuple[str, int | None], top: int) -> bool:
    sets = _banded_sets(a, key)
    return bool(sets) and not all((s.repetitions or 0) >= top for s in sets)


def _banded(programme: Programme) -> list[Exercise]:
    seen: dict[str, Exercise] = {}
    for session in programme.sessions:
        for ex in session.exercises:
            if ex.band and isinstance(ex.dose, Reps) and ex.id not in seen:
                seen[ex.id] = ex
    return list(seen.values())


def _band_advice(known: Iterable[ActivitySummary], programme: Programme) -> Iterable[BandAdvice]:
    known = list(known)
    for ex in _banded(programme):
        assert isinstance(ex.dose, Reps)
        key = _exercise_key(ex)
        top = ex.dose.high
        streak = 0
        since: dt.datetime | None = None
        for a in known:
            sets = _banded_sets(a, key)
            if not sets:
                continue
            if all((s.repetitions or 0) >= top for s in sets):
                streak += 1
                if streak == 2:
                    since = _end(a)
            else:
                streak, since = 0, None
        if streak >= 2 and since is not None:
            yield BandAdvice(key=f"band-up-{ex.id}-{ex.band}", exercise=ex, since_utc=since, top_reps=top)


# --- words ----------------------------------------------------------------------------


def stretch_names(session: Session | None) -> str:
    if session is None:
        return "post-run stretches"
    return " + ".join(e.title for e in session.exercises)


def run_words(run: RunStretch, programme: Programme, now: dt.datetime) -> str:
    """``your 10.2 km run, 07:14–08:02`` (with the day when it was not today)."""
    tz = zone(programme.timezone)
    start = run.run_start_utc.astimezone(tz)
    end = run.run_end_utc.astimezone(tz)
    what = "treadmill run" if run.sub_sport == "treadmill" else "run"
    if run.distance_m:
        size = f"{run.distance_m / 1000:.1f} km "
    else:
        size = f"{round(run.elapsed_s / 60)} min "
    day = _day_words(start.date(), now.astimezone(tz).date())
    return f"your {size}{what}{day}, {start:%H:%M}–{end:%H:%M}"


def _day_words(day: dt.date, today: dt.date) -> str:
    if day == today:
        return ""
    if day == today - dt.timedelta(days=1):
        return " yesterday"
    return f" on {day:%a %d %b}"


def _items(
    runs: Sequence[RunStretch],
    missed: Sequence[tuple[dt.date, Session]],
    band: Sequence[BandAdvice],
    programme: Programme,
) -> tuple[DueItem, ...]:
    tz = zone(programme.timezone)
    items: list[DueItem] = []
    for r in runs:
        names = stretch_names(r.session)
        minutes = r.session.duration_min if r.session else 5
        start = r.run_end_utc
        local = r.run_start_utc.astimezone(tz)
        km = f"{r.distance_m / 1000:.1f} km " if r.distance_m else ""
        detail = f"After the {km}run of {local:%a %d %b %H:%M}."
        if r.state is State.DONE and r.done_utc is not None:
            kind, title = DueKind.STRETCH_DONE, f"Post-run stretch done: {names}"
            detail += f" Done at {r.done_utc.astimezone(tz):%H:%M} ({r.done_by})."
        elif r.state is State.MISSED:
            kind, title = DueKind.STRETCH_MISSED, f"Post-run stretch missed: {names}"
        else:
            kind, title = DueKind.STRETCH_DUE, f"Post-run stretch: {names}"
            if r.lapse_utc is not None:
                detail += f" Due until {r.lapse_utc.astimezone(tz) - dt.timedelta(minutes=1):%a %d %b %H:%M}."
            else:
                detail += " Due until your next run."
        items.append(DueItem(kind, r.key, start, start + dt.timedelta(minutes=minutes), title, detail))
    for day, session in missed:
        planned = expand(programme, day, day + dt.timedelta(days=1))[0]
        items.append(
            DueItem(
                DueKind.STRENGTH_MISSED,
                f"strength-missed-{day.isoformat()}",
                planned.start.astimezone(_UTC),
                planned.end.astimezone(_UTC),
                f"{session.name} missed",
                f"No strength activity was recorded on {day:%a %d %b}.",
            )
        )
    for b in band:
        items.append(
            DueItem(
                DueKind.BAND_UP,
                b.key,
                b.since_utc,
                b.since_utc + dt.timedelta(minutes=15),
                f"Time for a tougher band: {b.exercise.title}",
                f"Every set reached {b.top_reps} reps in the last two sessions with the {b.exercise.band} band.",
            )
        )
    items.sort(key=lambda i: (i.start_utc, i.key))
    return tuple(items)
