"""store.Store: migrations, one transaction per file, dedupe, due-item sequences."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import make_activities as m
import pytest

from fitplug.activities.read import read_activity
from fitplug.errors import StoreError
from fitplug.model import DueItem, DueKind
from fitplug.activities.store import MIGRATIONS, SCHEMA_VERSION, Store

UTC = dt.UTC
T = dt.datetime(2026, 11, 20, 7, 14, tzinfo=UTC)
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_new_store_is_migrated(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        assert store.migrations() == [name for name, _ in MIGRATIONS]
        assert store.query("PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert store.query("PRAGMA journal_mode") == [("wal",)]
    with Store(tmp_path / "s.sqlite3") as store:  # reopening applies nothing twice
        assert store.migrations() == [name for name, _ in MIGRATIONS]


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
        assert store.record("/a.fit", 1, 1, read_activity(data), NOW).status == "new"
        assert store.record("/copy.fit", 1, 1, read_activity(data), NOW).status == "duplicate"
        resaved = m.run(T, 48, 10.2, hr=151)  # other bytes, same watch + serial + time_created
        assert store.record("/resaved.fit", 1, 1, read_activity(resaved), NOW).status == "duplicate"
        assert store.record("/w.fit", 1, 1, read_activity(m.workout_file()), NOW).status == "other"
        assert len(store.activities()) == 1
        assert store.counts() == {"new": 1, "duplicate": 2, "other": 1}


def test_round_trip_of_an_activity(tmp_path: Path) -> None:
    summary = read_activity(m.strength(T, [15, 13]))
    with Store(tmp_path / "s.sqlite3") as store:
        store.record("/s.fit", 10, 20, summary, NOW)
        (held,) = store.activities()
    assert held.summary == summary and held.key == "/s.fit"


def test_unchanged_and_errors(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        store.record_error("/bad.fit", 5, 7, "truncated", 100, NOW)
        assert store.is_unchanged("/bad.fit", 5, 7)
        assert not store.is_unchanged("/bad.fit", 5, 8)
        assert [(e.key, e.reason) for e in store.errors()] == [("/bad.fit", "truncated")]


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
        assert store.saved_due() == [changed]


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    summary = read_activity(m.run(T, 30, 5))
    broken = summary.__class__(**{**{f: getattr(summary, f) for f in summary.__dataclass_fields__},
                                  "sessions": (None,)})  # type: ignore[arg-type]
    with Store(tmp_path / "s.sqlite3") as store:
        with pytest.raises(AttributeError):
            store.record("/x.fit", 1, 1, broken, NOW)
        assert store.activities() == [] and store.file_state("/x.fit") is None
