"""The rule beyond the default week: other programmes, multisport recordings (#18).

Scenarios through the CLI, with fixtures the SDK Encoder writes as a watch records
them, and the real Forerunner 965 bike + strength file of the shared corpus.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import make_activities as m
import pytest
from conftest import Invoke, at, programme_file

from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.classify import classify, holds_stretches
from fitplug.activities.rule.legs import legs
from fitplug.model import ActivityKind, ActivitySession, ActivitySummary, SetRecord
from fitplug.programme.load import load_programme

START = dt.date(2026, 11, 16)
NOW = "2026-11-21T12:00:00Z"
FR965_BIKE_STRENGTH = "jarkko+fit-analyzer/tests/fixtures/20744294788_ACTIVITY.fit"


def cli(invoke: Invoke, db: Path, *args: str) -> str:
    return invoke("--db", db, "--now", NOW, *args, code=0).output


# --- a programme without a post-run set or stretches ----------------------------------------------


def test_band_strength_says_nothing_post_run(invoke: Invoke, tmp_path: Path) -> None:
    """`band-strength` has no post-run set and no stretch: a 40-minute run makes nothing due, nothing is
    counted or mentioned, and no stretching target is kept."""
    programme = programme_file(tmp_path, "band-strength", start=START)
    src = tmp_path / "watch"
    src.mkdir()
    (src / "run.fit").write_bytes(m.run(at(18, 7), 40, 8.0))
    (src / "band.fit").write_bytes(m.strength(at(17, 7), [13, 13, 13, 13, 13, 13]))
    db = tmp_path / "db.sqlite3"
    said = cli(invoke, db, "sync", str(src), str(programme))
    status = cli(invoke, db, "status")
    weeks = cli(invoke, db, "status", "--weeks", "2")
    for text in (said, status, weeks):
        assert "post-run" not in text.lower() and "stretching" not in text.lower()
    assert "This week (from Mon 16 Nov): strength 1 of 2 days (1 missed: Fri 20)." in status.splitlines()
    doc = json.loads(cli(invoke, db, "status", "--json"))
    assert doc["due"] == [] and doc["runs"] == [] and {i["kind"] for i in doc["items"]} <= {"strength_missed"}
    assert (doc["week"]["stretch_days_min"], doc["week"]["stretch_days_max"]) == (None, None)
    assert (doc["week"]["post_run_done"], doc["week"]["post_run_missed"], doc["week"]["post_run_due"]) == (0, 0, 0)
    feed = invoke("--db", db, "--now", NOW, "calendar", str(programme), "-o", "-", code=0).stdout_bytes
    assert b"stretch" not in feed.lower()
    page = tmp_path / "page.html"
    cli(invoke, db, "report", str(programme), "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert "post-run" not in html.lower() and "against the target" not in html and "(target" not in html


def test_a_stretching_day_needs_stretches() -> None:
    """A strength session's day is a stretching day only when it holds the programme's stretches."""
    runner = load_programme(Path(__file__).parent.parent / "templates" / "glute-runner.toml")
    t = at(17, 7)
    leg = (ActivitySession("training", "strength_training", t, 0, 1800, 1800, None, 110),)

    def session(*sets: tuple[str, int]) -> ActivitySummary:
        records = tuple(SetRecord(t, "active", 12, None, c, n) for c, n in sets)
        return ActivitySummary("0" * 64, "activity", "garmin", "fr965", 1, t, leg, None, records)

    cases = [
        ("banded raises only", session(("hip_stability", 0), ("hip_stability", 0)), False),
        ("raises, then the pigeon", session(("hip_stability", 0), ("warm_up", 59)), True),
        ("a stacked-leg stretch (the programme's hold)", session(("hip_raise", 11), ("warm_up", 11)), True),
        ("no sets, no workout name", session(), False),
    ]
    for name, summary, expected in cases:
        assert holds_stretches(summary, classify(summary, runner), runner) is expected, name


# --- multisport: every leg its own session ---------------------------------------------------------


def _sets_for(start: dt.datetime, reps: list[int]) -> list[m.Set]:
    out = []
    t = start
    for r in reps:
        out += [m.Set(t, "active", r, "hip_stability", 0, None, 40), m.Set(t + dt.timedelta(seconds=40), "rest")]
        t += dt.timedelta(minutes=2)
    return out


def strength_run_strength(start: dt.datetime) -> bytes:
    """Strength 20 min, a 30-minute run, strength 20 min: one file, three sessions, sets in both strength legs."""
    run_at, back_at = start + dt.timedelta(minutes=20), start + dt.timedelta(minutes=50)
    legs_ = [
        m.Leg("training", "strength_training", start, 20 * 60, None, 110),
        m.Leg("running", "road", run_at, 30 * 60, 6000, 150),
        m.Leg("training", "strength_training", back_at, 20 * 60, None, 115),
    ]
    sets = _sets_for(start + dt.timedelta(minutes=1), [14, 14, 14]) + _sets_for(
        back_at + dt.timedelta(minutes=1), [13, 13, 13]
    )
    return m.encode(m.Activity(legs_, sets=sets, serial=4242))


def test_legs_split_sets_by_time_table() -> None:
    start = at(17, 7)
    summary = read_activity(strength_run_strength(start))
    parts = legs(summary)
    assert [(p.sessions[0].sport, len([s for s in p.sets if s.set_type == "active"])) for p in parts] == [
        ("training", 3),
        ("running", 0),
        ("training", 3),
    ]
    assert [classify(p, None).kind for p in parts] == [ActivityKind.STRENGTH, ActivityKind.RUN, ActivityKind.STRENGTH]
    assert len({p.sha256 for p in parts}) == 3 and legs(parts[0]) == (parts[0],)  # one session: itself


def test_strength_run_strength_is_a_strength_day_and_a_run(invoke: Invoke, tmp_path: Path) -> None:
    programme = programme_file(tmp_path, start=START)
    src = tmp_path / "watch"
    src.mkdir()
    (src / "brick.fit").write_bytes(strength_run_strength(at(17, 7)))
    db = tmp_path / "db.sqlite3"
    said = cli(invoke, db, "sync", str(src), str(programme))
    assert said.startswith("Read 1 new activity (3 sessions): 2 strength, 1 run.")
    doc = json.loads(cli(invoke, db, "status", "--json"))
    assert doc["week"]["strength_done"] == 1 and "2026-11-17" not in doc["week"]["strength_missed"]
    (run,) = [r for r in doc["runs"] + doc["due"]]
    assert run["run_start_utc"] == "2026-11-17T07:20:00Z" and run["state"] == "missed"  # lapsed Wed night
    rows = json.loads(cli(invoke, db, "activities", "--json"))["sessions"]
    assert [(r["session"], r["kind"], len(r["sets"])) for r in rows] == [
        (0, "strength", 6),
        (1, "run", 0),
        (2, "strength", 6),
    ]


def test_the_real_fr965_bike_then_strength_file(corpus: Path, invoke: Invoke, tmp_path: Path) -> None:
    """The shared corpus's Forerunner 965 recording: an indoor ride, then free strength, in one file."""
    path = corpus / FR965_BIKE_STRENGTH
    if not path.is_file():
        pytest.skip(f"{FR965_BIKE_STRENGTH} is not in the shared corpus")
    summary = read_activity(path)
    parts = legs(summary)
    assert [(p.sessions[0].sport, p.sessions[0].sub_sport) for p in parts] == [
        ("cycling", "indoor_cycling"),
        ("training", "strength_training"),
    ]
    ride, strength = parts
    assert ride.sets == () and len(strength.sets) == len(summary.sets)  # every set is in the strength leg's span
    assert all(s.start_utc is not None and s.start_utc >= strength.sessions[0].start_utc for s in strength.sets)
    db = tmp_path / "db.sqlite3"
    invoke("--db", db, "--now", "2025-10-21T12:00:00Z", "sync", str(path), code=0)
    rows = json.loads(invoke("--db", db, "activities", "--json", code=0).output)["sessions"]
    assert [(r["sport"], r["kind"]) for r in rows] == [("cycling", "cycling"), ("training", "strength")]
    assert rows[0]["sets"] == [] and len(rows[1]["sets"]) == len(summary.sets)


