"""The store's fast path gives the rule's answer over the whole history, with all of it tracked (#23).

`status`, `report` and the feed ask :func:`tracking.evaluate`, which loads only what the rule can look
at and decides with its faster searches; the reference here is :func:`decide` over every activity the
store holds. They must agree after each change a runner makes: a programme changed (its start, its
band), a late activity inside a week already decided, a hand log and its undo, a store rebuilt.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from conftest import ROOT

from fitplug.activities import tracking
from fitplug.activities.rule.due import decide
from fitplug.activities.store.rebuild import rebuild
from fitplug.activities.store.store import Store
from fitplug.model import ActivitySession, ActivitySummary, Decision, Programme, Reps, SessionKind, SetRecord
from fitplug.programme.load import load_programme
from fitplug.programme.steps import StepType, plan_session

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 26, 18, tzinfo=UTC)
FIRST = dt.date(2026, 5, 4)


def programme_file(folder: Path, *, start: str = "2012-01-01", band: str = "green") -> Programme:
    text = (ROOT / "templates" / "glute-runner.toml").read_text(encoding="utf-8")
    text = text.replace("# start = 2026-11-18", f"start = {start}  #", 1).replace('band = "green"', f'band = "{band}"')
    path = folder / f"p-{start}-{band}.toml"
    path.write_text(text, encoding="utf-8")
    return load_programme(path)


def _summary(n: int, start: dt.datetime, sport: str, sub: str, minutes: float, name=None, sets=()) -> ActivitySummary:
    session = ActivitySession(sport, sub, start, 0, minutes * 60, minutes * 60, None, 130)
    return ActivitySummary(f"{n:064x}", "activity", "garmin", "fr965", n, start, (session,), name, tuple(sets))


def strength(n: int, programme: Programme, start: dt.datetime, reps: int) -> ActivitySummary:
    """The programme's strength session from its workout, every banded set at ``reps``."""
    session = next(s for s in programme.sessions if s.kind is SessionKind.STRENGTH)
    steps = [st for st in plan_session(session) if st.type is StepType.WORK]
    sets, t = [], start
    for ex in session.exercises:
        for _ in range(ex.sets):
            for st in (st for st in steps if st.exercise == ex):
                count = (reps if ex.band else ex.dose.high) if isinstance(ex.dose, Reps) else None
                sets.append(SetRecord(t, "active", count, None, ex.garmin.category, ex.garmin.name_id, 40.0, st.index))
                t += dt.timedelta(seconds=45)
    return _summary(n, start, "training", "strength_training", 35, session.name, sets)


def history(programme: Programme) -> list[ActivitySummary]:
    """Half a year: runs most days, strength Tue and Fri (reps climbing past the threshold, then
    falling, past it again at the end), some post-run stretch workouts and yoga, some days missed."""
    rng = random.Random(23)
    out: list[ActivitySummary] = []
    day = FIRST
    while day < NOW.date():
        t = dt.datetime.combine(day, dt.time(7), tzinfo=UTC)
        week = (day - FIRST).days // 7
        if day.weekday() in (1, 4) and rng.random() < 0.85:
            out.append(strength(len(out), programme, t, 14 if week >= 26 else [11, 13, 14, 10, 12, 13][week % 6]))
        elif rng.random() < 0.7:
            out.append(_summary(len(out), t, "running", "road", rng.choice([15, 30, 45])))
            if rng.random() < 0.5:
                out.append(_summary(len(out), t + dt.timedelta(hours=3), "training", "yoga", 20))
        day += dt.timedelta(days=1)
    return out


def whole(store: Store, programme: Programme, now: dt.datetime, weeks: int) -> Decision:
    """The reference: the rule over every activity and mark the store holds."""
    return decide(
        store.history(),
        store.done_marks(),
        programme,
        now,
        since=tracking.tracking_since(store, now, programme),
        band_since=tracking.band_since(store, programme, now),
        weeks=weeks,
        logged=store.logs(),
    )


def same(store: Store, programme: Programme, now: dt.datetime = NOW) -> Decision:
    for weeks in (1, 12):
        fast = tracking.evaluate(store, programme, now, weeks=weeks)
        assert fast == whole(store, programme, now, weeks)
    return fast


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Path, Programme, list[ActivitySummary]]:
    programme = programme_file(tmp_path)
    held = history(programme)
    with Store(tmp_path / "s.sqlite3") as store:
        store.record_batch([(f"/a/{n}.fit", 1, 1, a) for n, a in enumerate(held)], NOW)
        tracking.record(store, programme, NOW)
    return tmp_path / "s.sqlite3", programme, held


def test_whole_history_tracked_gives_the_whole_answer(filled) -> None:
    db, programme, held = filled
    with Store(db) as store:
        decision = same(store, programme)
        days = dt.timedelta(days=5)
        for now in (NOW - 30 * days, NOW - 9 * days, NOW - days):  # answers asked in the past as well
            same(store, programme, now)
    assert decision.runs and decision.strength_missed and decision.first_day == dt.date(2012, 1, 1)
    assert len(decision.weeks) == 12


def test_a_changed_programme_is_answered_afresh(filled, tmp_path: Path) -> None:
    db, programme, _ = filled
    with Store(db) as store:
        before = same(store, programme)
        later = programme_file(tmp_path, start="2026-09-01")
        moved = same(store, later)
        assert moved.first_day == dt.date(2026, 9, 1) and moved.runs != before.runs
        tougher = programme_file(tmp_path, band="blue")
        tracking.record(store, tougher, NOW - dt.timedelta(days=20))  # the new band first seen 20 days ago
        changed = same(store, tougher)
        assert before.band and changed.band != before.band  # advice for the new band only
        same(store, programme)  # back to the first band


def test_a_late_activity_in_a_decided_week_changes_the_answer_the_same_way(filled) -> None:
    db, programme, held = filled
    with Store(db) as store:
        before = same(store, programme)
        missed = before.strength_missed[0][0]  # a planned day long decided: missed
        late = strength(len(held), programme, dt.datetime.combine(missed, dt.time(18), tzinfo=UTC), 13)
        store.record_batch([("/a/late.fit", 1, 1, late)], NOW)
        after = same(store, programme)
    assert missed not in [d for d, _ in after.strength_missed]


def test_a_hand_log_and_its_undo(filled) -> None:
    db, programme, _ = filled
    ex = next(e for s in programme.sessions for e in s.exercises if e.band)
    with Store(db) as store:
        before = same(store, programme)
        day = NOW.date() - dt.timedelta(days=3)
        for reps in ((9, 9, 9, 9, 9, 9), (16, 16, 16, 16, 16, 16)):
            entry = tracking.log_entry(programme, NOW, ex.id, day, reps)[2]
            tracking.log_sets(store, programme, NOW, ex, day, entry)
            same(store, programme)
        tracking.log_sets(store, programme, NOW, ex, day, None)
        assert same(store, programme) == before


def test_after_a_store_rebuild(filled) -> None:
    db, programme, held = filled
    with Store(db) as store:
        store.add_done(NOW - dt.timedelta(hours=2), NOW)
        before = same(store, programme)
    rebuild(db, NOW)
    with Store(db) as store:
        store.record_batch([(f"/a/{n}.fit", 1, 1, a) for n, a in enumerate(held)], NOW)
        assert same(store, programme) == before
