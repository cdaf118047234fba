"""Nothing poisons the store (issue 13): hostile field types, nonsense values, any file name.

Files come from the hostile-file generator (tests/hostile_files.py). Every
case is read by both strategies (the fast scanner and fitdecode), which must
agree; the summary must hold nothing unbounded (strict JSON, the store, the
due rule); and after a sync of all of them, every command still works.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import hostile_files as h
import make_activities as m
import pytest
from conftest import ROOT, invoke_cli, sql
from fitfiles import FitBuilder
from hypothesis import given
from hypothesis import strategies as st

from fitplug.activities.files import sources, zips
from fitplug.activities.files.events import Candidate, Refused
from fitplug.activities.read import pool, sane
from fitplug.activities.read.outcome import shown
from fitplug.activities.read.reader import Crc, decode_activity, read_activity
from fitplug.activities.rule.classify import classify
from fitplug.activities.store.store import Store
from fitplug.errors import ActivityError
from fitplug.model import ActivitySummary
from fitplug.times import FIT_EPOCH

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
PROGRAMME = str(ROOT / "templates" / "glute-runner.toml")

#: summary attribute each generated field becomes: (sessions|sets|top, attribute)
ATTRIBUTE = {
    ("session", "total_elapsed_time"): ("sessions", "elapsed_s"),
    ("session", "total_timer_time"): ("sessions", "timer_s"),
    ("session", "total_distance"): ("sessions", "distance_m"),
    ("session", "avg_heart_rate"): ("sessions", "avg_hr"),
    ("file_id", "time_created"): ("top", "time_created"),
    ("set", "start_time"): ("sets", "start_utc"),
    ("set", "duration"): ("sets", "duration_s"),
    ("set", "repetitions"): ("sets", "repetitions"),
    ("set", "weight"): ("sets", "weight_kg"),
}


def _strict(value: Any) -> str:
    return json.dumps(value, allow_nan=False, default=str)


def assert_bounded(summary: ActivitySummary) -> None:
    """Every value of ``summary`` finite and in range; end times computable; strict JSON."""
    for s in summary.sessions:
        assert sane.time(s.start_utc) is not None
        assert s.end_utc >= s.start_utc
        for v, check in (
            (s.elapsed_s, sane.duration),
            (s.timer_s, sane.duration),
            (s.distance_m, sane.distance),
            (s.avg_hr, sane.heart_rate),
        ):
            assert v is None or check(v) == v
    for r in summary.sets:
        assert r.start_utc is None or sane.time(r.start_utc) is not None
        for v in (r.repetitions, r.weight_kg, r.duration_s):
            assert v is None or math.isfinite(v)
    assert summary.time_created is None or sane.time(summary.time_created) is not None
    _strict([vars_of(x) for x in (*summary.sessions, *summary.sets)])
    classify(summary, None)


def vars_of(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__slots__}


def both(data: bytes) -> ActivitySummary:
    """The summary both strategies give (they must agree), checked and stored."""
    fast = read_activity(data, crc=Crc.CHECK)
    slow = decode_activity(data)
    assert fast == slow and fast.notes == slow.notes
    assert_bounded(fast)
    return fast


def test_every_widened_field_reads_as_absent(tmp_path: Path) -> None:
    """A field typed float/64-bit reads exactly as if the file had left it invalid, in both strategies."""
    store = Store(tmp_path / "s.sqlite3")
    n = 0
    for case in h.widened():
        ((mesg, fields),) = case.changes.items()
        ((fname, _),) = fields.items()
        absent = h.build({mesg: {fname: (None, None)}})
        got = both(case.data)
        assert replace(got, sha256="") == replace(both(absent), sha256=""), case.name
        assert got.notes == (), case.name  # not a value that made no sense: no value at all
        store.record_batch([(f"{n}.fit", 1, n, got)], NOW)
        n += 1
    assert n > 300
    assert sql(store.path, "PRAGMA integrity_check") == [("ok",)]
    store.close()


def test_all_fields_widened_at_once() -> None:
    for case in h.all_widened():
        got = both(case.data)
        # no file_id type, no times: the file is no activity fitplug can place
        assert got.file_type == "unknown" and got.sessions == () and got.time_created is None, case.name
        assert all(s.start_utc is None and s.repetitions is None for s in got.sets), case.name


def test_nonsense_values_become_unknown_with_a_note() -> None:
    for case in h.nonsense():
        ((mesg, fields),) = case.changes.items()
        ((fname, _),) = fields.items()
        got = both(case.data)
        assert any(fname in note and note.endswith("unknown") for note in got.notes), (case.name, got.notes)
        if (mesg, fname) == ("session", "start_time"):
            # the start is then the end (timestamp) less the elapsed time: the session stays
            assert got.sessions[0].start_utc == h.START
            continue
        where, attr = ATTRIBUTE[(mesg, fname)]
        value = getattr(got, attr) if where == "top" else getattr(getattr(got, where)[0], attr)
        assert value is None, case.name


# --- the exact crashes of the issue --------------------------------------------------

ISSUE_CRASHES = {
    "start_time float64 1e300": {"session": {"start_time": (h.FLOAT64, 1e300)}},
    "start_time sint64": {"session": {"start_time": (h.SINT64, 2**62)}},
    "total_elapsed_time float32 inf": {"session": {"total_elapsed_time": (h.FLOAT32, math.inf)}},
    "avg_heart_rate uint64 2^63": {"session": {"avg_heart_rate": (h.UINT64, 2**63)}},
}


def fitplug(db: Path, *args: str) -> Any:
    """``fitplug --db DB --now … ARGS...``: a crash fails the test (it propagates), so does a traceback printed."""
    result = invoke_cli("--db", str(db), "--now", "2026-11-22T09:30:00Z", *args)
    assert "Traceback" not in result.output
    return result


def every_command(db: Path, folder: Path) -> None:
    """Every command that reads the store answers, with strict JSON where it prints JSON."""
    for args in (
        ["sync", str(folder)],
        ["sync"],
        ["status"],
        ["status", "--json"],
        ["activities"],
        ["activities", "--json"],
        ["calendar", "-o", "-"],
        ["done"],
        ["status"],
    ):
        result = fitplug(db, *args)
        if args == ["done"] and result.exit_code == 1:  # nothing due: a clean error, not a crash
            assert result.output.startswith("Error: ") and "nothing to mark done" in result.output
            continue
        assert result.exit_code == 0, (args, result.output)
        if "--json" in args:
            json.loads(result.output, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


@pytest.mark.parametrize("name", list(ISSUE_CRASHES))
def test_the_issues_crashes(name: str, tmp_path: Path) -> None:
    data = h.build(ISSUE_CRASHES[name])
    got = both(data)
    assert got.sessions and got.sessions[0].start_utc == h.START  # start_time absent: timestamp − elapsed
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "hostile.fit").write_bytes(data)
    db = tmp_path / "db.sqlite3"
    result = fitplug(db, "sync", str(folder), "--programme", PROGRAMME)
    assert result.exit_code == 0, result.output
    assert "Read 1 new activity" in result.output
    every_command(db, folder)


def test_a_folder_of_every_hostile_file(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    cases = [*h.all_widened(), *h.nonsense(), *(h.Hostile(k, h.build(v), v) for k, v in ISSUE_CRASHES.items())]
    for i, case in enumerate(cases):
        (folder / f"{i:03d}.fit").write_bytes(case.data)
    (folder / "run.fit").write_bytes(m.run(dt.datetime(2026, 11, 21, 7, tzinfo=UTC), 40, 8.0))
    db = tmp_path / "db.sqlite3"
    result = fitplug(db, "sync", str(folder), "--programme", PROGRAMME, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output, parse_constant=lambda c: pytest.fail(c))
    assert any("avg_heart_rate 254 is not a heart rate" in n for n in out["notes"])
    every_command(db, folder)


# --- value checks, over any value ----------------------------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),
)


@given(anything)
def test_checks_let_through_only_bounded_values(value: Any) -> None:
    for check, low, high in (
        (sane.duration, 0, sane.MAX_DURATION_S),
        (sane.distance, 0, sane.MAX_DISTANCE_M),
        (sane.heart_rate, sane.MIN_HR, sane.MAX_HR),
        (sane.offset, -86400, 86400),
    ):
        got = check(value)
        assert got is None or (got == value and low <= got <= high and math.isfinite(got))
        _strict(got)
    t = sane.time(value)
    assert t is None or (t == value and FIT_EPOCH <= t < sane.TIME_LIMIT)
    if t is not None:
        t + dt.timedelta(seconds=sane.MAX_DURATION_S)  # an end time never overflows


# --- one file never stops a sync ------------------------------------------------------


def test_an_unexpected_error_is_reported_remembered_and_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.fit").write_bytes(m.run(dt.datetime(2026, 11, 20, 7, tzinfo=UTC), 30, 5.0))
    (folder / "boom.fit").write_bytes(m.run(dt.datetime(2026, 11, 21, 7, tzinfo=UTC), 31, 5.0))
    real = pool.read_activity
    calls: list[str] = []

    def flaky(source: Any, *, name: str | None = None, crc: Crc = Crc.CHECK) -> ActivitySummary:
        calls.append(str(name))
        if str(name).endswith("boom.fit"):
            raise ZeroDivisionError("a bug")
        return real(source, name=name, crc=crc)

    monkeypatch.setattr(pool, "read_activity", flaky)
    db = tmp_path / "db.sqlite3"
    first = fitplug(db, "sync", str(folder))
    assert first.exit_code == 0
    assert "Read 1 new activity" in first.output
    assert "boom.fit: internal error: ZeroDivisionError: a bug (a bug in fitplug: please report it" in first.output
    calls.clear()
    again = fitplug(db, "sync")
    assert again.exit_code == 0 and calls == []  # remembered as bad until it changes
    assert "1 known bad" in again.output


# --- names ------------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="a file name of arbitrary bytes needs a POSIX file system")
def test_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/run\xff\xfe.fit"
    with open(raw, "wb") as f:
        f.write(m.run(dt.datetime(2026, 11, 21, 7, tzinfo=UTC), 40, 8.0))
    bad = os.fsencode(folder) + b"/bad\xff.fit"
    with open(bad, "wb") as f:
        f.write(b"not fit")
    db = tmp_path / "db.sqlite3"
    result = fitplug(db, "sync", str(folder), "--json", "--programme", PROGRAMME)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [a["file"] for a in out["new"]] == [shown(os.fsdecode(raw))]
    assert out["new"][0]["file"].endswith("run\\xff\\xfe.fit")
    assert out["skipped"][0]["file"].endswith("bad\\xff.fit")
    again = fitplug(db, "sync")
    assert again.exit_code == 0 and "1 unchanged, 1 known bad" in again.output
    listing = fitplug(db, "activities")
    assert "run\\xff\\xfe.fit" in listing.output
    with Store(db) as store:  # stored exactly: the same bytes come back
        assert os.fsdecode(raw) in store.file_index()
    every_command(db, folder)


def test_a_zip_member_name_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ok.fit", m.run(dt.datetime(2026, 11, 21, 7, tzinfo=UTC), 40, 8.0))
        z.writestr("xx.fit", m.run(dt.datetime(2026, 11, 20, 7, tzinfo=UTC), 40, 8.0))
    data = bytearray(path.read_bytes())
    # the second name becomes b"\xff\xfe.fit", flagged UTF-8 (bit 11), in its local header and the directory
    local = data.find(b"xx.fit") - 30
    central = data.rfind(b"xx.fit") - 46
    assert data[local : local + 4] == b"PK\x03\x04" and data[central : central + 4] == b"PK\x01\x02"
    data[local + 7] |= 0x08
    data[central + 9] |= 0x08
    data[:] = data.replace(b"xx.fit", b"\xff\xfe.fit")
    path.write_bytes(bytes(data))
    db = tmp_path / "db.sqlite3"
    result = fitplug(db, "sync", str(path), "--programme", PROGRAMME, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # both members read; the bad name as zip's default code page (cp437) would give it
    assert sorted(a["file"] for a in out["new"]) == [f"{path}!ok.fit", f"{path}!\u00a0\u25a0.fit"]
    assert out["skipped"] == []
    assert fitplug(db, "sync").output.startswith("No new activities (1 unchanged).")  # the zip, done
    # in the pool's workers too: the member read again by its place
    job = pool.Job(f"{path}!\u00a0\u25a0.fit", 0, 0, archive=str(path), members=("\u00a0\u25a0.fit",))
    assert isinstance(pool.read_one(job, Crc.CHECK, zips.Archives()), ActivitySummary)
    every_command(db, path)


def test_a_zip_of_too_many_entries_is_refused_unlisted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(50):
            z.writestr(f"{i}.fit", b"")
    monkeypatch.setattr(zips, "MAX_ZIP_ENTRIES", 49)
    events = list(sources.scan([path]))
    refused = [e for e in events if isinstance(e, Refused)]
    assert [r.reason for r in refused] == ["the zip lists 50 entries, more than 49; refused"]
    monkeypatch.setattr(zips, "MAX_ZIP_ENTRIES", 50)
    assert sum(isinstance(e, Candidate) for e in sources.scan([path])) == 50


# --- bounded work ----------------------------------------------------------------------


def test_fitdecode_has_a_time_budget() -> None:
    b = FitBuilder()
    b.define(0, "file_id", ["type"])
    b.data(0, {"type": 4})
    b.define(1, "record", ["timestamp", "heart_rate"])
    for i in range(3000):
        b.data(1, {"timestamp": 1_100_000_000 + i, "heart_rate": 120})
    data = b.build()
    with pytest.raises(ActivityError, match="too slow to decode"):
        decode_activity(data, name="slow.fit", budget_s=0)
    assert decode_activity(data).file_type == "activity"  # within the real budget it reads


def _slow_file(seed: int) -> bytes:
    b = FitBuilder()
    b.define(0, "file_id", ["type", "serial_number"])
    b.data(0, {"type": 4, "serial_number": 1000 + seed})
    b.define(1, "record", ["timestamp", "heart_rate"])
    for i in range(1100):
        b.data(1, {"timestamp": 1_100_000_000 + i, "heart_rate": 120})
    return b.build()


def test_a_sync_bounds_its_decoding_time_in_total(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """#22: past the sync's decoding budget, files slow to decode are put off (named, not remembered as
    unreadable) and the next sync reads them."""
    from fitplug.activities.ingest import sync
    from fitplug.activities.read import reader
    from fitplug.activities.read.scan import ScanError
    from fitplug.activities.store.store import Store
    from fitplug.present.activities import sync_lines

    src = tmp_path / "src"
    src.mkdir()
    for n in range(4):
        (src / f"slow{n}.fit").write_bytes(_slow_file(n))  # 1,100 messages: past the first budget check

    def refuse(*_: object) -> None:
        raise ScanError("not for the scanner", 0)  # every file goes to fitdecode, the slow reader

    monkeypatch.setattr(reader, "_scan", refuse)
    monkeypatch.setattr(reader, "SYNC_DECODE_BUDGET_S", 0.0)
    now = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    with Store(tmp_path / "db.sqlite3") as store:
        first = sync(store, [src], programme=None, now=now, processes=1)
    assert sorted(Path(d.key).name for d in first.deferred) == [f"slow{n}.fit" for n in range(4)]
    assert first.skipped == [] and first.known_bad == 0
    lines = sync_lines(first)
    assert any(line.startswith("Put off 4 files slow to decode") for line in lines) and "  and 1 more" in lines
    monkeypatch.setattr(reader, "SYNC_DECODE_BUDGET_S", 120.0)
    with Store(tmp_path / "db.sqlite3") as store:
        second = sync(store, [src], programme=None, now=now, processes=1)
    assert second.deferred == [] and second.unchanged == 0  # read again, not taken as known
    assert second.other["activity"] + len(second.new) + len(second.skipped) == 4
