"""sync.sync over real folders, watches, zips and broken files; a SIGKILL in the middle."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import sqlite3
import zipfile
from pathlib import Path

import make_activities as m
import pytest
from conftest import at, programme_file, sql

from fitplug.activities.files.events import Candidate, Refused
from fitplug.activities.files.sources import count_bytes, scan
from fitplug.activities.ingest import sync
from fitplug.activities.read.pool import _read_chunk
from fitplug.activities.store.store import Store
from fitplug.app.sync import sync_activities
from fitplug.programme.load import load_programme

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture
def programme(tmp_path: Path):  # type: ignore[no-untyped-def]
    # the runner started on the Monday of the fixtures' week: their runs are tracked
    return load_programme(programme_file(tmp_path, start=dt.date(2026, 11, 16), name="started.toml"))


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_folder_sync_is_incremental(tmp_path: Path, programme) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    write(src / "a" / "run.fit", m.run(at(21, 9), 60, 12.0))
    write(src / "b" / "STRENGTH.FIT", m.strength(at(20, 7), [12, 12]))
    write(src / "b" / "copy.fit", m.run(at(21, 9), 60, 12.0))
    write(src / "workout.fit", m.workout_file())
    write(src / "bad.fit", m.truncated(m.run(at(19, 7), 30, 5)))
    write(src / "notes.txt", b"ignored")
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [src], programme=programme, now=NOW)
        assert sorted(a.kind for a in r.new) == ["run", "strength"]
        assert (r.duplicates, dict(r.other), r.unchanged, r.known_bad) == (1, {"workout": 1}, 0, 0)
        assert [(Path(s.key).name, s.reason.split(" (")[0]) for s in r.skipped] == [("bad.fit", "truncated")]
        assert [d.key for d in r.status.decision.due] == ["stretch-20261121T090000Z"]
        again = sync(store, [src], programme=programme, now=NOW)
        assert (again.new, again.skipped, again.unchanged, again.known_bad) == ([], [], 4, 1)
        # a changed file is read again
        write(src / "bad.fit", m.run(at(19, 7), 30, 5))
        third = sync(store, [src], programme=programme, now=NOW)
        assert [a.kind for a in third.new] == ["run"] and third.known_bad == 0


def test_sources_inside_each_other_count_each_file_once(tmp_path: Path, programme) -> None:  # type: ignore[no-untyped-def]
    """A folder and a folder inside it, both given: each file is read, and then skipped, once."""
    src = tmp_path / "src"
    write(src / "a" / "run.fit", m.run(at(21, 9), 60, 12.0))
    write(src / "strength.fit", m.strength(at(20, 7), [12, 12]))
    write(src / "a" / "bad.fit", m.truncated(m.run(at(19, 7), 30, 5)))
    sources = [src / "a", src, src / "a" / "run.fit"]
    with Store(tmp_path / "db.sqlite3") as store:
        first = sync(store, sources, programme=programme, now=NOW)
        assert (len(first.new), len(first.skipped)) == (2, 1)
        again = sync(store, sources, programme=programme, now=NOW)
        assert (again.new, again.skipped, again.unchanged, again.known_bad) == ([], [], 2, 1)


def test_gzip_single_file_and_watch(tmp_path: Path, programme) -> None:  # type: ignore[no-untyped-def]
    gz = write(tmp_path / "run.fit.gz", gzip.compress(m.run(at(21, 9), 60, 12.0)))
    watch = tmp_path / "watch"
    write(watch / "GARMIN" / "Activity" / "A1.FIT", m.run(at(20, 18), 30, 5.0))
    write(watch / "GARMIN" / "Workouts" / "W.FIT", m.workout_file())  # not read: only Activity is
    db = tmp_path / "db.sqlite3"
    glute = programme_file(tmp_path, start=dt.date(2026, 11, 16))  # started on the Monday of the fixtures' week
    r = sync_activities([gz], programme_file=glute, device_root=watch, db_path=db, now=NOW)
    assert sorted(a.key for a in r.new) == sorted([str(gz), str(watch / "GARMIN" / "Activity" / "A1.FIT")])
    assert r.other == {}
    assert r.notes == [  # the first sync says what it remembered; the next one (below) says nothing
        f"Remembered {gz} as a source for later syncs.",
        f"Remembered the watch at {watch.resolve()} for later syncs.",
        f"Remembered {glute} as the programme for later commands.",
    ]
    assert [(i.name, i.status) for i in r.installed] == [("post-run-stretch-2.fit", "copied")]
    newfile = watch / "GARMIN" / "NewFiles" / "post-run-stretch-2.fit"
    from fitplug.activities.read.reader import read_activity

    assert read_activity(newfile).file_type == "workout"
    # the next sync does not copy it again
    again = sync_activities([gz], programme_file=glute, device_root=watch, db_path=db, now=NOW)
    assert again.notes == []
    assert [i.status for i in again.installed] == ["already there"]


def test_export_zip_with_nested_zips_and_hostile_entries(tmp_path: Path, programme) -> None:  # type: ignore[no-untyped-def]
    inner = zip_bytes(
        {
            "UploadedFiles/run1.fit": m.run(at(20, 7), 40, 8.0),
            "UploadedFiles/run2.fit.gz": gzip.compress(m.run(at(21, 9), 60, 12.0)),
        }
    )
    bomb = b"\0" * (8 * 1024 * 1024)
    outer = zip_bytes(
        {
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": inner,
            "../escape.fit": m.run(at(19, 7), 40, 8.0),
            "/abs.fit": m.run(at(18, 7), 40, 8.0),
            "bomb.fit": bomb,
            "DI_CONNECT/readme.json": b"{}",
        }
    )
    export = write(tmp_path / "export.zip", outer)
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [export], programme=programme, now=NOW)
        assert sorted(a.key.rsplit("!", 1)[1] for a in r.new) == ["UploadedFiles/run1.fit", "UploadedFiles/run2.fit.gz"]
        assert sorted((s.key.split("!", 1)[1], s.reason) for s in r.skipped) == [
            ("../escape.fit", "'..' in zip path; refused"),
            ("/abs.fit", "absolute path in zip; refused"),
            (
                "bomb.fit",
                f"compression ratio {len(bomb) // zipfile.ZipFile(export).getinfo('bomb.fit').compress_size}:1 "
                "looks like a zip bomb; refused",
            ),
        ]
        again = sync(store, [export], programme=programme, now=NOW)
        assert (again.new, again.skipped, again.unchanged) == ([], [], 1)  # the whole zip is skipped
    assert not (tmp_path / "escape.fit").exists() and not Path("/abs.fit").exists()


def test_symlink_entries_are_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("link.fit")
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    path = write(tmp_path / "x.zip", buf.getvalue())
    events = [e for e in scan([path]) if isinstance(e, (Candidate, Refused))]
    assert [(type(e).__name__, getattr(e, "reason", "")) for e in events] == [
        ("Refused", "symbolic link in zip; refused")
    ]


def test_not_a_zip_is_reported(tmp_path: Path, programme) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "export.zip", b"PK but not really")
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [path], programme=programme, now=NOW)
    assert [s.reason.split(":")[0] for s in r.skipped] == ["not a readable zip"]


def test_corpus_sync_never_crashes(tmp_path: Path, corpus: Path, programme) -> None:  # type: ignore[no-untyped-def]
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [corpus], programme=programme, now=NOW)
        assert len(r.new) > 100 and 5 <= len(r.skipped) <= 12
        assert all(s.reason for s in r.skipped)
        assert sql(store.path, "PRAGMA integrity_check") == [("ok",)]
        again = sync(store, [corpus], programme=programme, now=NOW)
        assert again.new == [] and again.skipped == []


# SIGKILL in the middle of a sync (and of `fitplug done`): tests/test_crash.py


def _snapshot(db: Path) -> tuple[list, list, list]:  # type: ignore[type-arg]
    with sqlite3.connect(db) as c:
        files = sorted(c.execute("SELECT key, size, status, file_type, reason FROM files"))
        acts = sorted(c.execute("SELECT sha256, file_type FROM activities"))
        sessions = sorted(
            c.execute(
                "SELECT a.sha256, s.idx, s.sport, s.start_utc, s.elapsed_s FROM sessions s "
                "JOIN activities a ON a.id = s.activity_id"
            )
        )
    return files, acts, sessions


def test_pool_and_single_process_store_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in a process pool or in this process: the same store, the same report, in file order."""
    from fitplug.activities.read import pool as readpool

    src = tmp_path / "src"
    for i in range(90):
        start = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(hours=9 * i)
        data = m.run(start, 30 + i % 40, 5 + i % 7) if i % 3 else m.strength(start, [10, 8 + i % 4])
        if i % 17 == 0:
            data = m.truncated(data)
        write(src / f"{i:03d}.fit", data)
        if i % 10 == 0:
            write(src / "copies" / f"{i:03d}.fit.gz", gzip.compress(data))
    write(
        src / "export.zip",
        zip_bytes(
            {f"m/{i}.fit": m.ride(dt.datetime(2025, 6, 1 + i, tzinfo=UTC), 60, 30) for i in range(20)}
            | {"m/bad.fit": b"not fit"}
        ),
    )
    write(src / "zz" / "last.fit", m.workout_file())
    results = []
    for name, processes, pool_after in (("one", 1, 64), ("pool", 2, 3)):
        monkeypatch.setattr(readpool, "POOL_AFTER", pool_after)
        monkeypatch.setattr(readpool, "CHUNK_FILES", 4)
        keys: list[tuple[str, float]] = []
        with Store(tmp_path / f"{name}.sqlite3") as store:
            r = sync(
                store, [src], programme=None, now=NOW, processes=processes, progress=lambda k, w: keys.append((k, w))
            )
        results.append((r, keys, _snapshot(tmp_path / f"{name}.sqlite3")))
    (one, one_keys, one_db), (pool, pool_keys, pool_db) = results
    assert one_db == pool_db
    assert one_keys == pool_keys
    # the progress shares add up to the sources' bytes on disk, whatever the zips hold
    assert abs(sum(w for _, w in one_keys) - count_bytes([src])) < 1e-6 * count_bytes([src])
    assert (one.new, one.skipped, one.duplicates, one.other) == (pool.new, pool.skipped, pool.duplicates, pool.other)
    assert len(one.new) == 90 - 6 + 20 and one.duplicates == 9 - 1  # a truncated original has a truncated copy


