"""Activity queries and marks: `status`, `activities`, `done`, `log` (reading files: :mod:`fitplug.app.sync`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fitplug.activities import tracking
from fitplug.activities.rule.classify import classify
from fitplug.activities.rule.legs import legs
from fitplug.activities.rule.plan import plan_against_done
from fitplug.activities.store.store import Store, reading
from fitplug.app.programme import programme_for
from fitplug.errors import FitplugError
from fitplug.model import ActivityRow, ActivitySummary, Logged, LoggedSets, Marked, Programme, Status
from fitplug.programme.schedule import zone
from fitplug.times import UTC


def status(programme_file: Path | None, *, db_path: Path, now: dt.datetime, weeks: int = 1) -> Status:
    """`fitplug status`: what is due (and the last ``weeks`` weeks' tallies), from the store alone; writes nothing."""
    programme = programme_for(programme_file).programme
    with reading(db_path) as store:
        return tracking.status(store, programme, now, weeks=weeks)


def stored_activities(
    programme_file: Path | None,
    *,
    db_path: Path,
    now: dt.datetime,
    since: dt.date | None = None,
    kind: str | None = None,
    last: int | None = None,
) -> list[ActivityRow]:
    """`fitplug activities`: every stored activity, what it was, and each strength session against its plan
    when there is a programme (named, or the remembered one when it loads); writes nothing.

    ``since``: only sessions from that local day on (the programme's time zone; without a programme, the
    watch's own clock); ``kind``: only those classified so (``run``, ``strength``, ``stretch``, or a FIT
    sport); ``last``: only the last that many of what is left.
    """
    programme = _optional_programme(programme_file)
    tz = zone(programme.timezone) if programme is not None else None
    with reading(db_path) as store:
        # two days' margin: a local day starts up to 14 h either side of UTC midnight
        bound = dt.datetime.combine(since, dt.time(), UTC) - dt.timedelta(days=2) if since is not None else None
        held = store.activities(bound) if store is not None else []
        start = tracking.tracking_since(store, now, programme) if programme is not None else None
        logged = store.logs() if store is not None else []
    rows = []
    for a in held:
        for n, leg in enumerate(legs(a.summary)):
            day = _local_day(leg, tz)
            c = classify(leg, programme)
            if (since is not None and (day is None or day < since)) or (kind is not None and str(c.kind) != kind):
                continue
            plan = plan_against_done(leg, c, programme, start) if programme is not None else None
            mine = tuple(e for e in logged if e.day == day) if plan is not None else ()
            rows.append(ActivityRow(a, n, leg, c, plan, mine))
    return rows[-last:] if last is not None else rows


def _local_day(leg: ActivitySummary, tz: dt.tzinfo | None) -> dt.date | None:
    """The leg's local day: in the programme's zone, else on the watch's own clock (UTC when it has none)."""
    if not leg.sessions:
        return None
    session = leg.sessions[0]
    if tz is not None:
        return session.start_utc.astimezone(tz).date()
    return (session.start_local or session.start_utc).date()


def _optional_programme(programme_file: Path | None) -> Programme | None:
    """The programme named (its errors stand), else the remembered one when it loads (a listing works without)."""
    if programme_file is not None:
        return programme_for(programme_file).programme
    try:
        return programme_for(None).programme
    except FitplugError:
        return None


def mark_done(programme_file: Path | None, *, db_path: Path, now: dt.datetime, at: dt.datetime) -> Marked:
    """`fitplug done`: record that the post-run set was done at ``at``; the sets it completed."""
    if at > now:
        raise FitplugError("--at is in the future")
    programme = programme_for(programme_file).programme
    with Store(db_path) as store:
        return tracking.mark_done(store, programme, now, at)


def log_sets(
    programme_file: Path | None,
    *,
    db_path: Path,
    now: dt.datetime,
    exercise: str,
    day: dt.date | None = None,
    reps: tuple[int, ...] = (),
    pain: bool = False,
    undo: bool = False,
) -> Logged:
    """`fitplug log EXERCISE REPS...`: record or correct (``undo``: take back) the runner's own sets of one
    exercise on one local day; they stand for the watch's."""
    programme = programme_for(programme_file).programme
    ex, when, entry = tracking.log_entry(programme, now, exercise, day, reps, pain=pain, undo=undo)
    if entry is None:  # nothing to take back in a store that is not there: say so, create nothing
        with reading(db_path) as held:
            if held is None:
                raise FitplugError(f"nothing was logged for {ex.title}: there is no store yet")
    with Store(db_path) as store:
        return tracking.log_sets(store, programme, now, ex, when, entry)


def logged_sets(*, db_path: Path) -> list[LoggedSets]:
    """`fitplug log` alone: everything logged by hand, by day; writes nothing."""
    with reading(db_path) as store:
        return store.logs() if store is not None else []
