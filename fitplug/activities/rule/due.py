"""The due rule, as a pure function: history + programme + now → what is due.

No clock and no I/O here: :func:`decide` takes ``now`` and the recorded
history, and the same inputs always give the same answer. The rule is
written out for people in ``docs/due-rule.md``; keep the two in step.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from fitplug.activities.rule.band import band_advice, band_records, pain_notes
from fitplug.activities.rule.classify import (
    active_sets,
    classify_all,
    exercise_key,
    held_keys,
    holds_stretches,
    is_run,
    set_matches,
)
from fitplug.activities.rule.legs import all_legs
from fitplug.activities.rule.past import Past
from fitplug.activities.rule.week import tally
from fitplug.model import (
    ActivityKind,
    ActivitySession,
    ActivitySummary,
    BandAdvice,
    BandDown,
    Classification,
    Decision,
    DoneBy,
    DoneMark,
    Lapse,
    LoggedSets,
    Moved,
    Programme,
    RunStretch,
    Session,
    SessionKind,
    State,
)
from fitplug.model.lazy import Joined
from fitplug.programme.schedule import expand, post_run_variants, zone
from fitplug.times import UTC, local_midnight


def _seconds(session: ActivitySession) -> float:
    return float(session.elapsed_s or session.timer_s or 0.0)


# --- the rule ----------------------------------------------------------------------

#: what a run's post-run set needs from the activities: (the activity, its running legs)
_Run = tuple[ActivitySummary, list[ActivitySession]]
#: evidence that a post-run set was done: (when, how, the post-run set it was when a workout said so,
#: and for a strength session the exercises its sets recorded: it completes a set whose every stretch it holds)
_Evidence = tuple[dt.datetime, DoneBy, Session | None, tuple[tuple[str | None, int | None], ...]]


def decide(
    history: Sequence[ActivitySummary],
    marks: Sequence[DoneMark],
    programme: Programme,
    now: dt.datetime,
    *,
    since: dt.datetime | None = None,
    band_since: Mapping[str, dt.datetime] | None = None,
    weeks: int = 1,
    logged: Sequence[LoggedSets] = (),
    past: Past | None = None,
) -> Decision:
    """What is due at ``now`` (aware), from everything recorded up to then.

    Each leg of a multisport recording counts as a session of its own (:mod:`.legs`).

    ``since`` starts the bookkeeping: runs and planned strength days before it
    make no items (nothing before the runner started is missed). ``band_since``:
    for a banded exercise's id, when its current band was first prescribed;
    sessions before it were done with an earlier band and never count toward
    its advice. ``weeks``: how many local weeks, the current one last, to tally. ``logged``: what
    the runner logged by hand (`fitplug log`): preferred over the recorded sets for band advice, and
    a logged day is a strength day.
    Activities and marks after ``now`` are ignored.

    ``past``: the settled answer before its cut (:mod:`.past`), decided at or before ``now`` over
    this same record: then only runs and planned days from the cut on are decided, and ``history``
    and ``marks`` need hold only what starts from :func:`window` on (and the band's older sessions).
    """
    tz = zone(programme.timezone)
    now = now.astimezone(UTC)
    known = _known(all_legs(history), now)
    classified = list(zip(known, classify_all(known, programme), strict=True))
    marks = sorted((m for m in marks if m.at_utc <= now), key=lambda m: m.at_utc)
    evidence = _evidence(classified)
    runs_since = since if past is None or (since is not None and since > past.cut) else past.cut
    stretches = _stretches(_qualifying_runs(classified, programme, runs_since), evidence, marks, programme, now, past)

    today = now.astimezone(tz).date()
    logged = [e for e in logged if e.logged_utc <= now]
    strength_days = {a.start_utc.astimezone(tz).date() for a, c in classified if c.kind == ActivityKind.STRENGTH}
    strength_days |= {e.day for e in logged if e.reps and e.day <= today}  # a session logged by hand
    held = held_keys(programme)
    stretch_days = {
        a.start_utc.astimezone(tz).date()
        for a, c in classified
        if c.kind == ActivityKind.STRETCH or holds_stretches(a, c, programme, held)
    }
    stretch_days |= {e[0].astimezone(tz).date() for e in evidence if e[1] is not DoneBy.STRENGTH_SESSION}
    this_monday = today - dt.timedelta(days=today.weekday())
    # the tallies count only days from the first week asked for: only the sets that can fall in it
    tallied = local_midnight(this_monday - dt.timedelta(weeks=max(1, weeks) - 1), tz) - dt.timedelta(days=1)
    # a kept set ended and was done or lapsed before the kept ``until``: it falls in no week tallied after
    looked = stretches if past is None or tallied > past.until else [*past.runs, *stretches]
    stretch_days |= {
        r.done_utc.astimezone(tz).date() for r in looked if r.done_utc is not None and r.done_utc >= tallied
    }
    counted = [r for r in looked if r.run_end_utc >= tallied]
    if since is not None:
        first_day = since.astimezone(tz).date()
    else:
        first_day = known[0].start_utc.astimezone(tz).date() if known else today
    missed_days, moved = _missed_strength(programme, strength_days, first_day, today, past)
    records = band_records(classified, programme, band_since or {}, logged)
    advice = list(band_advice(records, programme))
    tallies = tuple(
        tally(
            programme,
            this_monday - dt.timedelta(weeks=k),
            first_day,
            strength_days,
            stretch_days,
            missed_days,
            counted,
            today,
            moved,
        )
        for k in range(max(1, weeks) - 1, -1, -1)
    )
    return Decision(
        now=now,
        runs=Joined(past.runs, stretches) if past is not None else tuple(stretches),
        tally=tallies[-1],
        strength_missed=tuple(missed_days),
        band=tuple(b for b in advice if isinstance(b, BandAdvice)),
        first_day=first_day,
        weeks=tallies,
        band_down=tuple(b for b in advice if isinstance(b, BandDown)),
        strength_moved=tuple(moved),
        pain=tuple(pain_notes(classified, programme, logged, today)),
        settled=len(past.runs) if past is not None else 0,
    )


def _known(history: Iterable[ActivitySummary], now: dt.datetime) -> list[ActivitySummary]:
    """The activities over by ``now``, in order of start."""
    return sorted((a for a in history if a.sessions and a.end_utc <= now), key=lambda a: (a.start_utc, a.sha256))


def _qualifying_runs(
    classified: Iterable[tuple[ActivitySummary, Classification]], programme: Programme, since: dt.datetime | None
) -> list[_Run]:
    """Runs long enough to make a post-run set due, from ``since`` on, in order (none when the
    programme has no post-run set: then nothing post-run is due, done, missed or counted)."""
    if programme.post_run is None:
        return []
    min_s = programme.due.min_run_min * 60
    runs: list[_Run] = []
    for a, c in classified:
        legs = [s for s in a.sessions if is_run(s)]
        if (
            c.kind == ActivityKind.RUN
            and sum(_seconds(s) for s in legs) >= min_s
            and (since is None or legs[0].start_utc >= since)
        ):
            runs.append((a, legs))
    return runs


def _evidence(classified: Iterable[tuple[ActivitySummary, Classification]]) -> list[_Evidence]:
    """Activities that complete a post-run set: the post-run workout, any stretching, or a strength
    session whose sets hold every stretch of the set (checked per set in :func:`_done`)."""
    evidence: list[_Evidence] = []
    for a, c in classified:
        if c.post_run:
            evidence.append((a.start_utc, DoneBy.WORKOUT, c.session, ()))
        elif c.kind == ActivityKind.STRETCH:
            evidence.append((a.start_utc, DoneBy.STRETCHING_ACTIVITY, None, ()))
        elif c.kind == ActivityKind.STRENGTH and (held := tuple((s.category, s.exercise_name) for s in active_sets(a))):
            evidence.append((a.start_utc, DoneBy.STRENGTH_SESSION, None, held))
    return evidence


def _holds(e: _Evidence, variant: Session | None) -> bool:
    """Evidence ``e`` completes the post-run set ``variant``: anything but a strength session does; a strength
    session when its sets hold every exercise of the set."""
    if e[1] is not DoneBy.STRENGTH_SESSION:
        return True
    keys = [exercise_key(x) for x in variant.exercises] if variant is not None else []
    return bool(keys) and all(any(set_matches(c, n, k) for c, n in e[3]) for k in keys)


def _lapse(runs: Sequence[_Run], n: int, programme: Programme) -> dt.datetime | None:
    """When run ``n``'s post-run set stops being due (``None``: at a next run not yet run)."""
    if programme.due.lapse is Lapse.NEXT_RUN:
        return runs[n + 1][1][0].start_utc if n + 1 < len(runs) else None
    tz = zone(programme.timezone)
    return local_midnight(runs[n][0].end_utc.astimezone(tz).date() + dt.timedelta(days=2), tz)


def _done(
    key: str,
    start: dt.datetime,
    lapse: dt.datetime | None,
    variant: Session | None,
    evidence: Sequence[_Evidence],
    marks: Sequence[DoneMark],
) -> _Evidence | None:
    """The first evidence or mark that completed the set ``variant`` open from ``start`` to ``lapse``."""

    # both lists are in time order: start past the run's start by bisection, stop at the lapse
    done = None
    for e in evidence[bisect.bisect_right(evidence, start, key=lambda e: e[0]) :]:
        if lapse is not None and e[0] >= lapse:
            break
        if _holds(e, variant):
            done = e
            break
    if done is not None and done[1] is DoneBy.STRENGTH_SESSION:
        done = (done[0], done[1], variant, ())
    mark = None
    for m in marks[bisect.bisect_right(marks, start, key=lambda m: m.at_utc) :]:
        if lapse is not None and m.at_utc >= lapse:
            break
        if m.item_key is None or m.item_key == key:
            mark = m
            break
    if mark is not None and (done is None or mark.at_utc < done[0]):
        done = (mark.at_utc, DoneBy.MARK, None, ())
    return done


def _stretches(
    runs: Sequence[_Run],
    evidence: Sequence[_Evidence],
    marks: Sequence[DoneMark],
    programme: Programme,
    now: dt.datetime,
    past: Past | None = None,
) -> list[RunStretch]:
    """Each qualifying run's post-run set, and what became of it by ``now``: those after ``past``'s, which
    are settled (``runs`` are those from its cut on), numbered after them."""
    stretches: list[RunStretch] = []
    before = len(past.runs) if past is not None else 0
    variants = post_run_variants(programme)  # once: post_run_session would build them per run
    for m, (a, legs) in enumerate(runs):
        n = before + m
        run_start = legs[0].start_utc
        lapse = _lapse(runs, m, programme)
        key = f"stretch-{run_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        variant = variants[n % len(variants)] if variants else None
        done = _done(key, run_start, lapse, variant, evidence, marks)
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
                run_end_utc=a.end_utc,
                utc_offset_s=legs[0].utc_offset_s,
                sub_sport=legs[0].sub_sport,
                distance_m=sum(distances) if distances else None,
                elapsed_s=sum(_seconds(s) for s in legs),
                run_number=n,
                session=variant,
                lapse_utc=lapse,
                state=state,
                done_utc=done[0] if done else None,
                done_by=done[1] if done else None,
                done_session=done[2] if done else None,
            )
        )
    return stretches


