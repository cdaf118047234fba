"""`fitplug report`: the progress page, from the store and the programme.

:func:`page_data` is the one place that turns the due rule's answers into the
page's values (:mod:`fitplug.progress.model`); it computes nothing the rule
does not: the week-by-week tallies are the rule's own tally asked at the end
of each past week, the post-run sets are the rule's, the band and the
plan-against-done use the rule's own matching of recorded sets to exercises.
:func:`page_source` gives the HTTP server a callable that renders the page for
the moment it is asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from fitplug import settings
from fitplug.activities import history
from fitplug.activities.due import (
    Decision,
    State,
    _banded,
    _banded_sets,
    _exercise_key,
    _set_matches,
    decide,
    is_strength,
    run_words,
    stretch_names,
)
from fitplug.activities.store import Store, reading
from fitplug.app.programme import load_programme
from fitplug.atomic import write_atomic
from fitplug.model import (
    ActivitySummary,
    DoneMark,
    Exercise,
    Hold,
    Programme,
    Reps,
    Session,
    SessionKind,
)
from fitplug.programme.schedule import expand, post_run_variants, zone
from fitplug.programme.steps import StepType, plan_session
from fitplug.progress.html import render
from fitplug.progress.model import (
    BandSeries,
    BandSession,
    DueSet,
    ExerciseDone,
    PlannedRow,
    ProgressPage,
    SessionDone,
    WeekRow,
)

_UTC = dt.UTC
#: weeks of the week-by-week table and chart
WEEKS = 12
#: days of the plan ahead
PLAN_DAYS = 14
#: strength sessions held against their plan
LAST_SESSIONS = 4
#: the file `fitplug report` writes without -o, in the data folder
REPORT_NAME = "progress.html"


def default_report_path() -> Path:
    return settings.data_dir() / REPORT_NAME


def page_data(store: Store | None, programme: Programme, now: dt.datetime, *, weeks: int = WEEKS) -> ProgressPage:
    """Everything the page shows at ``now``: the rule's answers, worded (writes nothing).

    After the issue "The runner's week, right" this reads its week table, band
    ladder and plan-against-done instead of asking the rule week by week.
    """
    tz = zone(programme.timezone)
    now = now.astimezone(_UTC)
    today = now.astimezone(tz).date()
    since = history.tracking_since(store, now)
    decision = history.evaluate(store, programme, now)
    first_week = today - dt.timedelta(days=today.weekday() + 7 * (weeks - 1))
    bound = _local_midnight(first_week, programme) - dt.timedelta(days=2)
    held, marks = _loaded(store, programme, now, since, bound)

    rows = []
    for k in range(weeks):
        start = first_week + dt.timedelta(days=7 * k)
        end = _local_midnight(start + dt.timedelta(days=7), programme) - dt.timedelta(seconds=1)
        tally = decide(held, marks, programme, min(end, now), since=since).tally
        runs = [r for r in decision.runs if _week_of(r.run_start_utc, programme) == start]
        rows.append(WeekRow(
            week_start=start, strength_done=tally.strength_done, strength_planned=tally.strength_planned,
            strength_missed=len(tally.strength_missed), stretch_days=tally.stretch_days,
            stretch_min=tally.stretch_min, stretch_max=tally.stretch_max,
            post_run_done=sum(r.state is State.DONE for r in runs),
            post_run_missed=sum(r.state is State.MISSED for r in runs),
            post_run_due=sum(r.state is State.DUE for r in runs), current=end >= now,
        ))
    window = [a for a in held if _start(a) >= bound]
    notes = [f"Tracking since {since.astimezone(tz):%a %d %b %Y}: nothing earlier counts as missed."]
    if not held:
        notes.append("No activities have been read yet: run `fitplug sync`.")
    return ProgressPage(
        programme=programme.name, timezone=programme.timezone, now=now.astimezone(tz),
        due=tuple(DueSet(stretch_names(r.session), run_words(r, programme, now), _until(r.lapse_utc, programme))
                  for r in decision.due),
        next_post_run=_next_post_run(decision, programme),
        plan=tuple(_plan(programme, now)),
        weeks=tuple(rows),
        bands=tuple(_band(ex, window, decision, programme) for ex in _banded(programme)),
        sessions=tuple(_done(a, programme) for a in [a for a in window if is_strength(a)][-LAST_SESSIONS:]),
        notes=tuple(notes),
    )


def _loaded(
    store: Store | None, programme: Programme, now: dt.datetime, since: dt.datetime, bound: dt.datetime
) -> tuple[list[ActivitySummary], list[DoneMark]]:
    """What the rule reads at ``now`` and what the weeks since ``bound`` need, each activity once."""
    if store is None:
        return [], []
    held = {a.sha256: a for a in history.recent_history(store, programme, now, since)}
    for a in store.history(bound):
        held.setdefault(a.sha256, a)
    return sorted(held.values(), key=lambda a: (_start(a), a.sha256)), store.done_marks(min(bound, since))


def _start(a: ActivitySummary) -> dt.datetime:
    return min(s.start_utc for s in a.sessions) if a.sessions else dt.datetime.min.replace(tzinfo=_UTC)


def _local_midnight(day: dt.date, programme: Programme) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone(programme.timezone)).astimezone(_UTC)


def _week_of(t: dt.datetime, programme: Programme) -> dt.date:
    day = t.astimezone(zone(programme.timezone)).date()
    return day - dt.timedelta(days=day.weekday())


def _until(lapse: dt.datetime | None, programme: Programme) -> str:
    if lapse is None:
        return "your next run"
    return f"{lapse.astimezone(zone(programme.timezone)) - dt.timedelta(minutes=1):%a %d %b %H:%M}"


def _next_post_run(decision: Decision, programme: Programme) -> str | None:
    """The set the next qualifying run will make due (the rule's rotation: run number modulo variants)."""
    variants = post_run_variants(programme)
    if not variants:
        return None
    variant = variants[len(decision.runs) % len(variants)]
    return f"{variant.name}: {stretch_names(variant)}"


def _plan(programme: Programme, now: dt.datetime) -> list[PlannedRow]:
    tz = zone(programme.timezone)
    today = now.astimezone(tz).date()
    return [
        PlannedRow(p.date, f"{p.start.astimezone(tz):%H:%M}", f"{p.end.astimezone(tz):%H:%M}", p.session.name,
                   p.session.kind.value, ", ".join(e.title for e in p.session.exercises))
        for p in expand(programme, today, today + dt.timedelta(days=PLAN_DAYS))
        if p.end > now
    ]


def _band(
    ex: Exercise, window: Sequence[ActivitySummary], decision: Decision, programme: Programme
) -> BandSeries:
    """One banded exercise's sessions, with the rule's threshold and advice.

    Today's rule attributes every session to the programme's band, so no band
    change can be shown yet; its threshold is the top of the rep range, reached.
    """
    assert isinstance(ex.dose, Reps)
    key = _exercise_key(ex)
    sessions = []
    for a in window:
        sets = _banded_sets(a, key)
        if sets:
            sessions.append(BandSession(_start(a).astimezone(zone(programme.timezone)).date(), ex.band, tuple(s.repetitions for s in sets)))
    advice = next((b for b in decision.band if b.exercise.id == ex.id), None)
    return BandSeries(
        title=ex.title, band=ex.band, threshold=ex.dose.high, past=False,
        rule_words=f"every set reaches {ex.dose.high} reps in two sessions in a row",
        sessions=tuple(sessions[-16:]),
        advice=(f"Time for a tougher band: every set reached {advice.top_reps} reps in the last two sessions "
                f"with the {ex.band} band." if advice else None),
    )


def _done(a: ActivitySummary, programme: Programme) -> SessionDone:
    """A strength activity against the strength session planned that day (or the first one)."""
    tz = zone(programme.timezone)
    start = _start(a).astimezone(tz)
    planned = [p.session for p in expand(programme, start.date(), start.date() + dt.timedelta(days=1))
               if p.session.kind is SessionKind.STRENGTH]
    strength = [s for s in programme.sessions if s.kind is SessionKind.STRENGTH]
    session: Session | None = planned[0] if planned else (strength[0] if strength else None)
    if session is None:
        return SessionDone(start.date(), f"{start:%H:%M}", "strength", False, ())
    by_step = {st.index: st.exercise for st in plan_session(session) if st.type is StepType.WORK}
    got: dict[str, list[str]] = {e.id: [] for e in session.exercises}
    good: dict[str, bool] = {e.id: True for e in session.exercises}
    other = 0
    for s in (s for s in a.sets if s.set_type == "active"):
        ex = by_step.get(s.wkt_step_index) if s.wkt_step_index is not None else None
        if ex is None:
            ex = next((e for e in session.exercises
                       if _set_matches(s.category, s.exercise_name, _exercise_key(e))), None)
        if ex is None:
            other += 1
            continue
        if isinstance(ex.dose, Hold):
            got[ex.id].append(f"{round(s.duration_s)} s" if s.duration_s is not None else "?")
            good[ex.id] &= s.duration_s is not None and s.duration_s >= ex.dose.low_s
        else:
            got[ex.id].append(str(s.repetitions) if s.repetitions is not None else "?")
            good[ex.id] &= s.repetitions is not None and s.repetitions >= ex.dose.low
    return SessionDone(
        start.date(), f"{start:%H:%M}", session.name, bool(planned),
        tuple(ExerciseDone(e.title, e.sets * (2 if e.per_side else 1), len(got[e.id]),
                           f"{e.dose} reps" if isinstance(e.dose, Reps) else str(e.dose),
                           tuple(got[e.id]), good[e.id] and bool(got[e.id]))
              for e in session.exercises),
        other,
    )


# --- the command and the server ---------------------------------------------------


def render_page(programme_file: Path | None, *, db_path: Path, now: dt.datetime) -> bytes:
    """The page's bytes at ``now``, from the store read-only (writes nothing)."""
    programme = load_programme(programme_file).programme
    with reading(db_path) as store:
        return render(page_data(store, programme, now))


def write_report(
    programme_file: Path | None, *, db_path: Path, now: dt.datetime, output: Path | None = None
) -> Path:
    """`fitplug report`: write the page (atomically) to ``output`` or the data folder; returns the path."""
    data = render_page(programme_file, db_path=db_path, now=now)
    path = output if output is not None else default_report_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return path


def page_source(
    programme_file: Path | None, db_path: Path, clock: Callable[[], dt.datetime] | None = None
) -> Callable[[], bytes]:
    """For `fitplug serve` at ``/TOKEN/``: a callable giving the page for the moment it is called.

    The programme and the store are read on each call (read-only), so the page
    is always current; ``clock`` defaults to the wall clock.
    """
    now = clock or (lambda: dt.datetime.now(_UTC))

    def source() -> bytes:
        return render_page(programme_file, db_path=db_path, now=now())

    return source
