"""SIGKILL a real ``fitplug sync`` or ``fitplug done`` anywhere: the store stays whole.

After each kill: ``PRAGMA integrity_check`` is ok, no foreign key points
nowhere, nothing half-written is visible, and running the command again
leaves the store exactly as one clean run would (every table compared,
see ``crashkit.snapshot``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path

import crashkit as ck
import make_activities as m
import pytest
from conftest import ROOT, programme_file

from fitplug.activities.read.pool import BATCH_FILES

UTC = dt.UTC
PROGRAMME = str(ROOT / "templates" / "glute-runner.toml")  # replaced by a started copy, below


@pytest.fixture(scope="module", autouse=True)
def _started_programme(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The template with ``start = 2026-01-01``: the whole synthetic year is tracked, so there are due items."""
    global PROGRAMME
    PROGRAMME = str(programme_file(tmp_path_factory.mktemp("programme"), start=dt.date(2026, 1, 1)))


#: plain FIT files in the source folder (every 50th truncated), beside one export zip
N_FILES = 400


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One fitplug home for the module's clean runs (the per-test one is not up yet)."""
    home = tmp_path_factory.mktemp("crash-home")
    saved = {k: os.environ.get(k) for k in ("FITPLUG_DATA_DIR", "FITPLUG_CONFIG_DIR")}
    os.environ["FITPLUG_DATA_DIR"] = str(home / "data")
    os.environ["FITPLUG_CONFIG_DIR"] = str(home / "config")
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs, strength sessions, broken files, a duplicate, a workout and an export zip."""
    src = tmp_path_factory.mktemp("crash-src")
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(N_FILES):
        start = base + dt.timedelta(hours=7 * i)
        if i % 50 == 0:
            data = m.truncated(m.run(start, 30, 5))
        elif i % 9 == 0:
            data = m.strength(start, [12, 10])
        else:
            data = m.run(start, 30 + i % 40, 5 + i % 7)
        _write(src / "watch" / f"{i:04d}.fit", data)
    _write(src / "watch" / "copy-of-0001.fit", (src / "watch" / "0001.fit").read_bytes())
    _write(src / "watch" / "workout.fit", m.workout_file())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for j in range(20):
            z.writestr(f"UploadedFiles/{j:02d}.fit", m.run(dt.datetime(2026, 11, 1 + j, 7, tzinfo=UTC), 40, 8))
    _write(src / "export.zip", buf.getvalue())
    return src


@pytest.fixture(scope="module")
def clean_sync(home: Path, sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clean") / "clean.sqlite3"
    result = ck.run(db, "sync", str(sources), "--programme", PROGRAMME)
    assert result.returncode == 0, result.stderr
    assert ck.integrity(db) == "ok"
    return db


def _expected_files() -> int:
    return N_FILES + 2 + 20  # the folder, the copy and the workout, the zip's members


def test_the_clean_sync_holds_everything(clean_sync: Path) -> None:
    snap = ck.snapshot(clean_sync)
    assert len(snap["files"]) == _expected_files()
    assert len(snap["activities"]) == N_FILES - N_FILES // 50 + 20
    assert snap["sets"] and snap["due_items"] and snap["containers"]


def _resync_equals_clean(killed: Path, sources: Path, clean: Path) -> None:
    assert ck.integrity(killed) == "ok"
    again = ck.run(killed, "sync", str(sources), "--programme", PROGRAMME)
    assert again.returncode == 0, again.stderr
    assert ck.integrity(killed) == "ok"
    assert ck.snapshot(killed) == ck.snapshot(clean)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9], ids=["first-file", "10%", "50%", "90%"])
def test_sigkill_between_files_then_resync(fraction: float, tmp_path: Path, sources: Path, clean_sync: Path) -> None:
    """Killed right after a commit at the first file, and ~10%, ~50%, ~90% through.

    The kill point is the n-th file's row: deterministic, where a watcher
    polling the store can lose the race against a sync that takes a second.
    """
    db = tmp_path / "killed.sqlite3"
    target = max(1, int(fraction * _expected_files()))
    result = ck.run_with_killpoint(
        db, "after", "INSERT OR REPLACE INTO files", target, "sync", str(sources), "--programme", PROGRAMME
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    held = ck.count_rows(db, "files")
    # the open batch is gone with the kill; every earlier batch is committed
    assert max(0, target - BATCH_FILES) <= held < target
    _resync_equals_clean(db, sources, clean_sync)


@pytest.mark.parametrize(
    ("when", "pattern", "nth"),
    [
        ("before", "BEGIN IMMEDIATE", 1),  # the very first transaction: the migrations
        ("after", "CREATE TABLE files", 1),  # inside the migration's transaction
        ("after", "INSERT INTO activities", 1),  # inside the first file's transaction
        ("after", "INSERT INTO sessions", 150),  # an activity without its sessions yet
        ("after", "INSERT INTO sets", 5),  # a strength activity without its sets yet
        ("before", "INSERT OR REPLACE INTO files", 200),  # activity stored, file not marked
        ("after", "INSERT OR REPLACE INTO containers", 1),  # the zip done, not committed
        ("before", "COMMIT", 15),  # files are committed 16 to a transaction
        ("after", "INSERT OR REPLACE INTO due_items", 1),  # the decision half saved
    ],
)
def test_sigkill_inside_a_transaction_then_resync(
    when: str, pattern: str, nth: int, tmp_path: Path, sources: Path, clean_sync: Path
) -> None:
    """Killed by the process itself at an SQL statement, with a transaction open."""
    db = tmp_path / "killed.sqlite3"
    result = ck.run_with_killpoint(db, when, pattern, nth, "sync", str(sources), "--programme", PROGRAMME)
    assert result.returncode == -signal.SIGKILL, f"not killed at {when} {pattern!r} #{nth}: {result.stderr}"
    if db.exists():
        assert ck.integrity(db) == "ok"
    if ck.count_rows(db, "sqlite_master"):  # killed before the migrations: no tables at all
        # the open transaction is gone: no activity without its sessions, no file without its activity
        snap = ck.snapshot(db)
        with_sessions = {row[0] for row in snap["sessions"]}
        assert all(a[0] in with_sessions for a in snap["activities"])
        assert all(f[8] is not None for f in snap["files"] if f[4] in ("new", "duplicate"))
    _resync_equals_clean(db, sources, clean_sync)


# --- fitplug done -------------------------------------------------------------------


@pytest.fixture(scope="module")
def before_done(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after a sync that left the post-run stretch set due."""
    folder = tmp_path_factory.mktemp("done")
    _write(folder / "src" / "run.fit", m.run(dt.datetime(2026, 11, 21, 9, tzinfo=UTC), 60, 12.0))
    db = folder / "before.sqlite3"
    result = ck.run(db, "sync", str(folder / "src"), "--programme", PROGRAMME)
    assert result.returncode == 0, result.stderr
    return db


