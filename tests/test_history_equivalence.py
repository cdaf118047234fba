"""A long history inside the tracked period: the quick paths answer exactly as the whole computation.

The rule looks at a post-run set's evidence from its run to its lapse only (not every activity per
run), classifies a history with the post-run variants worked out once, claims a strength session's
sets counting as it goes, and the store loads only a summary's columns; the progress page reads the
store once. Each is held here to what it replaced, over a year and a half of runs, lifts done from
fitplug's workout and free ones, multisport legs, hand logs (pain among them), keyed and plain done
marks and a band change, every day of it inside the tracked period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import ROOT
from test_due import _activity, _lift, year

from fitplug.activities import tracking
from fitplug.activities.rule import due
from fitplug.activities.rule.band import band_records, banded_exercises
from fitplug.activities.rule.classify import active_sets, classify, classify_all, exercise_key, set_matches
from fitplug.activities.rule.legs import all_legs
from fitplug.activities.rule.plan import _by_step, plan_against_done
from fitplug.activities.store.store import Store
from fitplug.app import progress
from fitplug.model import (
    ActivityKind,
    ActivitySummary,
    DoneBy,
    DoneMark,
    DueItem,
    DueKind,
    DueRule,
    FoundBy,
    Lapse,
    LoggedSets,
    PlanAgainstDone,
    Programme,
    SetRecord,
    State,
)
from fitplug.programme.load import load_programme

UTC = dt.UTC
START = dt.date(2025, 11, 1)


@pytest.fixture(scope="module")
def programme() -> Programme:
    p = load_programme(ROOT / "templates" / "glute-runner.toml")
    return dataclasses.replace(p, start=START)


def history() -> tuple[list[ActivitySummary], list[DoneMark]]:
    """``year`` (runs, free lifts, post-run workouts, yoga, marks, multisport) and, over it, lifts done from
    fitplug's workout (sets by step index), strength + run + strength in one file, keyed marks."""
    activities, marks = year(None)
    rng = random.Random(23)
    n = len(activities)
    day = START
    while day <= dt.date(2026, 11, 29):
        t = dt.datetime.combine(day, dt.time(18), tzinfo=UTC)
        roll = rng.random()
        if day.weekday() == 2 and roll < 0.6:  # Wed: the fitplug workout, sets named by step index
            sets = tuple(
                SetRecord(
                    t + dt.timedelta(minutes=i), "active", rng.choice([10, 13, 15]), None, "hip_stability", 0, 40.0, s
                )
                for i, s in enumerate([0, 2, 4, 6, 8, 10, 3])
            )
            # stretches recorded by category alone: more than the four stretches plan, shared out in turn
            sets += tuple(
                SetRecord(t + dt.timedelta(minutes=10 + i), "active", None, None, "warm_up", None, 30.0)
                for i in range(rng.choice([3, 10, 12]))
            )
            activities.append(
                _activity(
                    n, t, ("training", "strength_training", 40, None), sets=sets, workout="Glute Strength & Mobility"
                )
            )
        elif day.weekday() == 5 and roll < 0.3:  # Sat: strength, a run, strength again: one file
            sets = tuple(
                SetRecord(t + dt.timedelta(minutes=m), "active", 14, None, "hip_stability", 0, 30.0) for m in (1, 2, 70)
            )
            activities.append(
                _activity(
                    n,
                    t,
                    ("training", "strength_training", 10, None),
                    ("running", "generic", 45, 8.0),
                    ("training", "strength_training", 10, None),
                    sets=sets,
                )
            )
        elif roll < 0.05:
            marks.append(DoneMark(t + dt.timedelta(hours=1), f"stretch-{t:%Y%m%dT%H%M%SZ}"))
        elif roll < 0.1:
            activities.append(_lift(n, t, rng.choice([11, 14, 1])))  # under the range, past it, implausible
        n = len(activities)
        day += dt.timedelta(days=1)
    return activities, marks


def logs() -> list[LoggedSets]:
    rng = random.Random(4)
    out = []
    for k in range(0, 380, 9):
        day = START + dt.timedelta(days=k)
        logged = dt.datetime.combine(day, dt.time(21), tzinfo=UTC)
        pain = k % 4 == 0
        reps = () if pain and k % 8 == 0 else tuple(rng.choice([11, 13, 15]) for _ in range(6 if k % 5 else 4))
        out.append(LoggedSets(day, "banded_leg_raise", reps, pain, logged))
    return out


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, programme: Programme) -> Path:
    path = tmp_path_factory.mktemp("history") / "s.sqlite3"
    activities, marks = history()
    with Store(path) as store:
        store.record_batch(
            [(f"/{n}.fit", 1, 1, a) for n, a in enumerate(activities)], dt.datetime(2026, 12, 1, tzinfo=UTC)
        )
        for mark in marks:
            store.add_done(mark.at_utc, mark.at_utc, mark.item_key)
        for entry in logs():
            store.set_log(entry, entry.day, entry.exercise)
        # the banded exercise's band was changed on 1 June: sessions before it never count
        ex = next(e for s in programme.sessions for e in s.exercises if e.id == "banded_leg_raise")
        store.set_meta(
            f"{tracking.BAND_KEY}{programme.id}:{ex.id}",
            json.dumps({"band": ex.band, "since": "2026-06-01T00:00:00+00:00"}),
        )
    return path


