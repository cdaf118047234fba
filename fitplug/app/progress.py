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
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from fitplug import settings
from fitplug.activities import tracking
from fitplug.activities.rule.classify import classify, exercise_key, set_matches
from fitplug.activities.rule.due import band_words, banded_exercises, run_words, stretch_names
from fitplug.activities.rule.plan import plan_against_done
from fitplug.activities.store.store import Store, reading
from fitplug.app.programme import load_programme
from fitplug.atomic import write_atomic
from fitplug.calendar.server import Page, PageSource
from fitplug.model import (
    ActivityKind,
    ActivitySummary,
    BandAdvice,
    Decision,
    Exercise,
    Hold,
    Programme,
    Reps,
)
from fitplug.programme.schedule import expand, post_run_variants, zone
from fitplug.progress.html import render
from fitplug.progress.model import (
    BandChange,
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
    """Everything the page shows at ``now``: the rule's answers, worded (writes nothing)."""
    tz = zone(programme.timezone)
    now = now.astimezone(_UTC)
    since = tracking.tracking_since(store, now, programme)
    decision = tracking.evaluate(store, programme, now, weeks=weeks)
    first_week = decision.weeks[0].week_start if decision.weeks else decision.tally.week_start
    bound = _local_midnight(first_week, programme) - dt.timedelta(days=2)
    window = store.history(bound) if store is not None else []
    rows = [
        WeekRow(
            week_start=w.week_start, strength_done=w.strength_done, strength_planned=w.strength_planned,
            strength_missed=len(w.strength_missed), stretch_days=w.stretch_days,
            stretch_min=w.stretch_min, stretch_max=w.stretch_max, post_run_done=w.post_run_done,
            post_run_missed=w.post_run_missed, post_run_due=w.post_run_due,
            current=w.week_start == decision.tally.week_start,
        )
        for w in decision.weeks
    ]
    notes = [f"Tracking since {since.astimezone(tz):%a %d %b %Y}: nothing earlier counts as missed."]
    if not window:
        notes.append("No activities have been read yet: run `fitplug sync`.")
    bands = tracking.band_since(store, programme, now)
    strength = [a for a in window if _is_strength(a, programme)]
    return ProgressPage(
        programme=programme.name, timezone=programme.timezone, now=now.astimezone(tz),
        due=tuple(DueSet(stretch_names(r.session), run_words(r, programme, now), _until(r.lapse_utc, programme))
                  for r in decision.due),
        next_post_run=_next_post_run(decision, programme),
        plan=tuple(_plan(programme, now)),
        weeks=tuple(rows),
        bands=tuple(_band(ex, strength, decision, programme, bands.get(ex.id)) for ex in banded_exercises(programme)),
        sessions=tuple(s for s in (_done(a, programme) for a in strength[-LAST_SESSIONS:]) if s is not None),
        notes=tuple(notes),
    )


def _is_strength(a: ActivitySummary, programme: Programme) -> bool:
    return classify(a, programme, programme.due.min_run_min * 60).kind == ActivityKind.STRENGTH


def _start(a: ActivitySummary) -> dt.datetime:
    return min(s.start_utc for s in a.sessions) if a.sessions else dt.datetime.min.replace(tzinfo=_UTC)


def _local_midnight(day: dt.date, programme: Programme) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone(programme.timezone)).astimezone(_UTC)


def _until(lapse: dt.datetime | None, programme: Programme) -> str:
    if lapse is None:
        return "your next run"
    return f"{lapse.astimezone(zone(programme.timezone)) - dt.timedelta(minutes=1):%a %d %b %H:%M}"


def _next_post_run(decision: Decision, programme: Programme) -> str | None:
    """The set the next qualifying run will make due: the rule's rotation (run n gets variant n)."""
    variants = post_run_variants(programme)
    if not variants:
        return None
    n = decision.runs[-1].run_number + 1 if decision.runs else 0
    variant = variants[n % len(variants)]
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
    ex: Exercise, strength: Sequence[ActivitySummary], decision: Decision, programme: Programme,
    changed: dt.datetime | None,
) -> BandSeries:
    """One banded exercise's strength sessions, attributed to their band, with the rule's threshold and advice.

    The store remembers when the current band was first prescribed (``changed``):
    sessions before it were done with an earlier band and never count.
    """
    assert isinstance(ex.dose, Reps)
    rule = programme.band
    key = exercise_key(ex)
    tz = zone(programme.timezone)
    sessions: list[BandSession] = []
    changes: list[BandChange] = []
    for a in strength:
        sets = [s for s in a.sets if s.set_type == "active" and set_matches(s.category, s.exercise_name, key)]
        if not sets:
            continue
        current = changed is None or _start(a) >= changed
        if current and changed is not None and not changes and sessions:
            changes.append(BandChange(len(sessions), changed.astimezone(tz).date(), None, ex.band))
        sessions.append(BandSession(_start(a).astimezone(tz).date(), ex.band if current else None,
                                    tuple(s.repetitions for s in sets)))
    shown = sessions[-16:]
    cut = len(sessions) - len(shown)
    advice: BandAdvice | None = next((b for b in decision.band if b.exercise.id == ex.id), None)
    sessions_words = "one session" if rule.sessions == 1 else f"{rule.sessions} sessions in a row"
    return BandSeries(
        title=ex.title, band=ex.band, threshold=rule.threshold, past=True,
        rule_words=f"every set goes past {rule.threshold} reps in {sessions_words} with the current band",
        sessions=tuple(shown),
        changes=tuple(BandChange(c.index - cut, c.day, c.before, c.after) for c in changes if c.index >= cut),
        advice=band_words(advice) if advice else None,
        next_band=advice.next_band if advice else rule.next_band(ex.band),
    )


def _done(a: ActivitySummary, programme: Programme) -> SessionDone | None:
    """A strength activity held against its planned session (the rule's plan-against-done)."""
    found = plan_against_done(a, programme)
    if found is None:
        return None
    start = _start(a).astimezone(zone(programme.timezone))
    exercises = []
    for done in found.exercises:
        ex = done.exercise
        if isinstance(ex.dose, Hold):
            recorded = tuple(f"{round(s.duration_s)} s" if s.duration_s is not None else "?" for s in done.sets)
            target = str(ex.dose)
        else:
            recorded = tuple(str(s.repetitions) if s.repetitions is not None else "?" for s in done.sets)
            target = f"{ex.dose} reps"
        on_target = bool(done.sets) and all(v in ("in range", "above") for v in done.verdicts())
        exercises.append(ExerciseDone(ex.title, done.sets_planned, done.sets_done, target, recorded, on_target))
    return SessionDone(start.date(), f"{start:%H:%M}", found.session.name, found.by != "the only strength session",
                       tuple(exercises), found.other_sets)


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


def served_page(
    programme_file: Path | None, db_path: Path, clock: Callable[[], dt.datetime] | None = None
) -> PageSource:
    """The page as `fitplug serve` answers it at ``/TOKEN/``: always current, with a strong ETag."""
    source = page_source(programme_file, db_path, clock)

    def page() -> Page:
        body = source()
        return Page(body, "text/html; charset=utf-8", f'"{hashlib.sha256(body).hexdigest()[:32]}"')

    return page
