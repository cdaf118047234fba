"""`fitplug log` (#18): the runner records or corrects a session by hand; it stands for the watch's sets.

Through the CLI with fixtures the SDK Encoder writes as a watch records them: watch miscounts
corrected, pain that freezes the band, a session the watch never recorded, undo, the listing
(a query: it writes nothing), and the log surviving a damaged store's rebuild.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import make_activities as m
from conftest import Invoke, at, programme_file

from fitplug.activities.read.reader import read_activity
from fitplug.activities.store.store import Store
from fitplug.model import LoggedSets

START = dt.date(2026, 11, 16)
NOW = "2026-11-22T12:00:00Z"
UP = "Time for a tougher band: Banded Leg Raise, green → blue"


class Runner:
    def __init__(self, invoke: Invoke, tmp_path: Path) -> None:
        self.invoke = invoke
        self.programme = programme_file(tmp_path, start=START)
        self.db = tmp_path / "db.sqlite3"
        self.src = tmp_path / "watch"
        self.src.mkdir()

    def run(self, *args: str, code: int = 0, now: str = NOW) -> str:
        return self.invoke("--db", self.db, "--now", now, *args, code=code).output

    def log(self, *args: str, code: int = 0) -> str:
        return self.run("log", *args, "-p", str(self.programme), code=code)

    def sync(self, **files: bytes) -> str:
        for name, data in files.items():
            (self.src / f"{name}.fit").write_bytes(data)
        return self.run("sync", str(self.src), str(self.programme))


def test_miscounted_reps_corrected_by_hand_move_the_band(invoke: Invoke, tmp_path: Path) -> None:
    r = Runner(invoke, tmp_path)
    # the watch saw a hold-like "1 rep" in each session: flagged, not used, so no advice
    said = r.sync(
        tue=m.strength(at(17, 7), [14, 1, 14, 14, 14, 14]), fri=m.strength(at(20, 7), [14, 14, 14, 1, 14, 14])
    )
    assert UP not in said
    assert "14 1? 14 14 14 14; a count no one did (?): not used for the band" in r.run("activities")
    said = r.log("banded_leg_raise", "14/14", "14/14", "14/14", "--day", "2026-11-17")
    assert said.splitlines()[:2] == [
        "Logged Banded Leg Raise on Tue 17 Nov: 14 14 14 14 14 14.",
        "For the band: counts for the band.",
    ]
    assert UP not in said  # one session of the two is still the watch's miscount
    doc = json.loads(r.log("banded_leg_raise", "14", "14", "14", "13", "14", "14", "--day", "2026-11-20", "--json"))
    assert doc["schema"] == "fitplug.log/1" and doc["day"] == "2026-11-20" and doc["before"] is None
    assert doc["logged"]["reps"] == [14, 14, 14, 13, 14, 14] and doc["logged"]["pain"] is False
    assert doc["band_rule"] == "counts" and doc["band_up"] == ["band-up-banded_leg_raise-green"]
    assert UP in r.run("status")
    listing = r.run("activities")
    assert listing.count("logged by hand: ") == 2 and "it stands for the watch's sets" in listing
    rows = json.loads(r.run("activities", "--json"))["sessions"]
    assert [e["day"] for row in rows for e in row["logged"]] == ["2026-11-17", "2026-11-20"]
    # a correction replaces; undo takes it back and the watch's sets count again
    again = r.log("banded_leg_raise", "12", "12", "12", "12", "12", "12", "--day", "2026-11-20")
    assert again.startswith("Corrected Banded Leg Raise on Fri 20 Nov: 12 12 12 12 12 12.")
    assert UP not in r.run("status")
    undone = r.log("banded_leg_raise", "--day", "2026-11-20", "--undo")
    assert undone.startswith("Took back what was logged for Banded Leg Raise on Fri 20 Nov (12 12 12 12 12 12)")
    assert UP not in r.run("status")
    assert "nothing was logged for Banded Leg Raise on Fri 20 Nov" in r.log(
        "banded_leg_raise", "--day", "2026-11-20", "--undo", code=1
    )


def test_pain_freezes_the_band_and_says_what_to_do(invoke: Invoke, tmp_path: Path) -> None:
    r = Runner(invoke, tmp_path)
    assert UP in r.sync(tue=m.strength(at(17, 7), [14] * 6), fri=m.strength(at(20, 7), [14] * 6))
    said = r.log("banded_leg_raise", "--pain", "--day", "2026-11-20")
    assert "For the band: pain logged: the band stays, the count starts again." in said
    assert "Pain logged in Banded Leg Raise on Fri 20 Nov" in said and "qualified exercise professional" in said
    status = r.run("status")
    assert UP not in status and "tip the pelvis back" in status
    doc = json.loads(r.run("status", "--json"))
    assert doc["band_up"] == [] and doc["pain"] == [
        {"exercise": "banded_leg_raise", "title": "Banded Leg Raise", "day": "2026-11-20"}
    ]
    # two more complete sessions past the threshold: the count has started again, and the pain note ends
    later = "2026-11-28T12:00:00Z"
    (r.src / "tue2.fit").write_bytes(m.strength(at(24, 7), [14] * 6))
    (r.src / "fri2.fit").write_bytes(m.strength(at(27, 7), [14] * 6))
    said = r.run("sync", str(r.src), str(r.programme), now=later)
    assert UP in said and "Pain logged" not in said


def test_a_session_the_watch_never_recorded(invoke: Invoke, tmp_path: Path) -> None:
    """Logged by hand on a planned day with nothing recorded: a strength day, not missed."""
    r = Runner(invoke, tmp_path)
    r.sync(tue=m.strength(at(17, 7), [13] * 6))
    assert "1 missed: Fri 20" in r.run("status")
    r.log("banded_leg_raise", *["13"] * 6, "--day", "2026-11-20")
    week = json.loads(r.run("status", "--json"))["week"]
    assert (week["strength_done"], week["strength_missed"]) == (2, [])
    assert "Time for a tougher band" in r.run("status")  # two complete sessions past 12: the logged one counts


def test_log_refuses_what_it_cannot_mean(invoke: Invoke, tmp_path: Path) -> None:
    r = Runner(invoke, tmp_path)
    assert "did you mean 'banded_leg_raise'?" in r.log("banded_lg_raise", "12", code=1)
    assert "is ahead of today" in r.log("banded_leg_raise", "12", "--day", "2026-11-23", code=1)
    assert "nothing to log" in r.log("banded_leg_raise", code=1)
    assert "'x' is not a rep count" in r.log("banded_leg_raise", "x", code=2)
    assert "at most 40 sets" in r.log("banded_leg_raise", "9999", code=1)
    assert not r.db.exists()  # nothing refused wrote anything


def test_the_listing_writes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    r = Runner(invoke, tmp_path)
    assert r.run("log") == "Nothing logged by hand (fitplug log EXERCISE REPS... records a session).\n"
    assert not r.db.exists()
    r.log("banded_leg_raise", "12", "11", "--day", "2026-11-18")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir() if p.is_file()}
    assert r.run("log") == "Wed 18 Nov  banded_leg_raise: 12 11\n"
    assert json.loads(r.run("log", "--json"))["logged"][0]["reps"] == [12, 11]
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir() if p.is_file()}
    assert before == after


def test_a_rebuilt_store_keeps_what_was_logged(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    entry = LoggedSets(dt.date(2026, 11, 17), "banded_leg_raise", (14, 13), True, at(17, 9))
    with Store(db) as store:
        store.set_log(entry, entry.day, entry.exercise)
        for i in range(300):
            data = m.run(dt.datetime(2025, 1, 1, 7, tzinfo=dt.UTC) + dt.timedelta(days=i), 30, 5.0)
            store.record_batch([(f"/runs/{i:04d}-{'x' * 200}.fit", len(data), i, read_activity(data))], at(17, 9))
    size = db.stat().st_size
    with db.open("r+b") as f:  # the last pages, where the activities are: the log's page lies before them
        f.seek(size - 4 * 4096)
        f.write(b"\xa5" * 4 * 4096)
    src = tmp_path / "src"
    src.mkdir()
    (src / "run.fit").write_bytes(m.run(at(21, 7), 40, 8.0))
    programme = programme_file(tmp_path, start=START)
    said = invoke("--db", db, "--now", NOW, "sync", str(src), str(programme), code=0).output
    assert "The store was damaged" in said and "(0 done marks and 1 logged kept)" in said
    with Store(db) as store:
        assert store.logs() == [entry]