def _missed_strength(
    programme: Programme, strength_days: set[dt.date], first_day: dt.date, today: dt.date, past: Past | None = None
) -> tuple[list[tuple[dt.date, Session]], list[Moved]]:
    """Planned strength days from ``first_day`` that are over with no strength activity, and those
    credited with a moved session instead.

    A strength day that is not a planned one counts for the nearest planned day within
    ``targets.move_days`` (the earlier when two are as near) that had no strength activity and is not
    credited already; each day done counts for one planned day at most, so no week is credited more
    sessions than were done.

    With ``past``, the planned days before its cut are its own, and the days it credited are taken.
    """
    reach = programme.targets.move_days
    missed: list[tuple[dt.date, Session]] = []
    moved: list[Moved] = []
    taken: frozenset[dt.date] = frozenset()
    if past is not None:
        first_day = max(first_day, past.cut.astimezone(zone(programme.timezone)).date())
        missed, moved, taken = list(past.missed), list(past.moved), past.taken
    planned = [
        (p.date, p.session)
        for p in expand(programme, first_day - dt.timedelta(days=reach), today + dt.timedelta(days=reach + 1))
        if p.session.kind is SessionKind.STRENGTH
    ]
    planned_days = {d for d, _ in planned}
    free = sorted(
        d
        for d in strength_days
        if d not in planned_days and d >= first_day - dt.timedelta(days=reach) and d not in taken
    )
    for day, session in planned:
        if not first_day <= day < today or day in strength_days:
            continue
        near = [d for d in free if abs((d - day).days) <= reach]
        if near:
            done = min(near, key=lambda d: (abs((d - day).days), d))
            free.remove(done)
            moved.append(Moved(day, done, session))
        else:
            missed.append((day, session))
    return missed, moved


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
    further: see :func:`~fitplug.activities.rule.band.band_settled`.
    """
    return min(since, now - dt.timedelta(days=7 * max(1, weeks))).astimezone(UTC) - dt.timedelta(days=2)


def window(past: Past, programme: Programme, now: dt.datetime, weeks: int = 1) -> dt.datetime:
    """With ``past`` kept, the earliest instant whose activities and marks can change :func:`decide` at
    ``now`` (band aside, as for :func:`lookback`): runs and planned days count from its cut, strength
    days up to ``targets.move_days`` before a planned day, and the tallies look at ``now``'s last
    ``weeks`` local weeks; a day of UTC offset each way and a clock change are covered by the margin."""
    tz = zone(programme.timezone)
    today = now.astimezone(tz).date()
    first_week = today - dt.timedelta(days=today.weekday(), weeks=max(1, weeks) - 1)
    earliest = min(past.cut, local_midnight(first_week, tz).astimezone(UTC))
    return earliest - dt.timedelta(days=programme.targets.move_days + 3)
