"""The due rule over a simulated fortnight, and its edges (pure: no clock); a year through the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import make_activities as m
import pytest
from conftest import ROOT, at

from fitplug.activities import tracking
from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.classify import classify
from fitplug.activities.rule.due import decide
from fitplug.activities.store.store import Store
from fitplug.model import (
    ActivityKind,
    ActivitySession,
    ActivitySummary,
    DoneBy,
    DoneMark,
    DueKind,
    DueRule,
    Lapse,
    Programme,
    SetRecord,
    State,
)
from fitplug.present.items import due_items
from fitplug.programme.load import load_programme

UTC = dt.UTC


@pytest.fixture(scope="module")
def programme() -> Programme:
    return load_programme(ROOT / "templates" / "glute-runner.toml")


def fortnight() -> tuple[list[ActivitySummary], list[DoneMark]]:
    files = [
        m.run(at(9, 7), 45, 8.0),  # Mon: run, then the stretch workout
        m.stretch_workout(at(9, 8), "Post-run Stretch 1"),
        m.strength(at(10, 7), [12] * 6),  # Tue: strength
        m.run(at(11, 18), 50, 9.0),  # Wed: run, nothing after -> missed
        # Fri 13: no strength -> missed
        m.run(at(14, 8), 15, 2.5),  # Sat: too short to count
        m.run(at(15, 7), 30, 6.0, sub_sport="treadmill"),  # Sun: treadmill, `fitplug done` after
        m.run(at(16, 7), 40, 7.0),  # Mon: two runs...
        m.run(at(16, 18), 40, 7.0),
        m.yoga(at(17, 19)),  # ...and yoga the next evening covers both
        m.strength(at(17, 7), [15] * 6),  # Tue and Fri: every set at the top of 12-15
        m.strength(at(20, 7), [15] * 6),
        m.run(at(21, 9), 60, 12.0),  # Sat: due on Sunday morning
    ]
    return [read_activity(f) for f in files], [DoneMark(at(15, 8))]


def states(decision) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(r.key, r.state.value) for r in decision.runs]


def test_fortnight(programme: Programme) -> None:
    history, marks = fortnight()
    d = decide(history, marks, programme, at(22, 9, 30))
    assert states(d) == [
        ("stretch-20261109T070000Z", "done"),
        ("stretch-20261111T180000Z", "missed"),
        ("stretch-20261115T070000Z", "done"),
        ("stretch-20261116T070000Z", "done"),
        ("stretch-20261116T180000Z", "done"),
        ("stretch-20261121T090000Z", "due"),
    ]
    assert [r.done_by for r in d.runs] == [
        "workout",
        None,
        "fitplug done",
        "stretching activity",
        "stretching activity",
        None,
    ]
    # the rotation: the n-th qualifying run gets the n-th variant
    assert [r.session.id for r in d.runs if r.session] == [
        "post-run-stretch-1",
        "post-run-stretch-2",
        "post-run-stretch-3",
        "post-run-stretch-1",
        "post-run-stretch-2",
        "post-run-stretch-3",
    ]
    (due,) = d.due
    assert due.lapse_utc == at(23, 0)
    assert due.run_end_utc == at(21, 10)
    assert [e.title for e in due.session.exercises] == ["Pigeon Pose", "Stacked-leg Glute Stretch"]
    assert d.strength_missed[-1][0] == dt.date(2026, 11, 13)
    t = d.tally
    assert (t.week_start, t.strength_done, t.strength_planned, t.strength_missed, t.stretch_days) == (
        dt.date(2026, 11, 16),
        2,
        2,
        (),
        1,  # the yoga on Tue; the banded strength sessions hold no stretch
    )
    assert [b.key for b in d.band] == ["band-up-banded_leg_raise-green"]
    assert d.band[0].since_utc == at(20, 7, 35)
    items = due_items(d, programme)
    kinds = [(i.kind, i.key) for i in items]
    assert (DueKind.STRENGTH_MISSED, "strength-missed-2026-11-13") in kinds
    assert (DueKind.STRETCH_MISSED, "stretch-20261111T180000Z") in kinds
    assert (DueKind.BAND_UP, "band-up-banded_leg_raise-green") in kinds
    due_item = next(i for i in items if i.kind is DueKind.STRETCH_DUE)
    assert due_item.title == "Post-run 3 Stretch due: Pigeon Pose + Stacked-leg Glute Stretch"
    assert due_item.detail == "After the 12.0 km run of Sat 21 Nov 09:00. Due until Sun 22 Nov 23:59."


def test_first_week_tally(programme: Programme) -> None:
    history, marks = fortnight()
    t = decide(history, marks, programme, at(15, 23)).tally
    assert (t.week_start, t.strength_done, t.strength_missed, t.stretch_days) == (
        dt.date(2026, 11, 9),
        1,
        (dt.date(2026, 11, 13),),
        2,  # Mon (the stretch workout) and Sun (the mark); Tuesday's banded sets hold no stretch
    )


def test_strength_day_missed_only_when_over(programme: Programme) -> None:
    history, marks = fortnight()
    assert decide(history, marks, programme, at(13, 23, 59)).tally.strength_missed == ()
    assert decide(history, marks, programme, at(14, 0)).tally.strength_missed == (dt.date(2026, 11, 13),)


def test_states_never_go_back(programme: Programme) -> None:
    """Over a fixed history, an item goes due -> done or due -> missed, and never back."""
    history, marks = fortnight()
    seen: dict[str, list[State]] = {}
    now = at(9, 0)
    while now <= at(23, 6):
        for r in decide(history, marks, programme, now).runs:
            seen.setdefault(r.key, []).append(r.state)
        now += dt.timedelta(hours=1)
    for key, seq in seen.items():
        changes = [s for i, s in enumerate(seq) if i == 0 or s != seq[i - 1]]
        assert changes in (
            [State.DUE],
            [State.DUE, State.DONE],
            [State.DUE, State.MISSED],
            [State.DONE],
            [State.MISSED],
        ), key


def test_lapse_next_run(programme: Programme) -> None:
    p = dataclasses.replace(programme, due=DueRule(min_run_min=20, lapse=Lapse.NEXT_RUN))
    history = [read_activity(m.run(at(16, 7), 40, 7)), read_activity(m.run(at(16, 18), 40, 7))]
    d = decide(history, [], p, at(16, 17))
    assert states(d) == [("stretch-20261116T070000Z", "due")]
    assert d.runs[0].lapse_utc is None
    d = decide(history, [], p, at(16, 19))
    assert states(d) == [("stretch-20261116T070000Z", "missed"), ("stretch-20261116T180000Z", "due")]
    assert d.runs[0].lapse_utc == at(16, 18)


def test_short_run_and_other_sports_make_nothing_due(programme: Programme) -> None:
    history = [read_activity(m.run(at(16, 7), 19.9, 3)), read_activity(m.ride(at(16, 9), 90, 40))]
    assert decide(history, [], programme, at(16, 12)).runs == ()


def test_multisport_run_leg_counts(programme: Programme) -> None:
    d = decide([read_activity(m.multisport(at(16, 7)))], [], programme, at(16, 12))
    (r,) = d.runs
    assert r.run_start_utc == at(16, 8, 25) and r.run_end_utc == at(16, 9, 5) and r.distance_m == 8000


def test_run_across_midnight(programme: Programme) -> None:
    d = decide([read_activity(m.run(at(19, 23, 40), 40, 7))], [], programme, at(20, 9))
    (r,) = d.runs
    assert r.run_end_utc == at(20, 0, 20)
    assert r.lapse_utc == at(22, 0)  # the end of the day after the day the run ended


@pytest.mark.parametrize(
    ("start", "lapse"),
    [
        # autumn: 01:30 BST, 60 min, ends 01:30 GMT on the 25th; lapse at 27 Oct 00:00 GMT
        (dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), dt.datetime(2026, 10, 27, 0, 0, tzinfo=UTC)),
        # spring: ends 22:30 GMT on 28 Mar; lapse at 30 Mar 00:00 BST = 29 Mar 23:00 UTC
        (dt.datetime(2026, 3, 28, 21, 30, tzinfo=UTC), dt.datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
    ],
    ids=["autumn", "spring"],
)
def test_runs_across_clock_changes(programme: Programme, start: dt.datetime, lapse: dt.datetime) -> None:
    d = decide([read_activity(m.run(start, 60, 10, offset_s=3600))], [], programme, start + dt.timedelta(hours=2))
    assert d.runs[0].lapse_utc == lapse


def test_done_mark_before_the_run_does_not_count(programme: Programme) -> None:
    history = [read_activity(m.run(at(16, 7), 40, 7))]
    d = decide(history, [DoneMark(at(16, 6))], programme, at(16, 12))
    assert d.runs[0].state is State.DUE


def test_keyed_mark_completes_only_its_item(programme: Programme) -> None:
    history = [read_activity(m.run(at(16, 7), 40, 7)), read_activity(m.run(at(16, 18), 40, 7))]
    d = decide(history, [DoneMark(at(16, 20), "stretch-20261116T180000Z")], programme, at(16, 21))
    assert states(d) == [("stretch-20261116T070000Z", "due"), ("stretch-20261116T180000Z", "done")]


def test_future_activities_and_since_are_ignored(programme: Programme) -> None:
    history = [read_activity(m.run(at(9, 7), 40, 7)), read_activity(m.run(at(21, 7), 40, 7))]
    assert [r.key for r in decide(history, [], programme, at(16, 7)).runs] == ["stretch-20261109T070000Z"]
    d = decide(history, [], programme, at(22, 7), since=at(16, 0))
    assert [r.key for r in d.runs] == ["stretch-20261121T070000Z"]
    assert all(day >= dt.date(2026, 11, 16) for day, _ in d.strength_missed)


def test_band_needs_two_sessions_at_the_top(programme: Programme) -> None:
    one = [read_activity(m.strength(at(17, 7), [15] * 6))]
    assert decide(one, [], programme, at(18, 7)).band == ()
    broken = one + [read_activity(m.strength(at(20, 7), [15, 12, 15, 15, 15, 15]))]  # 12 is not past 12
    assert decide(broken, [], programme, at(21, 7)).band == ()


def test_closed_sets_read_as_their_old_text(programme: Programme) -> None:
    history_, marks = fortnight()
    d = decide(history_, marks, programme, at(22, 9, 30))
    assert d.runs[0].done_by is DoneBy.WORKOUT and f"{d.runs[2].done_by}" == "fitplug done"
    assert json.dumps([r.done_by for r in d.runs[:4]]) == '["workout", null, "fitplug done", "stretching activity"]'
    kinds = [classify(a, None).kind for a in history_[:3]] + [
        classify(read_activity(m.ride(at(16, 9), 90, 40)), None).kind
    ]
    assert kinds == [ActivityKind.RUN, ActivityKind.STRETCH, ActivityKind.STRENGTH, "cycling"]
    assert [str(k) for k in kinds] == ["run", "stretch", "strength", "cycling"]


# --- a year of history: the store loads only what the rule looks at ------------------------


def _activity(
    n: int,
    start: dt.datetime,
    *legs: tuple[str, str | None, float, float | None],
    sets: tuple[SetRecord, ...] = (),
    workout: str | None = None,
) -> ActivitySummary:
    sessions, t = [], start
    for sport, sub_sport, minutes, km in legs:
        sessions.append(
            ActivitySession(sport, sub_sport, t, 0, minutes * 60, minutes * 60, km * 1000 if km else None, 140)
        )
        t += dt.timedelta(minutes=minutes)
    return ActivitySummary(f"{n:064x}", "activity", "garmin", "fr965", None, start, tuple(sessions), workout, sets)


def _lift(n: int, start: dt.datetime, reps: int, category: str = "hip_stability") -> ActivitySummary:
    sets = tuple(
        SetRecord(start + dt.timedelta(minutes=2 * i), "active", reps, 0.0, category, 0, 45.0)
        for i in range(6)  # the banded leg raise: 3 sets a side
    )
    return _activity(n, start, ("training", "strength_training", 35, None), sets=sets)


def year(streak_from: dt.date | None, *, banded: bool = True) -> tuple[list[ActivitySummary], list[DoneMark]]:
    """A year of runs, lifts and stretches to 30 Nov 2026 (seeded, so always the same year).

    ``streak_from``: from that day every lift reaches the top of the banded exercise's range
    (the band advice then dates from far back); ``banded=False``: no lift records it at all.
    """
    rng = random.Random(9)
    out: list[ActivitySummary] = []
    marks: list[DoneMark] = []
    day = dt.date(2025, 11, 1)
    while day <= dt.date(2026, 11, 30):
        t = dt.datetime.combine(day, dt.time(7, rng.randrange(60)), tzinfo=UTC)
        roll = rng.random()
        if day.weekday() in (1, 4) and roll < 0.85:  # Tue and Fri: lifts, now and then skipped
            top = streak_from is not None and day >= streak_from
            reps = 15 if top or rng.random() < 0.5 else 12
            out.append(_lift(len(out), t, reps, "hip_stability" if banded else "core"))
        elif roll < 0.7:  # runs, some too short, some late at night, some multisport
            minutes = rng.choice([15, 35, 50, 70])
            if rng.random() < 0.1:
                t = t.replace(hour=23, minute=30)
            if rng.random() < 0.05:
                out.append(_activity(len(out), t, ("cycling", "road", 60, 25.0), ("running", "generic", minutes, 7.0)))
            else:
                out.append(_activity(len(out), t, ("running", rng.choice(["generic", "treadmill"]), minutes, 8.0)))
            after = t + dt.timedelta(hours=rng.choice([2, 20, 40]))
            how = rng.random()
            if how < 0.3:
                out.append(
                    _activity(
                        len(out), after, ("training", "flexibility_training", 4, None), workout="Post-run Stretch 1"
                    )
                )
            elif how < 0.45:
                out.append(_activity(len(out), after, ("training", "yoga", 30, None)))
            elif how < 0.6:
                marks.append(DoneMark(after))
        day += dt.timedelta(days=1)
    return out, marks


@pytest.mark.parametrize(
    ("streak_from", "banded", "lapse"),
    [
        (None, True, Lapse.END_OF_NEXT_DAY),  # the band streak breaks now and then
        (dt.date(2026, 2, 1), True, Lapse.END_OF_NEXT_DAY),  # ten months at the top: band advice from February
        (None, False, Lapse.NEXT_RUN),  # the banded exercise never recorded
    ],
    ids=["streaks-break", "long-streak", "never-banded"],
)
def test_bounded_load_decides_as_the_whole_history(
    programme: Programme, tmp_path: Path, streak_from: dt.date | None, banded: bool, lapse: Lapse
) -> None:
    p = dataclasses.replace(programme, due=DueRule(min_run_min=20, lapse=lapse))
    activities, marks = year(streak_from, banded=banded)
    assert len(activities) > 300
    with Store(tmp_path / "s.sqlite3") as store:
        store.record_batch([(f"/{n}.fit", 1, 1, a) for n, a in enumerate(activities)], at(1, 0))
        for mark in marks:
            store.add_done(mark.at_utc, at(1, 0))
        everything, all_marks = store.history(), store.done_marks()
        for since in (dt.datetime(2026, 9, 7, tzinfo=UTC), dt.datetime(2026, 11, 9, tzinfo=UTC)):
            store.set_meta(tracking.SINCE_KEY, since.isoformat())
            nows = [since - dt.timedelta(days=10, hours=5), since + dt.timedelta(hours=3)]
            nows += [at(16, 7) + dt.timedelta(days=d, hours=7 * d) for d in range(0, 15, 2)]
            for now in nows:
                full = decide(everything, all_marks, p, now, since=since)
                assert tracking.evaluate(store, p, now) == full, now
            loaded = tracking.recent_history(store, p, at(30, 12), since)  # a few months, not the year
            assert len(loaded) < len(everything) / 2
            reached_back = min(a.sessions[0].start_utc for a in loaded) < dt.datetime(2026, 2, 1, tzinfo=UTC)
            assert reached_back == (streak_from is not None)  # only for the band streak that began then
        assert full.runs and full.strength_missed
        assert bool(full.band) == (streak_from is not None)
        if full.band:
            assert full.band[0].since_utc.date() < dt.date(2026, 2, 10)


def test_band_past_the_threshold_names_the_next_colour(programme: Programme) -> None:
    from fitplug.model import BandRule
    from fitplug.present.words import band_advice as band_words

    lifts = [
        read_activity(m.strength(at(17, 7), [13] * 6)),
        read_activity(m.strength(at(20, 7), [13, 14, 13, 13, 14, 13])),
    ]
    (advice,) = decide(lifts, [], programme, at(21, 7)).band
    assert (advice.key, advice.next_band, advice.threshold, advice.sessions) == (
        "band-up-banded_leg_raise-green",
        "blue",
        12,
        2,
    )
    assert advice.since_utc == lifts[1].sessions[0].end_utc
    assert band_words(advice) == (
        "Time for a tougher band: Banded Leg Raise, green → blue (every set went past 12 "
        "reps in 2 sessions in a row with the green band)."
    )
    # the runner's own rule: three sessions past 13, on a ladder where green is the toughest
    own = dataclasses.replace(programme, band=BandRule(("red", "green"), threshold=13, sessions=3))
    assert decide(lifts, [], own, at(21, 7)).band == ()
    more = [*lifts, read_activity(m.strength(at(24, 7), [14] * 6))]
    assert decide(more, [], own, at(25, 7)).band == ()  # 13 is not past 13
    most = [read_activity(m.strength(at(d, 7), [14] * 6)) for d in (17, 20, 24)]
    (top,) = decide(most, [], own, at(25, 7)).band
    assert top.next_band is None and "green is the toughest band on your ladder" in band_words(top)
    # sessions from before the band was changed never count
    changed = {"banded_leg_raise": at(19, 0)}
    assert decide(lifts, [], programme, at(21, 7), band_since=changed).band == ()
    later = [*lifts, read_activity(m.strength(at(24, 7), [13] * 6))]
    (after,) = decide(later, [], programme, at(25, 7), band_since=changed).band
    assert after.since_utc == later[2].sessions[0].end_utc


def test_a_post_run_workout_on_a_strength_day_is_not_strength(programme: Programme) -> None:
    """The issue's example: a Thursday run, the post-run workout on Friday morning, no strength session."""
    from fitplug.programme.schedule import post_run_variants

    thursday_run = read_activity(m.run(at(19, 18), 40, 8.0))
    friday_stretch = read_activity(m.fitplug_session(at(20, 7, 22), post_run_variants(programme)[0]))
    d = decide([thursday_run, friday_stretch], [], programme, at(21, 9), since=at(16, 0))
    assert (d.tally.strength_done, d.tally.strength_planned) == (0, 2)
    assert [day.isoformat() for day, _ in d.strength_missed] == ["2026-11-17", "2026-11-20"]
    assert [(r.state.value, r.done_by) for r in d.runs] == [("done", "workout")]
    assert d.tally.stretch_days == 1
