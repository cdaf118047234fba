"""A runner's November through the CLI: FIT files appear as the watch records them, `fitplug sync` reads
them, and `fitplug status --json` is held to what a coach would say at chosen instants. Then properties:
the answer does not depend on the order files are synced in, and an unrelated activity changes nothing.

The programme is the glute-runner template with a late start (Wed 4 Nov) and, from Sat 14 Nov, a
tougher band. London is on UTC in November, so local times below are UTC times.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path
from typing import Any

import conftest
import make_activities as m
import pytest
from conftest import at, invoke_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.due import decide
from fitplug.model import ActivitySession, ActivitySummary
from fitplug.programme.load import parse_programme
from fitplug.programme.schedule import post_run_variants

UTC = dt.UTC


def programme_text(band: str = "green", start: dt.date | None = dt.date(2026, 11, 4)) -> str:
    return conftest.programme_text(start=start).replace('band = "green"', f'band = "{band}"', 1)


PROGRAMME = parse_programme(programme_text())
STRENGTH = PROGRAMME.sessions[0]
POST_RUN = post_run_variants(PROGRAMME)


def lift(day: int, reps: list[int]) -> tuple[str, dt.datetime, bytes]:
    """A strength day done from fitplug's workout at 07:00, the banded raise at ``reps`` (each side)."""
    return f"strength-{day:02d}.fit", at(day, 7), m.fitplug_session(at(day, 7), STRENGTH, {"banded_leg_raise": reps})


def run(day: int, hour: int, minutes: float, km: float) -> tuple[str, dt.datetime, bytes]:
    return (
        f"run-{day:02d}-{hour:02d}.fit",
        at(day, hour) + dt.timedelta(minutes=minutes),
        m.run(at(day, hour), minutes, km),
    )


def post_run(day: int, hour: int, minute: int, variant: int) -> tuple[str, dt.datetime, bytes]:
    """The post-run workout done on the watch: recorded as training/strength_training, as every fitplug workout."""
    start = at(day, hour, minute)
    data = m.fitplug_session(start, POST_RUN[variant])
    return f"post-run-{day:02d}.fit", start + dt.timedelta(minutes=5), data


#: (file name, when the watch has it, bytes): the month as recorded
MONTH = [
    run(2, 7, 40, 8.0),  # Mon, before the start: history only
    # Tue 3: no strength, before the start: never missed
    run(4, 7, 45, 9.0),  # Wed 4, the start: the post-run set is due
    post_run(5, 8, 0, 0),  # Thu morning: the post-run workout (a stretch, not strength)
    lift(6, [13, 13, 13]),  # Fri: every banded set past 12
    run(7, 9, 50, 10.0),  # Sat: nothing after it -> missed at Mon 00:00
    lift(10, [14, 14, 13]),  # Tue: past 12 again, two in a row -> green to blue
    run(12, 18, 40, 8.0),  # Thu evening run...
    post_run(13, 7, 22, 2),  # ...the post-run workout on Fri morning, a strength day with no strength
    # Sat 14: the runner changes band to blue
    lift(17, [13, 13, 13]),  # Tue: blue, past 12 once
    lift(20, [12, 11, 10]),  # Fri: blue is hard
    run(21, 8, 60, 12.0),
    lift(24, [13, 13, 13]),  # Tue and Fri past 12 with blue: blue to black
    lift(27, [14, 13, 13]),
]


class Runner:
    """One runner's watch folder, store and programme file; every command at a chosen instant."""

    def __init__(self, root: Path) -> None:
        self.watch = root / "watch"
        self.watch.mkdir()
        self.db = root / "db.sqlite3"
        self.programme = root / "glutes.toml"
        self.programme.write_text(programme_text(), encoding="utf-8")

    def invoke(self, now: dt.datetime, *args: str) -> Any:
        return invoke_cli("--db", str(self.db), "--now", now.isoformat(), *args, code=0)

    def record_until(self, now: dt.datetime) -> None:
        for name, ready, data in MONTH:
            if ready <= now and not (self.watch / name).exists():
                (self.watch / name).write_bytes(data)

    def sync(self, now: dt.datetime) -> str:
        self.record_until(now)
        return str(self.invoke(now, "sync", str(self.watch), "--programme", str(self.programme)).output)

    def status(self, now: dt.datetime, *args: str) -> dict[str, Any]:
        return dict(json.loads(self.invoke(now, "status", "--json", *args).output))


