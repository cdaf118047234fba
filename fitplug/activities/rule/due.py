"""The due rule, as a pure function: history + programme + now → what is due.

No clock and no I/O here: :func:`decide` takes ``now`` and the recorded
history, and the same inputs always give the same answer. The rule is
written out for people in ``docs/due-rule.md``; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from fitplug.activities.rule.classify import (
    RUN_SUB_SPORTS,
    STRETCH_SPORTS,
    STRETCH_SUB_SPORTS,
    classify,
    exercise_key,
    is_run,
    set_matches,
)
from fitplug.model import (
    ActivityKind,
    ActivitySession,
    ActivitySummary,
    BandAdvice,
    Classification,
    Decision,
    DoneBy,
    DoneMark,
    DueItem,
    DueKind,
    Exercise,
    Lapse,
    Programme,
    Reps,
    RunStretch,
    Session,
    SessionKind,
    SetRecord,
    State,
    WeekTally,
)
from fitplug.programme.schedule import expand, post_run_variants, zone

_UTC = dt.UTC

__all__ = ["RUN_SUB_SPORTS", "STRETCH_SPORTS", "STRETCH_SUB_SPORTS", "ActivityKind", "Classification", "classify",
           "is_run"]


# --- classifying activities (the one decision is fitplug.activities.rule.classify.classify) ----------


def is_stretching(summary: ActivitySummary, programme: Programme | None = None) -> bool:
    """Stretching, as :func:`classify` decides (a fitplug post-run workout is, though recorded as strength)."""
    return classify(summary, programme).kind == ActivityKind.STRETCH


def is_strength(summary: ActivitySummary, programme: Programme | None = None) -> bool:
    """A strength session, as :func:`classify` decides."""
    return classify(summary, programme).kind == ActivityKind.STRENGTH


def activity_kind(summary: ActivitySummary, programme: Programme | None = None) -> ActivityKind | str:
    """An :class:`ActivityKind`, or the first session's sport (``cycling``) for any other activity."""
    return classify(summary, programme).kind


def is_post_run_workout(summary: ActivitySummary, programme: Programme) -> bool:
    """The activity is the post-run stretch workout: by its workout name, or by its sets."""
    return classify(summary, programme).post_run


def _seconds(session: ActivitySession) -> float:
    return float(session.elapsed_s or session.timer_s or 0.0)


def _start(summary: ActivitySummary) -> dt.datetime:
    return min(s.start_utc for s in summary.sessions)


def _end(summary: ActivitySummary) -> dt.datetime:
    return max(s.end_utc for s in summary.sessions)


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
    band_since: Mapping[str, dt.datetime] | None = None,
    weeks: int = 1,
) -> Decision:
    """What is due at ``now`` (aware), from everything recorded up to then.

    ``since`` starts the bookkeeping: runs and planned strength days before it
    make no items (nothing before the runner started is missed). ``band_since``:
    for a banded exercise's id, when its current band was first prescribed;
    sessions before it were done with an earlier band and never count toward
    its advice. ``weeks``: how many local weeks, the current one last, to tally.
    Activities and marks after ``now`` are ignored.
    """
    tz = zone(programme.timezone)
    now = now.astimezone(_UTC)
    known = _known(history, now)
    classified = [(a, classify(a, programme, programme.due.min_run_min * 60)) for a in known]
    marks = sorted((m for m in marks if m.at_utc <= now), key=lambda m: m.at_utc)
    evidence = _evidence(classified)
    stretches = _stretches(_qualifying_runs(classified, programme, since), evidence, marks, programme, now)

    today = now.astimezone(tz).date()
    strength_days = {_start(a).astimezone(tz).date() for a, c in classified if c.kind == ActivityKind.STRENGTH}
    stretch_days = {_start(a).astimezone(tz).date() for a, c in classified
                    if c.kind in (ActivityKind.STRETCH, ActivityKind.STRENGTH)}
    stretch_days |= {t.astimezone(tz).date() for t, _, _ in evidence}
    stretch_days |= {r.done_utc.astimezone(tz).date() for r in stretches if r.done_utc is not None}
    if since is not None:
        first_day = since.astimezone(tz).date()
    else:
        first_day = _start(known[0]).astimezone(tz).date() if known else today
    missed_days = _missed_strength(programme, strength_days, first_day, today)
    band = tuple(_band_advice(classified, programme, band_since or {}))
    this_monday = today - dt.timedelta(days=today.weekday())
    tallies = tuple(
        _tally(programme, this_monday - dt.timedelta(weeks=k), first_day, strength_days, stretch_days,
               missed_days, stretches, today)
        for k in range(max(1, weeks) - 1, -1, -1)
    )
    return Decision(
        now=now,
        runs=tuple(stretches),
        tally=tallies[-1],
        strength_missed=tuple(missed_days),
        band=band,
        items=_items(stretches, missed_days, band, programme),
        first_day=first_day,
        weeks=tallies,
    )


