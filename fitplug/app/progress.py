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
from fitplug.activities.rule.band import banded_exercises, exercise_done
from fitplug.activities.rule.classify import classify
from fitplug.activities.rule.legs import all_legs
from fitplug.activities.rule.plan import plan_against_done
from fitplug.activities.store.store import Store, reading
from fitplug.app.programme import programme_for
from fitplug.atomic import write_atomic
from fitplug.calendar.server import Page, PageSource
from fitplug.model import (
    ActivityKind,
    ActivitySummary,
    BandAdvice,
    BandDown,
    Classification,
    Decision,
    Exercise,
    FoundBy,
    Programme,
    Reps,
    Verdict,
)
from fitplug.present import words
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
from fitplug.times import UTC, local_midnight

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
    now = now.astimezone(UTC)
    today = now.astimezone(tz).date()
    since = tracking.tracking_since(store, now, programme)
    decision = tracking.evaluate(store, programme, now, weeks=weeks)
    first_week = decision.weeks[0].week_start if decision.weeks else decision.tally.week_start
    bound = local_midnight(first_week, tz) - dt.timedelta(days=2)
    window = store.history(bound) if store is not None else []
    rows = [
        WeekRow(
            week_start=w.week_start,
            strength_done=w.strength_done,
            strength_planned=w.strength_planned,
            strength_missed=len(w.strength_missed),
            stretch_days=w.stretch_days,
            stretch_min=w.stretch_min,
            stretch_max=w.stretch_max,
            post_run_done=w.post_run_done,
            post_run_missed=w.post_run_missed,
            post_run_due=w.post_run_due,
            current=w.week_start == decision.tally.week_start,
        )
        for w in decision.weeks
    ]
    notes = [f"Tracking since {since.astimezone(tz):%a %d %b %Y}: nothing earlier counts as missed."]
    if not window:
        notes.append("No activities have been read yet: run `fitplug sync`.")
    bands = tracking.band_since(store, programme, now)
    strength = [(a, c) for a in all_legs(window) if (c := classify(a, programme)).kind == ActivityKind.STRENGTH]
    return ProgressPage(
        programme=programme.name,
        timezone=programme.timezone,
        now=now.astimezone(tz),
        due=tuple(
            DueSet(words.post_run_set(r.session), words.run(r, tz, today), words.until(r.lapse_utc, tz))
            for r in decision.due
        ),
        next_post_run=_next_post_run(decision, programme),
        plan=tuple(_coming(programme, now)),
        weeks=tuple(rows),
        week_line=words.week(decision.tally, decision.first_day),
        bands=tuple(_band(ex, strength, decision, programme, bands.get(ex.id)) for ex in banded_exercises(programme)),
        sessions=tuple(
            s for s in (_done(a, c, programme, since) for a, c in strength[-LAST_SESSIONS:]) if s is not None
        ),
        notes=tuple(notes),
        post_run=programme.post_run is not None,
    )


def _next_post_run(decision: Decision, programme: Programme) -> str | None:
    """The set the next qualifying run will make due: the rule's rotation (run n gets variant n)."""
    variants = post_run_variants(programme)
    if not variants:
        return None
    n = decision.runs[-1].run_number + 1 if decision.runs else 0
    return words.post_run_set(variants[n % len(variants)])


def _coming(programme: Programme, now: dt.datetime) -> list[PlannedRow]:
    tz = zone(programme.timezone)
    today = now.astimezone(tz).date()
    return [
        PlannedRow(
            p.date,
            f"{p.start.astimezone(tz):%H:%M}",
            f"{p.end.astimezone(tz):%H:%M}",
            p.session.name,
            p.session.kind.value,
            ", ".join(e.title for e in p.session.exercises),
        )
        for p in expand(programme, today, today + dt.timedelta(days=PLAN_DAYS))
        if p.end > now
    ]


def _band(
    ex: Exercise,
    strength: Sequence[tuple[ActivitySummary, Classification]],
    decision: Decision,
    programme: Programme,
    changed: dt.datetime | None,
) -> BandSeries:
    """One banded exercise's strength sessions, attributed to their band, with the rule's threshold and advice.

    The store remembers when the current band was first prescribed (``changed``):
    sessions before it were done with an earlier band and never count.
    """
    assert isinstance(ex.dose, Reps)
    rule = programme.band
    tz = zone(programme.timezone)
    sessions: list[BandSession] = []
    changes: list[BandChange] = []
    for a, c in strength:
        done = exercise_done(a, c, ex, programme)
        if done is None:
            continue
        current = changed is None or a.start_utc >= changed
        if current and changed is not None and not changes and sessions:
            changes.append(BandChange(len(sessions), changed.astimezone(tz).date(), None, ex.band))
        sessions.append(
            BandSession(
                a.start_utc.astimezone(tz).date(),
                ex.band if current else None,
                tuple(s.repetitions for s in done.sets),
                words.band_counted(done),
            )
        )
    shown = sessions[-16:]
    cut = len(sessions) - len(shown)
    advice: BandAdvice | None = next((b for b in decision.band if b.exercise.id == ex.id), None)
    down: BandDown | None = next((b for b in decision.band_down if b.exercise.id == ex.id), None)
    return BandSeries(
        title=ex.title,
        band=ex.band,
        threshold=rule.threshold,
        past=True,
        rule_words=words.band_rule(rule),
        sessions=tuple(shown),
        changes=tuple(BandChange(c.index - cut, c.day, c.before, c.after) for c in changes if c.index >= cut),
        advice=words.band_advice(advice) if advice else (words.band_down(down) if down else None),
        lighter_words=words.band_lighter_rule(rule, ex.dose.low),
        next_band=advice.next_band if advice else rule.next_band(ex.band),
    )


def _done(a: ActivitySummary, c: Classification, programme: Programme, since: dt.datetime) -> SessionDone | None:
    """A strength activity held against its planned session (the rule's plan-against-done)."""
    found = plan_against_done(a, c, programme, since)
    if found is None:
        return None
    start = a.start_utc.astimezone(zone(programme.timezone))
    exercises = []
    for done in found.exercises:
        on_target = bool(done.sets) and all(v in (Verdict.IN_RANGE, Verdict.ABOVE) for v in done.verdicts())
        exercises.append(
            ExerciseDone(
                done.exercise.title,
                done.sets_planned,
                done.sets_done,
                words.target(done.exercise),
                words.recorded(done),
                on_target,
            )
        )
    return SessionDone(
        start.date(),
        f"{start:%H:%M}",
        found.session.name,
        found.by != FoundBy.ONLY_SESSION,
        tuple(exercises),
        found.other_sets,
    )


# --- the command and the server ---------------------------------------------------


def render_page(programme_file: Path | None, *, db_path: Path, now: dt.datetime) -> bytes:
    """The page's bytes at ``now``, from the store read-only (writes nothing)."""
    programme = programme_for(programme_file).programme
    with reading(db_path) as store:
        return render(page_data(store, programme, now))


def write_report(programme_file: Path | None, *, db_path: Path, now: dt.datetime, output: Path | None = None) -> Path:
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
    now = clock or (lambda: dt.datetime.now(UTC))

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