def kinds(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i["kind"], i["key"]) for i in data["items"]]


def test_a_month(tmp_path: Path) -> None:
    r = Runner(tmp_path)

    # Wed 4, noon: set up today; Monday's run and Tuesday's planned session are history only
    r.sync(at(4, 12))
    s = r.status(at(4, 12))
    assert s["schema"] == "fitplug.status/3" and s["tracking_start"] == "2026-11-04"
    assert [d["key"] for d in s["due"]] == ["stretch-20261104T070000Z"]
    assert s["due"][0]["due_until_utc"] == "2026-11-06T00:00:00Z" and s["runs"] == []
    assert s["week"] == {
        "start": "2026-11-02",
        "strength_done": 0,
        "strength_planned": 1,
        "strength_missed": [],
        "stretch_days": 0,
        "stretch_days_min": 2,
        "stretch_days_max": 3,
        "post_run_done": 0,
        "post_run_missed": 0,
        "post_run_due": 1,
        "strength_moved": [],
    }
    assert kinds(s) == [("stretch_due", "stretch-20261104T070000Z")]
    listed = json.loads(r.invoke(at(4, 12), "activities", "--json").output)
    assert [x["start_utc"][:10] for x in listed["sessions"]] == ["2026-11-02", "2026-11-04"]  # still listed

    # Thu 5: the post-run workout, recorded as strength_training, completes the set and is no strength day
    out = r.sync(at(5, 12))
    assert out.startswith("Read 1 new activity: 1 stretch (2 unchanged).")
    assert "post-run set done: Post-run 1 Stretch (Pigeon Pose + Lying Figure-Four), Thu 08:00" in out
    s = r.status(at(5, 12))
    assert s["due"] == [] and [(x["state"], x["done_by"]) for x in s["runs"]] == [("done", "workout")]
    assert (s["week"]["strength_done"], s["week"]["stretch_days"]) == (0, 1)

    # Mon 9: Saturday's set lapsed at midnight; last week was 1 of 1 strength, 2 stretch days
    r.sync(at(9, 9))
    s = r.status(at(9, 9), "--weeks", "2")
    assert [x["state"] for x in s["runs"]] == ["done", "missed"]
    last_week, this_week = s["weeks"]
    assert (last_week["strength_done"], last_week["strength_planned"], last_week["strength_missed"]) == (1, 1, [])
    assert (last_week["stretch_days"], last_week["post_run_done"], last_week["post_run_missed"]) == (2, 1, 1)
    assert this_week == s["week"] and s["band_up"] == []

    # Tue 10: two sessions in a row with every banded set past 12 -> the next band on the ladder
    r.sync(at(10, 12))
    s = r.status(at(10, 12))
    (band,) = s["band_up"]
    assert {k: band[k] for k in ("key", "exercise", "band", "next_band", "threshold", "sessions")} == {
        "key": "band-up-banded_leg_raise-green",
        "exercise": "banded_leg_raise",
        "band": "green",
        "next_band": "blue",
        "threshold": 12,
        "sessions": 2,
    }

    # Sat 14, 09:00: Friday had the post-run workout but no strength: Friday is missed, 1 of 2
    out = r.sync(at(14, 9))
    assert "post-run set done: Post-run 3 Stretch (Pigeon Pose + Stacked-leg Glute Stretch), Fri 07:22" in out
    s = r.status(at(14, 9))
    assert s["week"]["strength_done"] == 1 and s["week"]["strength_missed"] == ["2026-11-13"]
    assert s["week"]["stretch_days"] == 2  # Tue (strength ends with stretches) and Fri (the post-run set)
    assert [x["done_by"] for x in s["runs"]][-1] == "workout"

    # Sat 14, noon: the runner moves to blue; the advice ends at once, in a query too
    r.programme.write_text(programme_text("blue"), encoding="utf-8")
    assert r.status(at(14, 12))["band_up"] == []
    r.sync(at(14, 12))
    assert r.status(at(14, 12))["band_up"] == []

    # Wed 18: one blue session past 12, and the green sessions before it never count
    r.sync(at(18, 12))
    assert r.status(at(18, 12))["band_up"] == []
    # Sat 21: Friday's blue session broke the run
    r.sync(at(21, 12))
    assert r.status(at(21, 12))["band_up"] == []

    # Fri 27: two blue sessions in a row past 12 -> black
    r.sync(at(27, 12))
    s = r.status(at(27, 12))
    assert [(b["band"], b["next_band"], b["since_utc"]) for b in s["band_up"]] == [
        ("blue", "black", s["band_up"][0]["since_utc"])
    ]
    assert s["band_up"][0]["since_utc"].startswith("2026-11-27T07:")
    # over the month: strength missed only from the start, never the Tuesday before it
    missed = [i["key"] for i in s["items"] if i["kind"] == "strength_missed"]
    assert missed == ["strength-missed-2026-11-13"]
    table = r.invoke(at(27, 12), "status", "--weeks", "4").output.splitlines()
    assert table[1].startswith("Mon 02 Nov       1/1") and table[-1].startswith("Tracking started Wed 04 Nov 2026")