@pytest.fixture(scope="module")
def clean_done(before_done: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("done-clean") / "clean.sqlite3"
    shutil.copy(before_done, db)
    result = ck.run(db, "done", "--programme", PROGRAMME)
    assert result.returncode == 0, result.stderr
    assert len(ck.snapshot(db)["done_marks"]) == 1
    return db


def _copy_store(src: Path, dest: Path) -> Path:
    shutil.copy(src, dest)
    for suffix in ("-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copy(f"{src}{suffix}", f"{dest}{suffix}")
    return dest


@pytest.mark.parametrize(
    ("when", "pattern", "nth", "committed"),
    [
        ("before", "BEGIN IMMEDIATE", 1, False),
        ("after", "INSERT INTO done_marks", 1, False),  # the mark written, not committed
        ("before", "COMMIT", 1, False),
        ("after", "COMMIT", 1, True),  # committed, killed before it could say so
    ],
)
def test_sigkill_during_done_then_done_again(
    when: str, pattern: str, nth: int, committed: bool, tmp_path: Path, before_done: Path, clean_done: Path
) -> None:
    db = _copy_store(before_done, tmp_path / "killed.sqlite3")
    result = ck.run_with_killpoint(db, when, pattern, nth, "done", "--programme", PROGRAMME)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert ck.integrity(db) == "ok"
    assert len(ck.snapshot(db)["done_marks"]) == (1 if committed else 0)
    again = ck.run(db, "done", "--programme", PROGRAMME)
    if committed:  # the first one counted: the second finds nothing due and changes nothing
        assert (again.returncode, again.stderr) == (
            1, ("Error: the post-run set after your 12.0 km run yesterday, 09:00–10:00 was already done at "
               "Sun 09:30 (fitplug done); nothing else was due at Sun 22 Nov 09:30\n")
        )  # fmt: skip
    else:
        assert again.returncode == 0, again.stderr
    assert ck.integrity(db) == "ok"
    assert ck.snapshot(db) == ck.snapshot(clean_done)


@pytest.mark.parametrize("delay_ms", [0, 150, 300, 450, 600, 900])
def test_sigkill_done_at_any_moment(delay_ms: int, tmp_path: Path, before_done: Path, clean_done: Path) -> None:
    """Killed from outside after a delay, wherever the process happens to be."""
    import subprocess
    import time

    db = _copy_store(before_done, tmp_path / "killed.sqlite3")
    proc = subprocess.Popen(ck.fitplug_cmd(db, "done", "--programme", PROGRAMME), env=ck.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(delay_ms / 1000)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ck.integrity(db) == "ok"
    assert len(ck.snapshot(db)["done_marks"]) in (0, 1)
    again = ck.run(db, "done", "--programme", PROGRAMME)
    assert again.returncode in (0, 1), again.stderr
    assert ck.snapshot(db) == ck.snapshot(clean_done)
