"""The store under hostile conditions (issue 13): racing first opens, damage, a full disk,
hand-damaged rows; private files; clocks out of range; temporary files of killed runs."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import make_activities as m
import pytest
from click.testing import Result
from conftest import ROOT, Invoke, invoke_cli, sql

from fitplug import atomic
from fitplug.activities.store.sqlfile import StoreDamaged
from fitplug.activities.store.store import Store
from fitplug.errors import StoreError

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
PROGRAMME = str(ROOT / "templates" / "glute-runner.toml")


def fitplug(db: Path, *args: str, now: str = "2026-11-22T09:30:00Z") -> Result:
    """``fitplug --db DB --now NOW ARGS...``: a crash fails the test (it propagates), so does a traceback printed."""
    result = invoke_cli("--db", str(db), "--now", now, *args)
    assert "Traceback" not in result.output
    return result


def _open(path: str, start: float) -> str:
    while time.time() < start:
        pass
    try:
        Store(path).close()
    except Exception as exc:  # noqa: BLE001  # reported to the test
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_concurrent_first_opens(tmp_path: Path) -> None:
    """Openers of one brand-new store at the same instant all get a migrated store (it used to fail
    with "table files already exists" about a third of the time)."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as workers:
        for round_ in range(8):
            path = str(tmp_path / f"s{round_}.sqlite3")
            start = time.time() + 0.3
            results = workers.starmap(_open, [(path, start)] * 4)
            assert results == ["ok"] * 4, results
            assert sql(Path(path), "SELECT count(*) FROM _migrations")[0][0] >= 2


def _filled(path: Path, runs: int = 300) -> None:
    with Store(path) as store:
        store.add_done(dt.datetime(2026, 11, 1, 8, tzinfo=UTC), NOW, "stretch-a")
        store.add_done(dt.datetime(2026, 11, 2, 8, tzinfo=UTC), NOW)
        start = dt.datetime(2025, 1, 1, 7, tzinfo=UTC)
        for i in range(runs):
            data = m.run(start + dt.timedelta(days=i), 30 + i % 20, 5.0)
            from fitplug.activities.read.reader import read_activity

            store.record_batch([(f"/runs/{i:04d}-{'x' * 200}.fit", len(data), i, read_activity(data))], NOW)


def _damage_last_pages(path: Path, pages: int = 4) -> None:
    size = path.stat().st_size
    page = 4096
    with path.open("r+b") as f:
        f.seek(size - pages * page)
        f.write(b"\xa5" * (pages * page))