NOWS = [
    dt.datetime(2026, 1, 9, 11, tzinfo=UTC),
    dt.datetime(2026, 6, 2, 3, tzinfo=UTC),
    dt.datetime(2026, 11, 30, 12, tzinfo=UTC),
]


@pytest.mark.parametrize("lapse", [Lapse.END_OF_NEXT_DAY, Lapse.NEXT_RUN])
def test_the_rule_over_the_store_is_the_rule_over_everything(
    programme: Programme, store_path: Path, lapse: Lapse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tracking.evaluate (what status, report, calendar and sync run) equals decide over the whole history,
    and each post-run set is done by what the rule as first written (every evidence per run) found."""
    p = dataclasses.replace(programme, due=DueRule(min_run_min=20, lapse=lapse))
    checked = []
    quick = due._done

    def both(key, start, lapse_at, variant, evidence, marks, *rest):  # type: ignore[no-untyped-def]
        got = quick(key, start, lapse_at, variant, evidence, marks, *rest)
        assert got == _done_by_every_evidence(key, start, lapse_at, variant, evidence, marks)
        checked.append(got)
        return got

    monkeypatch.setattr(due, "_done", both)
    with Store(store_path, read_only=True) as store:
        everything, marks, logged = store.history(), store.done_marks(), store.logs()
        assert min(a.start_utc for a in everything) >= tracking.tracking_since(store, NOWS[0], p)
        for now in NOWS:
            for weeks in (1, 12):
                bands = tracking.band_since(store, p, now)
                since = tracking.tracking_since(store, now, p)
                full = due.decide(everything, marks, p, now, since=since, band_since=bands, weeks=weeks, logged=logged)
                assert tracking.evaluate(store, p, now, weeks=weeks) == full, (now, weeks)
    assert {r.state for r in full.runs} >= {State.DONE, State.MISSED}
    assert {r.done_by for r in full.runs} >= {DoneBy.WORKOUT, DoneBy.MARK, DoneBy.STRETCHING_ACTIVITY}
    assert full.strength_missed and full.strength_moved and len(full.weeks) == 12
    assert any(c is not None for c in checked) and any(c is None for c in checked)


def _done_by_every_evidence(key, start, lapse, variant, evidence, marks):  # type: ignore[no-untyped-def]
    """The rule's ``_done`` as first written: every evidence and mark looked at for every run."""

    def open_at(t: dt.datetime) -> bool:
        return start < t and (lapse is None or t < lapse)

    done = next((e for e in evidence if open_at(e[0]) and due._holds(e, variant)), None)
    if done is not None and done[1] is DoneBy.STRENGTH_SESSION:
        done = (done[0], done[1], variant, ())
    mark = next((m for m in marks if (m.item_key is None or m.item_key == key) and open_at(m.at_utc)), None)
    if mark is not None and (done is None or mark.at_utc < done[0]):
        done = (mark.at_utc, DoneBy.MARK, None, ())
    return done


def test_classify_all_is_classify_of_each(programme: Programme) -> None:
    legs = list(all_legs(history()[0]))
    assert classify_all(legs, programme) == [classify(a, programme) for a in legs]
    assert classify_all(legs, None) == [classify(a, None) for a in legs]
    assert {c.kind for c in classify_all(legs, programme)} >= {
        ActivityKind.RUN,
        ActivityKind.STRENGTH,
        ActivityKind.STRETCH,
    }


def test_plan_against_done_claims_as_first_written(programme: Programme) -> None:
    """Each strength session's sets go to the exercises they went to when every claim was recounted."""
    activities = list(all_legs(history()[0]))
    plans = [
        (a, plan_against_done(a, c, programme))
        for a, c in zip(activities, classify_all(activities, programme), strict=True)
    ]
    held = [(a, plan) for a, plan in plans if plan is not None]
    assert len(held) > 100
    for a, plan in held:
        assert _claims(a, plan) == {n: [s for s in d.sets] for n, d in enumerate(plan.exercises)}


def _claims(a: ActivitySummary, plan: PlanAgainstDone) -> dict[int, list[SetRecord]]:
    """Plan against done's claiming as first written: the sets each exercise had, every claim recounted."""
    active = active_sets(a)
    session = plan.session
    claimed: dict[int, int] = _by_step(active, session, None) if plan.by is FoundBy.WORKOUT_NAME else {}
    planned = [ex.sets * (2 if ex.per_side else 1) for ex in session.exercises]
    for limit in (planned, [len(active)] * len(planned)):
        for n, ex in enumerate(session.exercises):
            key = exercise_key(ex)
            for i, s in enumerate(active):
                taken = sum(1 for v in claimed.values() if v == n)
                if i not in claimed and taken < limit[n] and set_matches(s.category, s.exercise_name, key):
                    claimed[i] = n
    return {n: [active[i] for i in sorted(claimed) if claimed[i] == n] for n in range(len(session.exercises))}


@pytest.mark.parametrize("since", [None, dt.datetime(2026, 6, 1, tzinfo=UTC)])
@pytest.mark.parametrize("categories", [None, frozenset({"hip_stability"})])
def test_history_is_the_summaries_of_activities(
    store_path: Path, since: dt.datetime | None, categories: frozenset[str] | None
) -> None:
    with Store(store_path, read_only=True) as store:
        loaded = store.history(since, categories=categories)
        assert loaded == [a.summary for a in store.activities(since, categories=categories)]
        assert loaded and all(isinstance(a, ActivitySummary) for a in loaded)


def test_the_page_reads_what_the_rule_read(
    programme: Programme, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page, read once through evaluated, is the page built from the rule's own reads made apart."""
    now = NOWS[-1]
    with Store(store_path, read_only=True) as store:
        page = progress.page_data(store, programme, now)
        reads: list[Sequence[ActivitySummary]] = []
        together = tracking.evaluated

        def separately(store_, programme_, now_, *, weeks=1):  # type: ignore[no-untyped-def]
            decision = together(store_, programme_, now_, weeks=weeks)[0]
            bands = tracking.band_since(store_, programme_, now_)
            since = tracking.tracking_since(store_, now_, programme_)
            held = tracking.recent_history(store_, programme_, now_, since, bands, weeks, store_.logs())
            reads.append(held)
            return decision, held

        monkeypatch.setattr(tracking, "evaluated", separately)
        assert progress.page_data(store, programme, now) == page
        assert len(reads) == 1
    assert page.bands and page.bands[0].sessions and page.weeks


def test_band_records_of_every_exercise_are_each_exercises_own(programme: Programme, store_path: Path) -> None:
    """The page works the band records out once for all banded exercises; each exercise's are the ones
    worked out for it alone, from its own band change."""
    now = NOWS[-1]
    with Store(store_path, read_only=True) as store:
        bands, logged = tracking.band_since(store, programme, now), store.logs()
        legs = sorted((a for a in all_legs(store.history()) if a.end_utc <= now), key=lambda a: (a.start_utc, a.sha256))
    classified = list(zip(legs, classify_all(legs, programme), strict=True))
    together = band_records(classified, programme, bands, logged)
    assert bands and together
    for ex in banded_exercises(programme):
        alone = {ex.id: bands[ex.id]} if ex.id in bands else {}
        mine = [r for r in band_records(classified, programme, alone, logged) if r.exercise.id == ex.id]
        assert [r for r in together if r.exercise.id == ex.id] == mine


def test_preview_due_reads_the_saved_items_at_once_as_saving_would(tmp_path: Path) -> None:
    """A query previews every item from one read of the saved ones: the same times and sequences a save
    gives, for items kept, changed, new, and saved rows a hand damaged."""
    t0, t1 = dt.datetime(2026, 11, 1, 9, tzinfo=UTC), dt.datetime(2026, 11, 2, 9, 30, 15, 250000, tzinfo=UTC)

    def item(n: int, title: str) -> DueItem:
        start = t0 + dt.timedelta(days=n)
        return DueItem(DueKind.STRETCH_DUE, f"stretch-{n}", start, start + dt.timedelta(minutes=8), title)

    with Store(tmp_path / "s.sqlite3") as store:
        store.save_due([item(n, "due") for n in range(6)], t0)
        store.save_due([item(1, "done"), item(2, "missed")], t0 + dt.timedelta(hours=1))  # sequence 1
    with sqlite3.connect(tmp_path / "s.sqlite3") as db:
        db.execute("UPDATE due_items SET sequence = -4 WHERE key = 'stretch-3'")
        db.execute("UPDATE due_items SET updated_utc = 'not a time' WHERE key = 'stretch-4'")
    now_items = [item(0, "due"), item(1, "done"), item(2, "done"), item(3, "due"), item(4, "due"), item(9, "new")]
    with Store(tmp_path / "s.sqlite3", read_only=True) as store:
        previewed = store.preview_due(now_items, t1)
    with Store(tmp_path / "s.sqlite3") as store:
        saved = store.save_due(now_items, t1)
    assert previewed == saved
    assert [(i.sequence, i.updated_utc == t1.replace(microsecond=0)) for i in saved] == [
        (0, False),
        (1, False),
        (2, True),
        (0, True),
        (1, True),
        (0, True),
    ]
