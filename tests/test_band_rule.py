"""Honest band progression (#18): only complete sessions with believable counts move the band, both ways.

A decision table on the pure rule, then the issue's scenarios through the CLI with
fixtures the SDK Encoder writes as a watch records them (fitplug's own workout with
``wkt_step_index``, and a free strength session without it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import make_activities as m
import pytest
from conftest import ROOT, Invoke, at, programme_file

from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.classify import classify
from fitplug.activities.rule.due import decide
from fitplug.activities.rule.plan import plan_against_done
from fitplug.model import ActivitySession, ActivitySummary, BandRule, Programme, SetRecord
from fitplug.present.words import band_down
from fitplug.programme.load import load_programme

START = dt.date(2026, 11, 16)
NOW = "2026-11-23T12:00:00Z"


@pytest.fixture(scope="module")
def programme() -> Programme:
    return load_programme(ROOT / "templates" / "glute-runner.toml")


def lifts(*sessions: list[int]) -> list[ActivitySummary]:
    """One free strength session a day from Tue 17 Nov, each with these banded leg raise reps."""
    return [read_activity(m.strength(at(17 + n, 7), reps)) for n, reps in enumerate(sessions)]


def advice(programme: Programme, history: list[ActivitySummary]) -> tuple[list[str], list[str]]:
    d = decide(history, [], programme, at(28, 7))
    return [b.key for b in d.band], [b.key for b in d.band_down]


UP = "band-up-banded_leg_raise-green"
DOWN = "band-down-banded_leg_raise-green"
FULL_UP, FULL_DOWN, MIDDLE = [14] * 6, [8, 9, 7, 8, 9, 8], [12] * 6


@pytest.mark.parametrize(
    ("sessions", "up", "down"),
    [
        pytest.param([[14, 14], [14, 14]], [], [], id="two-of-six-sets-twice"),
        pytest.param([FULL_UP, FULL_UP], [UP], [], id="complete-past-twice"),
        pytest.param([FULL_DOWN, FULL_DOWN], [], [DOWN], id="complete-under-twice"),
        pytest.param([FULL_UP, [14, 14], FULL_UP], [UP], [], id="a-partial-between-neither-resets"),
        pytest.param(
            [FULL_UP, [14, 1, 14, 14, 14, 14], FULL_UP], [UP], [], id="a-hold-counted-as-1-rep-is-passed-over"
        ),
        pytest.param([FULL_UP, [14, 14, 14, 14, 14, 60]], [], [], id="a-miscount-is-not-used"),
        pytest.param([FULL_UP, MIDDLE, FULL_UP], [], [], id="a-complete-session-in-range-resets"),
        pytest.param([FULL_DOWN, FULL_UP, FULL_DOWN], [], [], id="under-then-past-then-under"),
        pytest.param([FULL_DOWN, [11] * 5 + [12]], [], [], id="one-set-at-the-bottom-is-not-under"),
        pytest.param([FULL_UP, FULL_UP, FULL_DOWN, FULL_DOWN], [], [DOWN], id="the-latest-run-decides"),
    ],
)
def test_band_decision_table(programme: Programme, sessions: list[list[int]], up: list[str], down: list[str]) -> None:
    assert advice(programme, lifts(*sessions)) == (up, down)


def test_lighter_names_the_previous_colour_and_ends_when_the_band_changes(programme: Programme) -> None:
    history = lifts(FULL_DOWN, FULL_DOWN)
    (d,) = decide(history, [], programme, at(28, 7)).band_down
    assert (d.lighter_band, d.threshold, d.sessions, d.since_utc) == ("red", 12, 2, history[1].end_utc)
    assert band_down(d) == (
        "Time for a lighter band: Banded Leg Raise, green → red "
        "(every set stayed under 12 reps in 2 sessions in a row with the green band)."
    )
    # the lightest band on the runner's ladder: no colour to name, and the words say what to do instead
    lightest = dataclasses.replace(programme, band=BandRule(("green", "blue")))
    (d,) = decide(history, [], lightest, at(28, 7)).band_down
    assert d.lighter_band is None and "green is the lightest band on your ladder" in band_down(d)
    # the band changed after those sessions: they were done with the old band
    assert decide(history, [], programme, at(28, 7), band_since={"banded_leg_raise": at(20, 0)}).band_down == ()


def test_step_index_says_which_exercise_a_set_was(programme: Programme) -> None:
    """fitplug's workout recorded with ``wkt_step_index``: a set the watch recorded under another exercise
    (or none) still belongs to the step's exercise; without the index, the sets match by exercise and order."""
    session = programme.sessions[0]
    data = m.fitplug_session(at(17, 7), session, {"banded_leg_raise": [14, 14, 14]})
    summary = read_activity(data)
    raise_sets = [s for s in summary.sets if s.category == "hip_stability" and s.set_type == "active"]
    assert all(s.wkt_step_index is not None for s in raise_sets)
    # the watch filed the first banded set under no exercise at all
    wrong = tuple(
        dataclasses.replace(s, category=None, exercise_name=None) if s is raise_sets[0] else s for s in summary.sets
    )
    moved = dataclasses.replace(summary, sets=wrong)
    plan = plan_against_done(moved, classify(moved, programme), programme)
    assert plan is not None
    done = next(e for e in plan.exercises if e.exercise.id == "banded_leg_raise")
    assert (done.sets_done, done.sets_planned, str(done.band_standing)) == (6, 6, "counts")
    # without the step indices that set is lost to the exercise: 5 of 6, partial
    bare = dataclasses.replace(moved, sets=tuple(dataclasses.replace(s, wkt_step_index=None) for s in wrong))
    plan = plan_against_done(bare, classify(bare, programme), programme)
    assert plan is not None
    done = next(e for e in plan.exercises if e.exercise.id == "banded_leg_raise")
    assert (done.sets_done, str(done.band_standing)) == (5, "partial")