def _known(history: Iterable[ActivitySummary], now: dt.datetime) -> list[ActivitySummary]:
    """The activities over by ``now``, in order of start."""
    return sorted((a for a in history if a.sessions and _end(a) <= now), key=lambda a: (_start(a), a.sha256))


def _qualifying_runs(classified: Iterable[tuple[ActivitySummary, Classification]], programme: Programme,
                     since: dt.datetime | None) -> list[_Run]:
    """Runs long enough to make a post-run set due, from ``since`` on, in order."""
    min_s = programme.due.min_run_min * 60
    runs: list[_Run] = []
    for a, c in classified:
        legs = [s for s in a.sessions if is_run(s)]
        if (c.kind == ActivityKind.RUN and legs and sum(_seconds(s) for s in legs) >= min_s
                and (since is None or legs[0].start_utc >= since)):
            runs.append((a, legs))
    return runs


def _evidence(classified: Iterable[tuple[ActivitySummary, Classification]]) -> list[_Evidence]:
    """Activities that complete a post-run set: the post-run workout or any stretching."""
    evidence: list[_Evidence] = []
    for a, c in classified:
        if c.post_run:
            evidence.append((_start(a), DoneBy.WORKOUT, a))
        elif c.kind == ActivityKind.STRETCH:
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
    programme: Programme, week_start: dt.date, first_day: dt.date, strength_days: set[dt.date],
    stretch_days: set[dt.date], missed_days: Sequence[tuple[dt.date, Session]], runs: Sequence[RunStretch],
    today: dt.date,
) -> WeekTally:
    """One local week held against the programme; only days from ``first_day`` are planned."""
    tz = zone(programme.timezone)
    week_end = week_start + dt.timedelta(days=7)
    planned_week = [p for p in expand(programme, max(week_start, first_day), week_end)
                    if p.session.kind is SessionKind.STRENGTH]

    def in_week(d: dt.date) -> bool:
        return week_start <= d < week_end and d <= today

    run_days = [(r.run_end_utc.astimezone(tz).date(), r.state) for r in runs]
    return WeekTally(
        week_start=week_start,
        strength_done=sum(1 for d in strength_days if in_week(d)),
        strength_planned=len(planned_week),
        strength_missed=tuple(d for d, _ in missed_days if week_start <= d < week_end),
        stretch_days=sum(1 for d in stretch_days if in_week(d)),
        stretch_min=programme.targets.stretch_days_min,
        stretch_max=programme.targets.stretch_days_max,
        post_run_done=sum(1 for d, st in run_days if in_week(d) and st is State.DONE),
        post_run_missed=sum(1 for d, st in run_days if in_week(d) and st is State.MISSED),
        post_run_due=sum(1 for d, st in run_days if in_week(d) and st is State.DUE),
    )


# --- how far back the rule looks ------------------------------------------------------


def lookback(since: dt.datetime, now: dt.datetime, weeks: int = 1) -> dt.datetime:
    """The earliest instant whose activities can change :func:`decide` at ``now`` (band aside).

    Runs count from ``since``, and the post-run sets they open can only be
    completed after they start; planned strength days count from ``since``'s
    local day, and the tallies look at ``now``'s last ``weeks`` local weeks. Any
    activity that matters therefore has a session starting on or after the
    earlier of ``since`` and the first of those weeks, which are at most a day
    (the widest UTC offset, plus a clock change) and ``weeks`` weeks before
    those instants; two days of margin cover it. Band advice can reach
    further: see :func:`band_settled`.
    """
    return min(since, now - dt.timedelta(days=7 * max(1, weeks))).astimezone(_UTC) - dt.timedelta(days=2)