def test_every_crc_is_checked_and_a_bad_one_reported(tmp_path: Path) -> None:
    """Issue 13: the CRC is checked on every file by default (``verify`` changes nothing now).

    A file whose CRC does not match is not read (a flipped bit could be inside a
    time or a distance); it is reported as unreadable, "bad CRC", and
    remembered as such until it changes.
    """
    src = tmp_path / "src"
    write(src / "flipped.fit", m.bit_flipped(m.strength(at(20, 7), [10])))
    with Store(tmp_path / "db.sqlite3") as store:
        result = sync(store, [src], programme=None, now=NOW)
        assert result.new == [] and [s.reason.split(" (")[0] for s in result.skipped] == ["bad CRC"]
        again = sync(store, [src], programme=None, now=NOW)
        assert again.skipped == [] and again.known_bad == 1


def _dies_on_file_20(jobs, crc):  # type: ignore[no-untyped-def]
    """A worker's task that kills its worker when it meets file 020 (module level: pickled by name)."""
    if any(job.key.endswith("020.fit") for job in jobs):
        os._exit(9)
    return _read_chunk(jobs, crc)  # the real one, imported before any test patches it


def test_a_worker_that_dies_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-sync (out of memory, say): its files and the rest are read here, in order."""
    from fitplug.activities.read import pool as readpool

    src = tmp_path / "src"
    for i in range(60):
        write(src / f"{i:03d}.fit", m.run(dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(hours=9 * i), 40, 8))
    write(
        src / "zz.zip",
        zip_bytes({f"{i}.fit": m.ride(dt.datetime(2025, 6, 1 + i, tzinfo=UTC), 60, 30) for i in range(5)}),
    )
    monkeypatch.setattr(readpool, "_read_chunk", _dies_on_file_20)
    monkeypatch.setattr(readpool, "POOL_AFTER", 4)
    monkeypatch.setattr(readpool, "CHUNK_FILES", 3)
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [src], programme=None, now=NOW, processes=2)
        assert len(r.new) == 65 and r.skipped == []
        assert [Path(a.key).name for a in r.new][:61] == [f"{i:03d}.fit" for i in range(60)] + ["zz.zip!0.fit"]
        assert sql(store.path, "SELECT count(*) FROM files WHERE status = 'new'") == [(65,)]
        assert sql(store.path, "SELECT count(*) FROM containers") == [(1,)]