def test_a_damaged_store_gives_a_clean_error_and_sync_rebuilds_it(tmp_path: Path) -> None:
    db = tmp_path / "data" / "fitplug.sqlite3"
    _filled(db)
    _damage_last_pages(db)
    # a query that meets the damage stops with a clean error (one that does not, answers)
    for args in (["activities"], ["activities", "--json"]):
        result = fitplug(db, *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith(f"Error: {db} is damaged"), result.output
        assert "Run `fitplug sync` to rebuild it" in result.output
    src = tmp_path / "src"
    src.mkdir()
    (src / "run.fit").write_bytes(m.run(dt.datetime(2026, 11, 21, 7, tzinfo=UTC), 40, 8.0))
    result = fitplug(db, "sync", str(src), "--programme", PROGRAMME)
    assert result.exit_code == 0, result.output
    assert "The store was damaged: moved to" in result.output and "(2 done marks kept)" in result.output
    assert "Read 1 new activity" in result.output
    kept = [p for p in tmp_path.glob("data/fitplug.sqlite3.damaged-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1
    with Store(db) as store:
        assert [(d.at_utc.day, d.item_key) for d in store.done_marks()] == [(1, "stretch-a"), (2, None)]
    assert sql(db, "PRAGMA quick_check") == [("ok",)]
    for args in (["status"], ["activities", "--json"], ["calendar", "-o", "-"], ["sync"]):
        assert fitplug(db, *args).exit_code == 0, args


def test_damage_found_while_reading_names_the_file(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    _filled(db)
    _damage_last_pages(db)
    store = Store.for_reading(db)
    assert store is not None
    with store, pytest.raises(StoreDamaged, match="is damaged"):
        store.activities()


def test_a_full_disk_is_the_error_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite3"
    _filled(db, runs=2)
    connect = sqlite3.connect

    def no_room_to_grow(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")  # the store's connection: SQLITE_FULL
        return connection

    with monkeypatch.context() as patch:
        patch.setattr(sqlite3, "connect", no_room_to_grow)
        store = Store(db)
    with store:
        data = m.run(dt.datetime(2026, 11, 21, 7, tzinfo=UTC), 40, 8.0)
        from fitplug.activities.read.reader import read_activity

        summary = read_activity(data)
        batch = [(f"/big/{i}-{'y' * 3000}.fit", 1, i, summary) for i in range(50)]
        with pytest.raises(StoreError, match="the disk is full; nothing was changed") as info:
            store.record_batch(batch, NOW)
        assert "rollback" not in str(info.value)
        assert sql(db, "SELECT count(*) FROM files") == [(2,)]  # nothing half-written


def test_hand_damaged_rows_read_as_unknown(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    _filled(db, runs=5)
    with sqlite3.connect(db) as raw:
        raw.execute(
            "UPDATE sessions SET elapsed_s = 1e308, timer_s = 'x', distance_m = -5, avg_hr = 2e20 "
            "WHERE idx = 0 AND activity_id = 1"
        )
        raw.execute("UPDATE sessions SET start_utc = 'garbage' WHERE activity_id = 2")
        raw.execute("UPDATE sets SET start_utc = '9999-12-31T23:59:59+00:00'")
        raw.execute("UPDATE done_marks SET at_utc = 'soon' WHERE id = 1")
    fitplug(db, "init", str(tmp_path / "p.toml"))
    for args in (["status"], ["status", "--json"], ["activities"], ["activities", "--json"], ["calendar", "-o", "-"]):
        result = fitplug(db, *args)
        assert result.exit_code == 0, (args, result.output)
        if "--json" in args:
            json.loads(result.output, parse_constant=lambda c: pytest.fail(c))
    with Store(db) as store:
        s = next(a for a in store.activities() if a.id == 1).summary.sessions[0]
        assert (s.elapsed_s, s.timer_s, s.distance_m, s.avg_hr) == (None, None, None, None)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_private_by_default(invoke: Invoke, tmp_path: Path, fitplug_home: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "run.fit").write_bytes(m.run(dt.datetime(2026, 11, 21, 7, tzinfo=UTC), 40, 8.0))
    old = os.umask(0o022)
    try:
        result = invoke("--now", "2026-11-22T09:30:00Z", "sync", str(src))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    data, config = Path(os.environ["FITPLUG_DATA_DIR"]), Path(os.environ["FITPLUG_CONFIG_DIR"])
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "fitplug.sqlite3").stat().st_mode) == 0o600
    # an older store others could read is made private by the next write
    (data / "fitplug.sqlite3").chmod(0o644)
    Store(data / "fitplug.sqlite3").close()
    assert stat.S_IMODE((data / "fitplug.sqlite3").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        (["--now", "9999-12-31T23:00Z", "status"], "9999-12-31T23:00Z"),
        (["--now", "2200-01-01", "build"], "2200-01-01"),
        (["--now", "1900-01-01T00:00Z", "sync"], "1900-01-01T00:00Z"),
        (["calendar", "-o", "-", "--from", "0001-01-01"], "0001-01-01"),
        (["calendar", "-o", "-", "--from", "2100-01-01"], "2100-01-01"),
        (["--now", "2099-12-31T23:30-05:00", "status"], "2099-12-31T23:30-05:00"),  # 2100 in UTC
    ],
)
def test_clocks_out_of_range_are_refused(invoke: Invoke, tmp_path: Path, args: list[str], bad: str) -> None:
    result = invoke("--db", str(tmp_path / "db.sqlite3"), *args)
    assert result.exit_code == 2, result.output
    assert f"'{bad}' is outside the years fitplug handles (1990–2099)" in result.output
    assert not (tmp_path / "db.sqlite3").exists()


def test_temporary_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".Glute_1.fit.0badc0de.tmp"
    fresh = out / ".Glute_2.fit.12345678.tmp"  # another run writing right now
    mine = out / ".notes.txt.tmp"  # not a name fitplug makes
    for p in (stale, fresh, mine):
        p.write_bytes(b"half")
    old = time.time() - atomic.STALE_AFTER_S - 60
    os.utime(stale, (old, old))
    os.utime(mine, (old, old))
    atomic.write_atomic(out / "Glute_1.fit", b"whole")
    assert not stale.exists() and fresh.exists() and mine.exists()
    os.utime(fresh, (old, old))
    atomic.write_all_atomic({out / "a.fit": b"a"})
    assert not fresh.exists()
    assert sorted(p.name for p in out.iterdir()) == [".notes.txt.tmp", "Glute_1.fit", "a.fit"]


def _chattr(flag: str, *paths: Path) -> bool:
    import shutil
    import subprocess

    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True, check=False).returncode == 0


def test_queries_work_on_a_store_no_one_can_write(tmp_path: Path) -> None:
    """A store on a read-only disk, or a read-only file in a read-only folder (immutable here: the
    tests run as root, whom file modes do not stop): queries answer, a sync says why it cannot write."""
    folder = tmp_path / "ro"
    db = folder / "fitplug.sqlite3"
    _filled(db, runs=3)
    fitplug(db, "init", str(tmp_path / "p.toml"))
    if not _chattr("+i", db, folder):
        pytest.skip("cannot make a file immutable here (chattr)")
    try:
        for args in (["status"], ["status", "--json"], ["activities", "--json"], ["calendar", "-o", "-"]):
            result = fitplug(db, *args)
            assert result.exit_code == 0, (args, result.output)
        result = fitplug(db, "sync", str(tmp_path / "p.toml"))
        assert result.exit_code == 1 and result.output.startswith("Error: "), result.output
        assert sorted(p.name for p in folder.iterdir()) == ["fitplug.sqlite3", "fitplug.sqlite3.journal"]
    finally:
        _chattr("-i", db, folder)


@pytest.mark.skipif(not os.path.exists("/proc/self"), reason="Linux /proc")
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    """A real `fitplug sync` killed while its worker pool is up leaves no worker behind.

    The order of events, not their speed: the sync stops itself (tests/killpoint.py)
    just before storing the first file a worker read, so its workers are there; the
    test finds them (its children in /proc), SIGKILLs the sync, and then the workers
    are gone. The long deadline only keeps a regression from hanging the suite.
    """
    import signal

    import crashkit as ck

    from fitplug.activities.read.pool import CHUNK_FILES, POOL_AFTER, workers

    if workers() < 2:
        pytest.skip("one core: sync reads every file in its own process")
    src = tmp_path / "src"
    src.mkdir()
    start = dt.datetime(2026, 1, 1, 7, tzinfo=UTC)
    for i in range(POOL_AFTER + 4 * CHUNK_FILES):  # past the files read in-process: the rest go to the pool
        (src / f"{i:03d}.fit").write_bytes(m.run(start + dt.timedelta(days=i), 30, 5.0))
    # the first file stored after the first POOL_AFTER is one a worker read
    proc = ck.start_with_killpoint(
        tmp_path / "db.sqlite3", "stop", "INSERT OR REPLACE INTO files", POOL_AFTER + 1, "sync", str(src)
    )
    try:
        _wait_for(lambda: _state(proc.pid) in ("T", None), f"sync {proc.pid} to stop at the killpoint")
        assert _state(proc.pid) == "T", f"the sync ended before its killpoint: {proc.communicate()[1]}"
        pids = _children(proc.pid)
        assert pids, "no worker processes while the sync stores what they read"
        assert all(_alive(p) for p in pids)
        proc.kill()
        proc.wait(60)
        _wait_for(lambda: not any(_alive(p) for p in pids), f"workers {pids} to end after their parent")
        assert not [p for p in pids if _alive(p)]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the sync's own session: anything a failure left
        proc.communicate()


def _wait_for(done: Callable[[], bool], what: str, hang_guard_s: float = 120.0) -> None:
    """Poll until ``done()``; the deadline only bounds a hang (never a measure of speed)."""
    deadline = time.monotonic() + hang_guard_s
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {hang_guard_s:g} s")
        time.sleep(0.02)


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (state, ppid, ...), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None


def _state(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[0] if fields else None


def _alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z")


def _children(parent: int) -> list[int]:
    pids = (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    return sorted(pid for pid in pids if (f := _stat(pid)) is not None and int(f[1]) == parent)


def test_a_db_that_is_no_sqlite_file_is_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"my training notes, not a database\n" * 200)
    result = fitplug(notes, "sync", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {notes} is not a SQLite file; fitplug leaves it as it is")
    assert notes.read_bytes() == b"my training notes, not a database\n" * 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_hand_damaged_due_items_are_saved_again(tmp_path: Path) -> None:
    from fitplug.model import DueItem, DueKind

    item = DueItem(DueKind.STRETCH_DUE, "stretch-x", NOW, NOW + dt.timedelta(hours=1), "Stretch")
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        (saved,) = store.save_due([item], NOW)
        assert saved.sequence == 0
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE due_items SET sequence = 'x', updated_utc = 7")
    later = NOW + dt.timedelta(days=1)
    with Store(db) as store:
        (preview,) = store.preview_due([item], later)
        (again,) = store.save_due([item], later)
        assert (preview.sequence, preview.updated_utc) == (again.sequence, again.updated_utc) == (0, later)
        assert store.save_due([item], later + dt.timedelta(days=1)) == [again]  # kept from now on


@pytest.mark.skipif(os.name != "posix", reason="a writer's process id is checked on POSIX")
def test_a_killed_builds_temporary_is_removed_by_the_next_build(tmp_path: Path) -> None:
    """#22: a build killed mid-write leaves `.NAME.fit.xxxxxxxx-PID.tmp`; the next write in that folder,
    minutes later or at once, sees its writer is gone and removes it (another live writer's stays)."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "out"
    code = (
        "import sys, time; from pathlib import Path; from fitplug import atomic; "
        "atomic.stage(Path(sys.argv[1]) / 'glute-strength.fit', b'half'); print('staged', flush=True); time.sleep(60)"
    )
    writer = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "staged"
    (left,) = list(out.iterdir())
    assert left.name.startswith(".glute-strength.fit.") and left.name.endswith(f"-{writer.pid}.tmp")
    atomic.write_atomic(out / "schedule.fit", b"x")  # its writer still runs: left alone
    assert left.exists()
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    atomic.write_atomic(out / "schedule.fit", b"y")  # killed: removed at once, no need to wait 10 minutes
    assert sorted(p.name for p in out.iterdir()) == ["schedule.fit"]


def test_a_disk_io_error_on_a_full_disk_says_the_disk_is_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """#22: SQLite reports a write that ran out of room as a "disk I/O error"; fitplug says what it was."""
    import shutil
    from collections import namedtuple

    from fitplug.activities.store.sqlfile import failed

    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorcode = 10  # type: ignore[attr-defined]  # SQLITE_IOERR
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 4096, 4096))
    assert str(failed(tmp_path / "s.sqlite3", exc)).endswith("could not write: the disk is full; nothing was changed")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 0, 10**9))
    assert "the disk failed to read or write (disk I/O error)" in str(failed(tmp_path / "s.sqlite3", exc))
