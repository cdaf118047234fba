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
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from fitplug import settings
from fitplug.activities import tracking
from fitplug.activities.rule.band import band_records, banded_exercises, exercise_done
from fitplug.activities.rule.classify import classify_all
from fitplug.activities.rule.legs import all_legs
from fitplug.activities.rule.plan import plan_against_done
from fitplug.activities.store.store import Store, reading
from fitplug.app.programme import programme_for
from fitplug.atomic import write_atomic
from fitplug.calendar.server import Page, PageSource
from fitplug.errors import FitplugError
from fitplug.model import (
    ActivityKind,
    ActivitySummary,
    BandAdvice,
    BandDown,
    BandRecord,
    BandStanding,
    Classification,
    Decision,
    Exercise,
    FoundBy,
    LoggedSets,
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
from fitplug.times import UTC

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

    Weeks that end before the tracking start are left out (only their number is
    kept); the band's sessions are the ones the rule's band advice read.
    """
    tz = zone(programme.timezone)
    now = now.astimezone(UTC)
    today = now.astimezone(tz).date()
    since = tracking.tracking_since(store, now, programme)
    started = since.astimezone(tz).date()
    decision, held = tracking.evaluated(store, programme, now, weeks=weeks)  # the history the rule read
    bands = tracking.band_since(store, programme, now)
    logs = store.logs() if store is not None else []
    logged = [e for e in logs if e.logged_utc <= now]  # as the rule reads them
    classified = _as_the_rule_reads(held, programme, now)
    strength = [(a, c) for a, c in classified if c.kind == ActivityKind.STRENGTH]
    # the rule read everything from the first week shown (or from the tracking start) on: four strength
    # sessions there are the last four; with fewer, the page reads the sessions since the tracking start itself
    covered = max(since, now - dt.timedelta(weeks=max(1, weeks) - 1))
    if store is not None and sum(a.start_utc >= covered for a, _ in strength) < LAST_SESSIONS:
        every = _as_the_rule_reads(store.history(since), programme, now)
        strength = [(a, c) for a, c in every if c.kind == ActivityKind.STRENGTH]
    records = band_records(classified, programme, bands, logged)  # each exercise's own, from its own change
    shown = [w for w in decision.weeks if w.week_start + dt.timedelta(days=7) > started]
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
            from_day=started if w.week_start < started else None,
        )
        for w in shown
    ]
    notes = [f"Tracking since {since.astimezone(tz):%a %d %b %Y}: nothing earlier counts as missed."]
    if not held:
        notes.append("No activities have been read yet: run `fitplug sync`.")
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
        bands=tuple(
            _band(ex, classified, decision, programme, bands.get(ex.id), logged, records)
            for ex in banded_exercises(programme)
        ),
        sessions=tuple(
            s for s in (_done(a, c, programme, since) for a, c in strength[-LAST_SESSIONS:]) if s is not None
        ),
        notes=tuple(notes),
        post_run=programme.post_run is not None,
        started=started,
        weeks_before=len(decision.weeks) - len(shown),
    )


def _as_the_rule_reads(
    history: Sequence[ActivitySummary], programme: Programme, now: dt.datetime
) -> list[tuple[ActivitySummary, Classification]]:
    """``history`` as the rule reads it: every leg a session, over by ``now``, in order of start, classified."""
    known = sorted(
        (a for a in all_legs(history) if a.sessions and a.end_utc <= now), key=lambda a: (a.start_utc, a.sha256)
    )
    return list(zip(known, classify_all(known, programme), strict=True))


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
    classified: Sequence[tuple[ActivitySummary, Classification]],
    decision: Decision,
    programme: Programme,
    changed: dt.datetime | None,
    logged: Sequence[LoggedSets],
    all_records: Sequence[BandRecord],
) -> BandSeries:
    """One banded exercise's sessions, attributed to their band, with the rule's threshold and advice.

    The sessions are the rule's own band records (``all_records``, every exercise's, from
    :func:`band_records`: what was logged by hand stands for the watch's sets of that day), each
    shown with the current band. The store remembers when the current band was first prescribed
    (``changed``): sessions recorded before it were done with an earlier band, never count, and
    show no band.
    """
    assert isinstance(ex.dose, Reps)
    rule = programme.band
    tz = zone(programme.timezone)
    records = [r for r in all_records if r.exercise.id == ex.id]
    by_hand = {e.day for e in logged if e.exercise == ex.id}
    dated: list[tuple[dt.datetime, BandSession]] = []
    seen: set[dt.date] = set()
    stood_for: set[dt.date] = set()  # days whose log stood for the day's sessions
    for r in records:
        day = r.start_utc.astimezone(tz).date()
        # what was logged for a day is the first record of that day (the rule's first session of it, or noon)
        mine = day in by_hand and day not in seen
        if mine:
            stood_for.add(day)
        seen.add(day)
        dated.append((r.start_utc, BandSession(day, ex.band, r.reps, _counted(r, by_hand=mine))))
    if changed is not None:
        for a, c in classified:
            day = a.start_utc.astimezone(tz).date()
            if a.start_utc >= changed or day in stood_for:
                continue
            done = exercise_done(a, c, ex, programme)
            if done is not None:
                reps = tuple(s.repetitions for s in done.sets)
                dated.append((a.start_utc, BandSession(day, None, reps, "an earlier band: not counted")))
    dated.sort(key=lambda d: d[0])
    sessions = [s for _, s in dated]
    changes: list[BandChange] = []
    if changed is not None:
        first = next((i for i, (t, _) in enumerate(dated) if t >= changed), None)
        if first is not None and first > 0:
            changes.append(BandChange(first, changed.astimezone(tz).date(), None, ex.band))
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


def _counted(r: BandRecord, *, by_hand: bool) -> str:
    """Whether the band rule used a session, in the words of :func:`words.band_counted`."""
    if r.standing is BandStanding.PAIN:
        return "pain logged: the count starts again"
    if r.standing is BandStanding.PARTIAL:
        said = f"{len(r.reps)} of {r.planned} sets: not counted"
    elif r.standing is BandStanding.IMPLAUSIBLE:
        said = "a count no one did: not counted"
    else:
        said = "counts"
    return said + (" (logged by hand)" if by_hand else "")


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
    """The page as `fitplug serve` answers it at ``/TOKEN/``: current at each call, with a strong ETag.

    It is rendered in a child process (one, started by this call in the caller's thread, and
    kept), so the seconds a long history takes hold the child's GIL, never the server's; a
    child that died is replaced at the next call.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    path = settings.programme_path(programme_file)
    now = clock or (lambda: dt.datetime.now(UTC))
    pools: list[ProcessPoolExecutor] = []

    def started() -> None:
        if not pools:  # spawn: forking a process that runs threads is not safe; Ctrl-C is the parent's
            context = multiprocessing.get_context("spawn")
            pools.append(ProcessPoolExecutor(1, context, initializer=_child_setup))
            # the child is started here and now (a submit starts it and hands it its start-up data): a
            # Ctrl-C while a background build was starting it would leave it with half of that, and a trace
            pools[0].submit(os.getpid)

    def render_aside(at: dt.datetime) -> bytes:
        started()
        try:
            return pools[0].submit(_render_in_child, path, db_path, at).result()
        except BrokenProcessPool:
            pools.pop().shutdown(wait=False)
            raise

    def page() -> Page:
        at = now()
        try:
            body = render_aside(at)
        except BrokenProcessPool:  # the child was killed (memory, a signal): once more with a new one
            body = render_aside(at)
        return Page(body, "text/html; charset=utf-8", f'"{hashlib.sha256(body).hexdigest()[:32]}"')

    started()
    return page


def _child_setup() -> None:
    """The page's child: Ctrl-C is the parent's to handle, and the render yields the CPU to the
    server (on a busy machine, an equal share would slow every request while it runs)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(10)


def _render_in_child(programme_file: Path, db_path: Path, now: dt.datetime) -> bytes:
    """:func:`render_page` in :func:`served_page`'s child; its errors come back as one line each
    (a library error's own fields may not survive the trip between processes)."""
    try:
        return render_page(programme_file, db_path=db_path, now=now)
    except FitplugError as exc:
        raise FitplugError(str(exc)) from None
