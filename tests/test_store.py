"""store.Store: migrations, one transaction per file, dedupe, due-item sequences."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import make_activities as m
import pytest
from conftest import sql

from fitplug.activities.read.reader import read_activity
from fitplug.activities.store.migrations import MIGRATIONS, SCHEMA_VERSION
from fitplug.activities.store.store import FileError, FileState, FileStatus, Store
from fitplug.errors import StoreError
from fitplug.model import ActivitySummary, DueItem, DueKind

UTC = dt.UTC
T = dt.datetime(2026, 11, 20, 7, 14, tzinfo=UTC)
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def record(store: Store, key: str, size: int, mtime_ns: int, outcome: ActivitySummary | FileError) -> FileState:
    (state,) = store.record_batch([(key, size, mtime_ns, outcome)], NOW)
    return state


def applied(db: Path) -> list[str]:
    return [name for (name,) in sql(db, "SELECT name FROM _migrations ORDER BY rowid")]


def test_new_store_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    with Store(db):
        assert applied(db) == [name for name, _ in MIGRATIONS]
        assert sql(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert sql(db, "PRAGMA journal_mode") == [("wal",)]
    with Store(db):  # reopening applies nothing twice
        assert applied(db) == [name for name, _ in MIGRATIONS]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="written by a newer fitplug"):
        Store(path)


@pytest.mark.parametrize("content", [b"not a database at all, just text" * 100, None])
def test_foreign_files_are_refused(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "s.sqlite3"
    if content is None:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE songs (title TEXT)")
    else:
        path.write_bytes(content)
    with pytest.raises(StoreError):
        Store(path)


def test_record_dedupes_by_hash_and_identity(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        data = m.run(T, 48, 10.2)
        assert record(store, "/a.fit", 1, 1, read_activity(data)).status is FileStatus.NEW
        assert record(store, "/copy.fit", 1, 1, read_activity(data)).status == "duplicate"
        resaved = m.run(T, 48, 10.2, hr=151)  # other bytes, same watch + serial + time_created
        assert record(store, "/resaved.fit", 1, 1, read_activity(resaved)).status == "duplicate"
        assert record(store, "/w.fit", 1, 1, read_activity(m.workout_file())).status == "other"
        assert len(store.activities()) == 1
        counts = sql(store.path, "SELECT status, count(*) FROM files GROUP BY status")
        assert dict(counts) == {"new": 1, "duplicate": 2, "other": 1}


def test_round_trip_of_an_activity(tmp_path: Path) -> None:
    summary = read_activity(m.strength(T, [15, 13]))
    with Store(tmp_path / "s.sqlite3") as store:
        record(store, "/s.fit", 10, 20, summary)
        (held,) = store.activities()
    assert held.summary == summary and held.key == "/s.fit"


def test_unchanged_and_errors(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        store.record_error("/bad.fit", 5, 7, "truncated", 100, NOW)
        assert store.file_index() == {"/bad.fit": (5, 7, True)}
        assert record(store, "/worse.fit", 1, 2, FileError("no header", 0)).status == "error"
        assert sql(store.path, "SELECT key, reason, error_offset FROM files WHERE status = 'error' ORDER BY key") == [
            ("/bad.fit", "truncated", 100),
            ("/worse.fit", "no header", 0),
        ]


def test_due_items_get_sequences(tmp_path: Path) -> None:
    item = DueItem(DueKind.STRETCH_DUE, "stretch-x", T, T + dt.timedelta(minutes=5), "Post-run stretch", "d")
    later = NOW + dt.timedelta(hours=1)
    with Store(tmp_path / "s.sqlite3") as store:
        (first,) = store.save_due([item], NOW)
        assert (first.sequence, first.updated_utc) == (0, NOW)
        (same,) = store.save_due([item], later)
        assert (same.sequence, same.updated_utc) == (0, NOW)
        done = DueItem(DueKind.STRETCH_DONE, "stretch-x", item.start_utc, item.end_utc, "Done", "d")
        (changed,) = store.save_due([done], later)
        assert (changed.sequence, changed.updated_utc) == (1, later)
        assert sql(store.path, "SELECT key, kind, sequence, updated_utc FROM due_items") == [
            ("stretch-x", "stretch_done", 1, later.isoformat())
        ]


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    summary = read_activity(m.run(T, 30, 5))
    broken = summary.__class__(
        **{**{f: getattr(summary, f) for f in summary.__dataclass_fields__}, "sessions": (None,)}
    )  # type: ignore[arg-type]
    with Store(tmp_path / "s.sqlite3") as store:
        with pytest.raises(AttributeError):
            record(store, "/x.fit", 1, 1, broken)
        assert store.activities() == [] and store.file_index() == {}


def test_history_since_loads_only_what_started_then(tmp_path: Path) -> None:
    early = read_activity(m.run(T - dt.timedelta(days=30), 40, 7))
    late = read_activity(m.run(T, 40, 7))
    across = read_activity(m.multisport(T - dt.timedelta(days=3)))  # starts with a ride, then a run leg
    with Store(tmp_path / "s.sqlite3") as store:
        for n, summary in enumerate([late, early, across]):
            record(store, f"/{n}.fit", 1, 1, summary)
        assert store.history() == [early, across, late]
        assert store.history(T - dt.timedelta(days=3)) == [across, late]
        leg = across.sessions[-1].start_utc  # a later session counts too
        assert store.history(leg) == [across, late]
        assert store.history(leg + dt.timedelta(seconds=1)) == [late]
        assert store.first_start() == early.sessions[0].start_utc


def test_history_by_set_category(tmp_path: Path) -> None:
    lift = read_activity(m.strength(T + dt.timedelta(hours=2), [15, 15]))
    with Store(tmp_path / "s.sqlite3") as store:
        record(store, "/r.fit", 1, 1, read_activity(m.run(T, 40, 7)))
        record(store, "/s.fit", 1, 1, lift)
        assert store.history(categories={"hip_stability", "plank"}) == [lift]
        assert store.history(categories={"plank"}) == []


def test_done_marks_since(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        store.add_done(T, NOW)
        store.add_done(T + dt.timedelta(hours=1), NOW, "stretch-x")
        assert [m.at_utc for m in store.done_marks()] == [T, T + dt.timedelta(hours=1)]
        assert [m.item_key for m in store.done_marks(T + dt.timedelta(minutes=1))] == ["stretch-x"]


def test_start_column_is_backfilled_by_its_migration(tmp_path: Path) -> None:
    """A store from before ``0002_activity_start`` gets the column filled for every activity."""
    path = tmp_path / "s.sqlite3"
    summaries = [read_activity(m.run(T, 40, 7)), read_activity(m.multisport(T + dt.timedelta(days=1)))]
    with Store(path) as store:
        for n, summary in enumerate(summaries):
            record(store, f"/{n}.fit", 1, 1, summary)
    with sqlite3.connect(path) as db:  # back to schema 1, as an older fitplug left it
        db.execute("DROP INDEX activities_start")
        db.execute("DROP INDEX sets_category")
        db.execute("ALTER TABLE activities DROP COLUMN start_utc")
        db.execute("DROP TABLE logged_sets")
        db.execute("DROP TABLE kept_past")
        db.execute("DELETE FROM _migrations WHERE name != '0001_initial'")
        db.execute("PRAGMA user_version = 1")
    db.close()  # `with` commits but leaves the connection (and its -wal/-shm files) open
    before = {f.name: f.read_bytes() for f in path.parent.iterdir()}
    with Store(path, read_only=True) as old:  # a query reads it through an upgraded copy in memory
        assert old.first_start() == T  # from the column 0002 adds, filled in the upgraded copy
        assert old.history(T + dt.timedelta(hours=1)) == summaries[1:]
    assert {f.name: f.read_bytes() for f in path.parent.iterdir()} == before  # the file is untouched
    with Store(path) as store:
        assert applied(path) == ["0001_initial", "0002_activity_start", "0003_logged_sets", "0004_kept_past"]
        assert store.logs() == []  # 0003 adds the table the runner's own logs go in
        starts = sql(path, "SELECT start_utc FROM activities ORDER BY id")
        assert starts == [(s.sessions[0].start_utc.isoformat(),) for s in summaries]
        assert store.history(T + dt.timedelta(hours=1)) == summaries[1:]
