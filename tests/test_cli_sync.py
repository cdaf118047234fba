"""`fitplug sync`, `status`, `activities` and `done` end to end with CliRunner."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import make_activities as m
import pytest
from click.testing import Result
from conftest import ROOT, Invoke, at, invoke_cli, programme_file

PROGRAMME = str(ROOT / "templates" / "glute-runner.toml")


@pytest.fixture
def started(tmp_path: Path) -> str:
    """The template with ``start = 2026-11-16``: the runner started on the Monday of the fixtures' week."""
    return str(programme_file(tmp_path, start=dt.date(2026, 11, 16), name="started.toml"))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "run.fit").write_bytes(m.run(at(22, 7, 14), 48, 10.2))
    (folder / "strength.fit").write_bytes(m.strength(at(20, 7), [15, 15]))
    (folder / "bad.fit").write_bytes(m.ZERO_BYTES)
    return folder


def fitplug(tmp_path: Path, *args: str, now: str = "2026-11-22T09:30:00Z") -> Result:
    """``fitplug --db TMP/db.sqlite3 --now NOW ARGS...``"""
    return invoke_cli("--db", tmp_path / "db.sqlite3", "--now", now, *args)


COMING = "Coming up:\n  Tue 24 Nov 07:00  Glute Strength & Mobility\n  Fri 27 Nov 07:00  Glute Strength & Mobility\n"


def test_sync_summary(tmp_path: Path, src: Path, started: str) -> None:
    result = fitplug(tmp_path, "sync", str(src), "--programme", started)
    assert result.exit_code == 0
    assert result.output == (
        "Read 2 new activities: 1 run, 1 strength.\n"
        "Skipped 1 file that could not be read:\n"
        f"  {src / 'bad.fit'} @ byte 0: empty file (0 bytes)\n"
        f"Remembered {src.resolve()} as a source for later syncs.\n"
        f"Remembered {Path(started).resolve()} as the programme for later commands.\n"
        "Post-run set due now, until Mon 23 Nov 23:59: Post-run 1 Stretch (Pigeon Pose + Lying Figure-Four), "
        "after your 10.2 km run, 07:14–08:02\n"
        "Since the last sync:\n"
        "  Tue 17 Nov: Glute Strength & Mobility missed\n"
        + COMING
        + "This week (from Mon 16 Nov): strength 1 of 2 days (1 missed: Tue 17), stretching 0 days (target 2–3).\n"
    )
    # the second time, nothing to name: sources and programme are remembered (and nothing new to say so)
    again = fitplug(tmp_path, "sync", now="2026-11-22T09:45:00Z")
    assert again.exit_code == 0
    assert "Remembered" not in again.output
    assert again.output.splitlines()[0] == "No new activities (2 unchanged, 1 known bad)."
    assert again.output.splitlines()[1].startswith("Post-run set due now, until Mon 23 Nov 23:59: Post-run 1 Stretch")
    assert "Since the last sync" not in again.output  # the missed Tuesday was said once


def test_first_sync_without_a_start_misses_nothing_before_it(tmp_path: Path, src: Path) -> None:
    """No `start`: tracking starts the day fitplug first saw the programme (a writing command), here Sunday."""
    status = fitplug(tmp_path, "status", "--programme", PROGRAMME, "--json")  # a query: remembers nothing
    assert json.loads(status.output)["tracking_start"] == "2026-11-22"
    result = fitplug(tmp_path, "sync", str(src), "--programme", PROGRAMME)
    assert result.output.endswith(
        "This week (from Mon 16 Nov): strength 1 of 0 days (planned from Sun 22 Nov, when tracking started), "
        "stretching 0 days (target 2–3).\n"
    )
    assert "missed" not in result.output.replace("(planned", "")
    # days later, the start has not moved: Tuesday 24 is missed, the Tuesday before the start never is
    later = json.loads(fitplug(tmp_path, "status", "--json", now="2026-12-02T09:00:00Z").output)
    assert later["tracking_start"] == "2026-11-22"
    assert [i["key"] for i in later["items"] if i["kind"] == "strength_missed"] == [
        "strength-missed-2026-11-24",
        "strength-missed-2026-11-27",
        "strength-missed-2026-12-01",
    ]
    # history before the start is still listed
    listed = json.loads(fitplug(tmp_path, "activities", "--json").output)
    assert listed["sessions"][0]["start_utc"] == "2026-11-20T07:00:00Z"