# --- properties ------------------------------------------------------------------------------------


END = at(28, 12)


def _answer(r: Runner) -> dict[str, Any]:
    """The status at the end, without the feed bookkeeping (when each item last changed)."""
    s = r.status(END, "--weeks", "4")
    for item in s["items"]:
        item.pop("updated_utc")
        item.pop("sequence")
    return s


def _one_sync(root: Path, files: list[tuple[str, dt.datetime, bytes]]) -> dict[str, Any]:
    r = Runner(root)
    r.programme.write_text(programme_text("green"), encoding="utf-8")
    for name, _, data in files:
        (r.watch / name).write_bytes(data)
    r.invoke(END, "sync", str(r.watch), "--programme", str(r.programme))
    return _answer(r)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sync_order_does_not_matter(tmp_path: Path, seed: int) -> None:
    (tmp_path / "whole").mkdir()
    whole = _one_sync(tmp_path / "whole", MONTH)
    rng = random.Random(seed)
    files = MONTH[:]
    rng.shuffle(files)
    root = tmp_path / "batches"
    root.mkdir()
    r = Runner(root)
    r.programme.write_text(programme_text("green"), encoding="utf-8")
    cut = sorted(rng.sample(range(1, len(files)), 3))
    for n, batch in enumerate(zip([0, *cut], [*cut, len(files)], strict=True)):
        folder = root / f"batch-{n}"  # each sync names a new folder: the earlier ones are remembered
        folder.mkdir()
        for name, _, data in files[batch[0] : batch[1]]:
            (folder / name).write_bytes(data)
        r.invoke(END, "sync", str(folder), "--programme", str(r.programme))
    shutil.rmtree(r.watch)
    assert _answer(r) == whole


