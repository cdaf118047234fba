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
    #: ``workout``, ``stretching activity`` or ``fitplug done``
    done_by: str | None = None


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


def activity_kind(summary: ActivitySummary) -> str:
    """``run``, ``strength``, ``stretch``, or the first session's sport (``other`` when none)."""
    if any(is_run(s) for s in summary.sessions):
        return "run"
    if is_strength(summary):
        return "strength"
    if is_stretching(summary):
        return "stretch"
    return summary.sessions[0].sport if summary.sessions else "other"


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
    known = sorted(
        (a for a in history if a.sessions and _end(a) <= now),
        key=lambda a: (_start(a), a.sha256),
    )
    marks = sorted((m for m in marks if m.at_utc <= now), key=lambda m: m.at_utc)

    # 1. qualifying runs, in order
    min_s = programme.due.min_run_min * 60
    runs: list[tuple[ActivitySummary, list[ActivitySession]]] = []
    for a in known:
        legs = [s for s in a.sessions if is_run(s)]
        if legs and sum(_seconds(s) for s in legs) >= min_s and (since is None or legs[0].start_utc >= since):
            runs.append((a, legs))

    # 2. evidence that a post-run set was done: (time, how)
    evidence: list[tuple[dt.datetime, str, ActivitySummary]] = []
    for a in known:
        if any(is_run(s) for s in a.sessions):
            continue
        if is_post_run_workout(a, programme):
            evidence.append((_start(a), "workout", a))
        elif is_stretching(a):
            evidence.append((_start(a), "stretching activity", a))

    stretches: list[RunStretch] = []
    variants = post_run_variants(programme)  # once: post_run_session would build them per run
    for n, (a, legs) in enumerate(runs):
        run_start = legs[0].start_utc
        run_end = _end(a)
        if programme.due.lapse is Lapse.NEXT_RUN:
            lapse = runs[n + 1][1][0].start_utc if n + 1 < len(runs) else None
        else:
            end_day = run_end.astimezone(tz).date() + dt.timedelta(days=2)
            lapse = dt.datetime.combine(end_day, dt.time(0), tzinfo=tz).astimezone(_UTC)
        key = f"stretch-{run_start.astimezone(_UTC):%Y%m%dT%H%M%SZ}"

        def open_at(t: dt.datetime) -> bool:
            return run_start < t and (lapse is None or t < lapse)  # noqa: B023  # used at once, in this loop

        done: tuple[dt.datetime, str] | None = None
        for t, how, _ in evidence:
            if open_at(t):
                done = (t, how)
                break
        for m in marks:
            if (m.item_key is None or m.item_key == key) and open_at(m.at_utc):
                if done is None or m.at_utc < done[0]:
                    done = (m.at_utc, "fitplug done")
                break
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
                run_end_utc=run_end,
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

    # 3. strength days and the weekly tally
    today = now.astimezone(tz).date()
    strength_days = {_start(a).astimezone(tz).date() for a in known if is_strength(a)}
    stretch_days = {_start(a).astimezone(tz).date() for a in known if is_stretching(a) or is_strength(a)}
    stretch_days |= {_start(a).astimezone(tz).date() for _, _, a in evidence}
    stretch_days |= {r.done_utc.astimezone(tz).date() for r in stretches if r.done_utc is not None}

    first_day = since.astimezone(tz).date() if since is not None else (
        _start(known[0]).astimezone(tz).date() if known else today
    )
    missed_days: list[tuple[dt.date, Session]] = []
    for planned in expand(programme, first_day, today):
        if planned.session.kind is SessionKind.STRENGTH and planned.date not in strength_days:
            missed_days.append((planned.date, planned.session))

    week_start = today - dt.timedelta(days=today.weekday())
    week_end = week_start + dt.timedelta(days=7)
    planned_week = [p for p in expand(programme, week_start, week_end) if p.session.kind is SessionKind.STRENGTH]
    tally = WeekTally(
        week_start=week_start,
        strength_done=sum(1 for d in strength_days if week_start <= d < week_end),
        strength_planned=len(planned_week),
        strength_missed=tuple(d for d, _ in missed_days if week_start <= d < week_end),
        stretch_days=sum(1 for d in stretch_days if week_start <= d < week_end),
        stretch_min=programme.targets.stretch_days_min,
        stretch_max=programme.targets.stretch_days_max,
    )

    # 4. band progression
    band = tuple(_band_advice(known, programme))

    items = _items(stretches, missed_days, band, programme)
    return Decision(
        now=now,
        runs=tuple(stretches),
        tally=tally,
        strength_missed=tuple(missed_days),
        band=band,
        items=items,
    )


def stretch_due(
    history: Sequence[ActivitySummary], marks: Sequence[DoneMark], programme: Programme, now: dt.datetime
) -> Decision:
    """Alias of :func:`decide` under the name STYLE.md gives the rule."""
    return decide(history, marks, programme, now)


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
            if not is_strength(a):
                continue
            sets = [s for s in a.sets if s.set_type == "active" and _set_matches(s.category, s.exercise_name, key)]
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