def test_nothing_before_the_start_is_held_against_the_plan(programme: Programme) -> None:
    summary = read_activity(m.strength(at(10, 7), [12, 12]))
    c = classify(summary, programme)
    assert plan_against_done(summary, c, programme) is not None
    assert plan_against_done(summary, c, programme, at(16, 0)) is None


# --- through the CLI ---------------------------------------------------------------------------------


def cli(invoke: Invoke, db: Path, *args: str) -> str:
    return invoke("--db", db, "--now", NOW, *args, code=0).output


def test_a_third_of_the_work_moves_no_band_and_activities_says_why(invoke: Invoke, tmp_path: Path) -> None:
    programme = programme_file(tmp_path, start=START)
    src = tmp_path / "watch"
    src.mkdir()
    (src / "tue.fit").write_bytes(m.strength(at(17, 7), [14, 14]))
    (src / "fri.fit").write_bytes(m.strength(at(20, 7), [14, 14]))
    (src / "old.fit").write_bytes(m.strength(at(10, 7), [14, 14]))  # before the start
    db = tmp_path / "db.sqlite3"
    said = cli(invoke, db, "sync", str(src), str(programme))
    assert "band" not in said.lower()
    doc = json.loads(cli(invoke, db, "status", "--json"))
    assert doc["schema"] == "fitplug.status/3" and doc["band_up"] == [] and doc["band_down"] == []
    text = cli(invoke, db, "activities")
    line = (
        "    Banded Leg Raise: 2 of 6 sets (12–15 reps): 14 14; "
        "not every planned set recorded: does not count for the band"
    )
    assert text.count(line) == 2
    rows = json.loads(cli(invoke, db, "activities", "--json"))["sessions"]
    plans = {r["start_utc"][:10]: r["plan"] for r in rows}
    assert plans["2026-11-10"] is None  # before the programme's start: not held against the plan
    banded = [e for e in plans["2026-11-17"]["exercises"] if e["exercise"] == "banded_leg_raise"]
    assert [(e["sets_done"], e["sets_planned"], e["band_rule"]) for e in banded] == [(2, 6, "partial")]
    assert all(e["band_rule"] is None for e in plans["2026-11-17"]["exercises"] if e["exercise"] != "banded_leg_raise")


def test_too_hard_says_go_lighter_everywhere(invoke: Invoke, tmp_path: Path) -> None:
    """Two complete sessions from fitplug's own workout, failing at 7–9 reps: a lighter band, in sync
    and status text and JSON, the feed and the page."""
    programme = programme_file(tmp_path, start=START)
    session = load_programme(programme).sessions[0]
    src = tmp_path / "watch"
    src.mkdir()
    for day, reps in ((17, [9, 8, 7]), (20, [8, 8, 7])):
        (src / f"{day}.fit").write_bytes(m.fitplug_session(at(day, 7), session, {"banded_leg_raise": reps}))
    db = tmp_path / "db.sqlite3"
    words = (
        "Time for a lighter band: Banded Leg Raise, green → red "
        "(every set stayed under 12 reps in 2 sessions in a row with the green band)."
    )
    assert words in cli(invoke, db, "sync", str(src), str(programme)).splitlines()
    assert words in cli(invoke, db, "status").splitlines()
    doc = json.loads(cli(invoke, db, "status", "--json"))
    (down,) = doc["band_down"]
    assert down == {
        "key": "band-down-banded_leg_raise-green",
        "exercise": "banded_leg_raise",
        "title": "Banded Leg Raise",
        "band": "green",
        "lighter_band": "red",
        "threshold": 12,
        "sessions": 2,
        "since_utc": down["since_utc"],
    }
    assert down["since_utc"].startswith("2026-11-20T07:")
    assert doc["band_up"] == [] and "band_down" in {i["kind"] for i in doc["items"]}
    feed = invoke("--db", db, "--now", NOW, "calendar", str(programme), "-o", "-", code=0).stdout_bytes
    assert b"SUMMARY:Time for a lighter band: Banded Leg Raise (green \xe2\x86\x92 red)" in feed
    page = tmp_path / "page.html"
    cli(invoke, db, "report", str(programme), "-o", str(page))
    assert words in page.read_text(encoding="utf-8")


def test_an_unrelated_session_with_no_band_sets_changes_nothing(programme: Programme) -> None:
    history = lifts(FULL_UP, FULL_UP)
    core = ActivitySummary(
        "c" * 64,
        "activity",
        "garmin",
        "fr965",
        None,
        at(19, 7),
        (ActivitySession("training", "strength_training", at(19, 7), 0, 1800.0, 1800.0, None, 100),),
        None,
        (SetRecord(at(19, 7), "active", 3, None, "core", 5, 30.0),),
    )
    assert advice(programme, [*history, core]) == advice(programme, history) == ([UP], [])