def band_categories(programme: Programme) -> frozenset[str]:
    """The Garmin categories of the banded exercises: only activities with such sets matter to band advice."""
    return frozenset(exercise_key(ex)[0] for ex in banded_exercises(programme))


def band_settled(
    history: Iterable[ActivitySummary], programme: Programme, now: dt.datetime, bound: dt.datetime,
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
    known = _known(history, now.astimezone(_UTC))
    for ex in banded_exercises(programme):
        changed = band_since.get(ex.id)
        if changed is not None and changed >= bound:
            continue
        key = exercise_key(ex)
        if not any(_start(a) >= bound and _streak_breaks(a, programme, key) for a in known):
            return False
    return True


def _banded_sets(a: ActivitySummary, programme: Programme, key: tuple[str, int | None]) -> list[SetRecord]:
    """The working sets of one banded exercise in a strength session (none in anything else)."""
    if classify(a, programme, programme.due.min_run_min * 60).kind != ActivityKind.STRENGTH:
        return []
    return [s for s in a.sets if s.set_type == "active" and set_matches(s.category, s.exercise_name, key)]


def _past_threshold(sets: Sequence[SetRecord], threshold: int) -> bool:
    return all((s.repetitions or 0) > threshold for s in sets)


def _streak_breaks(a: ActivitySummary, programme: Programme, key: tuple[str, int | None]) -> bool:
    sets = _banded_sets(a, programme, key)
    return bool(sets) and not _past_threshold(sets, programme.band.threshold)


def banded_exercises(programme: Programme) -> list[Exercise]:
    """The exercises with a band and a rep range, each once, in programme order."""
    seen: dict[str, Exercise] = {}
    for session in programme.sessions:
        for ex in session.exercises:
            if ex.band and isinstance(ex.dose, Reps) and ex.id not in seen:
                seen[ex.id] = ex
    return list(seen.values())


def _band_advice(
    classified: Sequence[tuple[ActivitySummary, Classification]], programme: Programme,
    band_since: Mapping[str, dt.datetime],
) -> Iterable[BandAdvice]:
    """Per banded exercise: the last ``sessions`` sessions with the current band all went past the threshold."""
    rule = programme.band
    strength = [a for a, c in classified if c.kind == ActivityKind.STRENGTH]
    for ex in banded_exercises(programme):
        key = exercise_key(ex)
        changed = band_since.get(ex.id)
        streak = 0
        since: dt.datetime | None = None
        for a in strength:
            if changed is not None and _start(a) < changed:
                continue  # done with an earlier band
            sets = [s for s in a.sets if s.set_type == "active" and set_matches(s.category, s.exercise_name, key)]
            if not sets:
                continue
            if _past_threshold(sets, rule.threshold):
                streak += 1
                if streak == rule.sessions:
                    since = _end(a)
            else:
                streak, since = 0, None
        if streak >= rule.sessions and since is not None:
            yield BandAdvice(key=f"band-up-{ex.id}-{ex.band}", exercise=ex, since_utc=since,
                             threshold=rule.threshold, sessions=rule.sessions, next_band=rule.next_band(ex.band))


def band_words(b: BandAdvice) -> str:
    """``Time for a tougher band: Banded Leg Raise, red → blue (every set past 12 reps in 2 sessions in a row).``"""
    move = f"{b.exercise.band} → {b.next_band}" if b.next_band else \
        f"{b.exercise.band} is the toughest band on your ladder: add a band to [band] ladder, or slow the tempo"
    sessions = "the last session" if b.sessions == 1 else f"{b.sessions} sessions in a row"
    return (f"Time for a tougher band: {b.exercise.title}, {move} "
            f"(every set went past {b.threshold} reps in {sessions} with the {b.exercise.band} band).")


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
                f"Time for a tougher band: {b.exercise.title}"
                + (f" ({b.exercise.band} → {b.next_band})" if b.next_band else ""),
                band_words(b),
            )
        )
    items.sort(key=lambda i: (i.start_utc, i.key))
    return tuple(items)