# --- Monday's post-run set, Tuesday's strength session ----------------------------------------------


def test_a_strength_session_holding_every_stretch_completes_the_post_run_set() -> None:
    """Decided (docs/due-rule.md): Tuesday's strength session, inside the window, whose recorded sets hold
    every stretch of Monday's post-run set, completes it; one missing a stretch of it does not."""
    from fitplug.activities.rule.due import decide
    from fitplug.model import DoneBy

    programme = load_programme(Path(__file__).parent.parent / "templates" / "glute-runner.toml")
    strength = programme.sessions[0]
    run = read_activity(m.run(at(16, 7), 40, 8.0))
    lift = read_activity(m.fitplug_session(at(17, 7), strength))
    (r,) = decide([run, lift], [], programme, at(18, 12)).runs
    assert (r.state.value, r.done_by, r.done_utc) == ("done", DoneBy.STRENGTH_SESSION, lift.start_utc)
    assert r.done_session is r.session and r.session is not None
    held = {e.id for e in r.session.exercises}
    assert held <= {e.id for e in strength.exercises}
    # the same session without one of the set's stretches: the set lapses missed
    short = read_activity(m.fitplug_session(at(17, 7), strength, skip=(sorted(held)[0],)))
    (r,) = decide([run, short], [], programme, at(18, 12)).runs
    assert (r.state.value, r.done_by) == ("missed", None)
    # a strength session with no stretch at all (a free one of banded raises) completes nothing
    bands = read_activity(m.strength(at(17, 7), [13] * 6))
    (r,) = decide([run, bands], [], programme, at(18, 12)).runs
    assert r.state.value == "missed"