def test_sync_strict_exits_1(tmp_path: Path, src: Path) -> None:
    result = fitplug(tmp_path, "sync", str(src), "--programme", PROGRAMME, "--strict")
    assert result.exit_code == 1
    assert result.output.endswith("Error: 1 file could not be read (--strict)\n")


def test_sync_json(tmp_path: Path, src: Path, started: str) -> None:
    result = fitplug(tmp_path, "sync", str(src), "--programme", started, "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["schema"] == "fitplug.sync/3" and data["tracking_start"] == "2026-11-16"
    assert data["new_by_kind"] == {"run": 1, "strength": 1}
    assert data["skipped"] == [{"file": str(src / "bad.fit"), "reason": "empty file (0 bytes)", "offset": 0}]
    (due,) = data["due"]
    assert due["key"] == "stretch-20261122T071400Z"
    assert due["stretches"] == ["Pigeon Pose", "Lying Figure-Four"]
    assert due["due_until_utc"] == "2026-11-24T00:00:00Z"
    assert data["week"]["strength_missed"] == ["2026-11-17"]
    assert {i["kind"] for i in data["items"]} == {"stretch_due", "strength_missed"}


def test_sync_without_sources(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("--db", str(tmp_path / "db.sqlite3"), "sync")
    assert result.exit_code == 1
    assert result.output == (
        "Error: no sources: name a folder, a watch, a FIT file or an export zip (fitplug sync PATH)\n"
    )


def test_sync_without_programme(tmp_path: Path, src: Path) -> None:
    result = fitplug(tmp_path, "sync", str(src))
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        "No programme: name one with --programme (or run `fitplug init`) to learn what is due."
    )


def test_status_then_done(invoke: Invoke, tmp_path: Path, src: Path, started: str) -> None:
    fitplug(tmp_path, "sync", str(src), "--programme", started)
    status = fitplug(tmp_path, "status", now="2026-11-22T09:40:00Z")  # the sync said Tuesday was missed
    assert status.output == (
        "Post-run set due now, until Mon 23 Nov 23:59: Post-run 1 Stretch (Pigeon Pose + Lying Figure-Four), "
        "after your 10.2 km run, 07:14–08:02\n"
        + COMING
        + "This week (from Mon 16 Nov): strength 1 of 2 days (1 missed: Tue 17), stretching 0 days (target 2–3).\n"
    )
    early = fitplug(tmp_path, "done", "--at", "2026-11-22T06:50:00Z")
    assert early.exit_code == 1
    assert early.output == (
        "Error: Sun 22 Nov 06:50 is before your 10.2 km run, 07:14–08:02: its post-run set counts from the end "
        "of the run; give a time after 08:02 (or leave --at out for now)\n"
    )
    done = fitplug(tmp_path, "done", "--at", "2026-11-22T09:00:00Z")
    assert done.exit_code == 0
    assert done.output == (
        "Marked done: Post-run 1 Stretch (Pigeon Pose + Lying Figure-Four), after your 10.2 km run, 07:14–08:02.\n"
    )
    status = fitplug(tmp_path, "status", "--json")
    data = json.loads(status.output)
    assert data["schema"] == "fitplug.status/3" and data["due"] == []
    assert data["runs"][0]["state"] == "done" and data["runs"][0]["done_by"] == "fitplug done"
    assert data["week"]["stretch_days"] == 1  # the day of the mark; Friday's banded sets held no stretch
    item = next(i for i in data["items"] if i["key"] == "stretch-20261122T071400Z")
    assert (item["kind"], item["sequence"]) == ("stretch_done", 1)
    again = invoke("--db", str(tmp_path / "db.sqlite3"), "--now", "2026-11-22T09:30:00Z", "done")
    assert again.exit_code == 1
    assert again.output == (
        "Error: the post-run set after your 10.2 km run, 07:14–08:02 was already done at Sun 09:00 "
        "(fitplug done); nothing else was due at Sun 22 Nov 09:30\n"
    )


def test_done_in_the_future_is_bad_usage(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("--now", "2026-11-22T09:30:00Z", "done", "--at", "2026-11-23T09:00:00Z")
    assert result.exit_code == 2
    assert result.output == (
        "Usage: cli done [OPTIONS] [PROGRAMME]\nTry 'cli done --help' for help.\n\n"
        "Error: Invalid value for --at: is in the future\n"
    )


def test_activities(tmp_path: Path, src: Path) -> None:
    fitplug(tmp_path, "sync", str(src))
    result = fitplug(tmp_path, "activities")
    assert result.exit_code == 0
    assert result.output == (
        "start (local)      kind      sport                          elapsed     timer   distance   HR  file\n"
        f"2026-11-20 07:00   strength  training/strength_training     0:35:00   0:35:00          -  110  "
        f"{src / 'strength.fit'}\n"
        "    set 1: hip_stability/band_side_lying_leg_raise, 15 reps\n"
        "    set 2: hip_stability/band_side_lying_leg_raise, 15 reps\n"
        f"2026-11-22 07:14   run       running/generic                0:48:00   0:48:00   10.20 km  150  "
        f"{src / 'run.fit'}\n"
    )
    data = json.loads(fitplug(tmp_path, "activities", "--json").output)
    assert data["schema"] == "fitplug.activities/2"
    assert [(r["kind"], r["sport"], r["start_utc"], r["distance_m"]) for r in data["sessions"]] == [
        ("strength", "training", "2026-11-20T07:00:00Z", None),
        ("run", "running", "2026-11-22T07:14:00Z", 10200.0),
    ]
    assert len(data["sessions"][0]["sets"]) == 4


def test_activities_empty_store(tmp_path: Path) -> None:
    result = fitplug(tmp_path, "activities")
    assert result.output == "The store holds no activities yet; run `fitplug sync`.\n"


def test_store_from_newer_fitplug(invoke: Invoke, tmp_path: Path) -> None:
    import sqlite3

    from fitplug.activities.store.migrations import SCHEMA_VERSION

    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA user_version = 99")
        c.execute("PRAGMA application_id = 1718187120")
    result = invoke("--db", str(db), "activities")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {db}: written by a newer fitplug (schema 99; this one knows {SCHEMA_VERSION}); "
        "upgrade fitplug or use another --db\n"
    )


#: what no command loads unless it needs it: FIT decoders and the SDK, the calendar library, the web
#: server, the store's SQLite, zips, process pools, HTTP, the folder finder; and for help, the library
HEAVY = frozenset(
    {
        "fitdecode",
        "garmin_fit_sdk",
        "icalendar",
        "waitress",
        "sqlite3",
        "zipfile",
        "multiprocessing",
        "concurrent.futures",
        "http.client",
        "platformdirs",
        "fitplug.activities.read.scan",
        "fitplug.app",
        "fitplug.errors",
        "dataclasses",
        "shutil",
        "zlib_ng",  # the zip reader's inflater: loaded when a zip member is read, by nothing else
        "fitplug.app.watch",  # the watch half: a sync loads it only with a watch named or remembered
        "fitplug.activities.read.pool",  # the reader: loaded by a sync with a file to read
        "fitplug.activities.files.zips",  # the zip reader: loaded by a sync with a zip to open
    }
)
#: the heavy modules each command may load: what its work needs (all else in HEAVY must stay out)
LIBRARY = {"fitplug.app", "fitplug.errors", "dataclasses"}
NEEDS: dict[str, set[str]] = {
    "--help": set(),
    "watch --help": set(),
    "sync --help": set(),
    "status": {*LIBRARY, "sqlite3"},
    "activities": {*LIBRARY, "sqlite3"},
    "log": {*LIBRARY, "sqlite3"},
    "check": {*LIBRARY, "sqlite3"},  # it says how tracking stands, from the store
    "exercises": {*LIBRARY, "sqlite3"},
    "calendar -o -": {*LIBRARY, "sqlite3", "icalendar"},
    "show": {*LIBRARY, "sqlite3", "fitdecode", "garmin_fit_sdk", "shutil", "fitplug.app.watch"},  # reads a FIT file
    # warm: no file to read, so no reader (nor its scanner), no decoder, no pool; no zip in the source, so no zip reader
    "sync": {*LIBRARY, "sqlite3"},
}


def test_each_command_imports_only_the_heavy_modules_it_needs(tmp_path: Path, src: Path) -> None:
    """`fitplug --help` loads none of the library; each command only what its work needs (a warm
    sync no FIT decoder nor process pool, a query no calendar library, only `calendar` icalendar)."""
    import os
    import subprocess
    import sys

    assert fitplug(tmp_path, "sync", str(src), "--programme", PROGRAMME).exit_code == 0
    assert fitplug(tmp_path, "build", PROGRAMME, "-o", str(tmp_path / "out")).exit_code == 0
    workout = str(sorted((tmp_path / "out").glob("*.fit"))[0])
    args = {
        "--help": ["--help"],
        "watch --help": ["watch", "--help"],
        "sync --help": ["sync", "--help"],
        "status": ["status", "--programme", PROGRAMME],
        "activities": ["activities"],
        "log": ["log", "-p", PROGRAMME],
        "check": ["check", PROGRAMME],
        "exercises": ["exercises"],
        "calendar -o -": ["calendar", PROGRAMME, "-o", "-"],
        "show": ["show", workout],
        "sync": ["sync", str(src), "--programme", PROGRAMME],  # every file already stored
    }
    assert args.keys() == NEEDS.keys()
    db = str(tmp_path / "db.sqlite3")
    for name, command in args.items():
        code = (
            "import sys\nfrom fitplug.cli import cli\n"
            f"try:\n    cli(['--db', {db!r}, '--now', '2026-11-22T09:30:00Z', *{command!r}])\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            f"print(sorted(m for m in sys.modules if m in {sorted(HEAVY)!r}), file=sys.stderr)"
        )
        for _ in range(2):  # the first run may build the exercise table cache from the SDK
            done = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        assert done.returncode == 0, (name, done.stderr)
        loaded = set(json.loads(done.stderr.strip().splitlines()[-1].replace("'", '"')))
        assert loaded <= NEEDS[name], (name, sorted(loaded - NEEDS[name]))
        assert LIBRARY <= loaded or not NEEDS[name], name  # the check sees the modules it names


def test_db_and_now_work_after_the_command_name_too(invoke: Invoke, tmp_path: Path, src: Path) -> None:
    """`fitplug sync --db x` as people type it: the same store and clock as `fitplug --db x sync`."""
    db = tmp_path / "after.sqlite3"
    now = "2026-11-22T09:30:00+00:00"
    synced = invoke("sync", str(src), "-p", PROGRAMME, "--db", str(db), "--now", now, "--json")
    assert synced.exit_code == 0, synced.output
    assert db.is_file() and json.loads(synced.output)["now"] == "2026-11-22T09:30:00Z"
    before = invoke("--db", str(db), "--now", now, "status", "-p", PROGRAMME, "--json")
    after = invoke("status", "-p", PROGRAMME, "--json", "--now", now, "--db", str(db))
    assert before.exit_code == after.exit_code == 0
    assert json.loads(after.output) == json.loads(before.output)
    assert json.loads(after.output)["due"]  # the store after the sync, not an empty one