@pytest.mark.parametrize("extra", ["ride", "swim", "walk", "workout file", "short run"])
def test_an_unrelated_activity_changes_nothing(tmp_path: Path, extra: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    base = _one_sync(tmp_path / "a", MONTH)
    data = {
        "ride": lambda: m.ride(at(13, 10), 90, 40),  # on the missed Friday
        "swim": lambda: m.encode(m.Activity([m.Leg("swimming", "lap_swimming", at(5, 18), 1800, 1500)])),
        "walk": lambda: m.encode(m.Activity([m.Leg("walking", "generic", at(8, 15), 3600, 5000)])),
        "workout file": m.workout_file,
        "short run": lambda: m.run(at(19, 7), 10, 1.8),  # under 20 minutes: makes nothing due
    }[extra]()
    assert _one_sync(tmp_path / "b", [*MONTH, ("extra.fit", END, data)]) == base


def test_plan_against_done(tmp_path: Path) -> None:
    r = Runner(tmp_path)
    r.sync(at(21, 12))
    listed = json.loads(r.invoke(at(21, 12), "activities", "--json").output)
    by_day = {x["start_utc"][:10]: x for x in listed["sessions"]}
    plan = by_day["2026-11-20"]["plan"]
    assert (plan["session_id"], plan["found_by"], plan["other_sets"]) == ("glute-strength", "workout name", 0)
    bridge, raise_, *stretches = plan["exercises"]
    assert (bridge["exercise"], bridge["sets_done"], bridge["sets_planned"]) == ("glute_bridge", 3, 3)
    assert (raise_["sets_done"], raise_["sets_planned"], raise_["target"]) == (6, 6, {"reps_low": 12, "reps_high": 15})
    assert [(s["repetitions"], s["verdict"]) for s in raise_["sets"]] == [
        (12, "in range"),
        (12, "in range"),
        (11, "below"),
        (11, "below"),
        (10, "below"),
        (10, "below"),
    ]
    assert [(s["sets_done"], s["sets_planned"]) for s in stretches] == [(2, 2)] * 4
    assert by_day["2026-11-21"]["plan"] is None  # a run has no plan
    assert by_day["2026-11-13"]["plan"] is None  # the post-run workout is not a strength session
    text = r.invoke(at(21, 12), "activities").output
    assert "  against the plan: Glute Strength & Mobility (workout name)\n" in text
    assert "    Banded Leg Raise: 6 of 6 sets (12–15 reps): 12 12 11↓ 11↓ 10↓ 10↓; counts for the band\n" in text


def test_plan_of_a_session_cut_short(tmp_path: Path) -> None:
    from fitplug.activities.rule.classify import classify
    from fitplug.activities.rule.plan import plan_against_done

    summary = read_activity(
        m.fitplug_session(at(24, 7), STRENGTH, {"banded_leg_raise": [16, 15]}, skip=("stacked_leg_stretch",))
    )
    plan = plan_against_done(summary, classify(summary, PROGRAMME), PROGRAMME)
    assert plan is not None
    done = {e.exercise.id: (e.sets_done, e.sets_planned) for e in plan.exercises}
    assert done["stacked_leg_stretch"] == (0, 2) and done["banded_leg_raise"] == (6, 6)
    raise_ = next(e for e in plan.exercises if e.exercise.id == "banded_leg_raise")
    assert raise_.verdicts() == ["above", "above", "in range", "in range", "in range", "in range"]


# --- the same properties on the pure rule, over many orders and unrelated activities ----------------

SUMMARIES = [read_activity(data) for _, _, data in MONTH]
INSTANTS = [at(5, 12), at(9, 9), at(14, 9), at(21, 12), END]
UNRELATED_SPORTS = ["cycling", "swimming", "walking", "hiking", "rowing", "tennis"]


@st.composite
def unrelated(draw: st.DrawFn) -> ActivitySummary:
    sport = draw(st.sampled_from(UNRELATED_SPORTS))
    start = at(1, 0) + dt.timedelta(minutes=draw(st.integers(0, 27 * 24 * 60)))
    minutes = draw(st.integers(5, 240))
    n = draw(st.integers(0, 10**9))
    session = ActivitySession(sport, None, start, 0, minutes * 60.0, minutes * 60.0, 10_000.0, 120)
    return ActivitySummary(f"{n:064x}", "activity", "garmin", "fr965", n, start, (session,))


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations(list(range(len(SUMMARIES)))),
    extra=st.lists(unrelated(), max_size=4),
    now=st.sampled_from(INSTANTS),
)
def test_rule_ignores_order_and_unrelated_activities(
    order: list[int], extra: list[ActivitySummary], now: dt.datetime
) -> None:
    since = at(4, 0)
    expected = decide(SUMMARIES, [], PROGRAMME, now, since=since, weeks=4)
    shuffled = [SUMMARIES[i] for i in order]
    assert decide(shuffled, [], PROGRAMME, now, since=since, weeks=4) == expected
    assert decide([*shuffled, *extra], [], PROGRAMME, now, since=since, weeks=4) == expected
