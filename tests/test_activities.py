"""activities.read_activity: the field mapping, errors, and agreement with Garmin's SDK."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import corpus_reads
import make_activities as m
import pytest

from fitplug.activities.read import reader as read
from fitplug.activities.read.reader import Crc, ReadError, read_activity
from fitplug.errors import ActivityError

UTC = dt.UTC
T = dt.datetime(2026, 11, 20, 7, 14, tzinfo=UTC)


def test_run_fields() -> None:
    a = read_activity(m.run(T, 48, 10.2, offset_s=3600))
    assert (a.file_type, a.manufacturer, a.product) == ("activity", "garmin", "fr965")
    assert a.time_created == T and a.serial_number == m._serial(T)
    (s,) = a.sessions
    assert (s.sport, s.sub_sport, s.start_utc) == ("running", "generic", T)
    assert (s.elapsed_s, s.timer_s, s.distance_m, s.avg_hr) == (2880.0, 2880.0, 10200.0, 150)
    assert s.utc_offset_s == 3600
    assert s.start_local == dt.datetime(2026, 11, 20, 8, 14)
    assert a.workout_name is None and a.sets == ()


def test_no_local_timestamp_means_no_offset() -> None:
    (s,) = read_activity(m.run(T, 30, 5, offset_s=None)).sessions
    assert s.utc_offset_s is None and s.start_local is None


def test_multisport_sessions_in_order() -> None:
    a = read_activity(m.multisport(T))
    assert [(s.sport, s.sub_sport) for s in a.sessions] == [
        ("swimming", "open_water"),
        ("transition", None),
        ("cycling", "road"),
        ("transition", None),
        ("running", "generic"),
    ]
    assert a.sessions[-1].start_utc == T + dt.timedelta(minutes=85)


def test_strength_sets() -> None:
    a = read_activity(m.strength(T, [15, 14]))
    active = [x for x in a.sets if x.set_type == "active"]
    assert [(x.category, x.exercise_name, x.repetitions) for x in active] == [
        ("hip_stability", 0, 15),
        ("hip_stability", 0, 14),
    ]
    assert [x.set_type for x in a.sets] == ["active", "rest", "active", "rest"]
    assert a.sets[1].category is None and a.sets[1].exercise_name is None


def test_stretch_workout_name_and_steps() -> None:
    a = read_activity(m.stretch_workout(T))
    assert a.workout_name == "Post-run Stretch 1"
    assert [(x.category, x.exercise_name, x.wkt_step_index) for x in a.sets] == [("warm_up", 59, 0), ("warm_up", 59, 1)]


def test_workout_file_is_recognised() -> None:
    a = read_activity(m.workout_file())
    assert a.file_type == "workout" and a.sessions == ()


def test_sources_path_bytes_and_file_object(tmp_path: Path) -> None:
    data = m.run(T, 30, 5)
    path = tmp_path / "run.fit"
    path.write_bytes(data)
    assert read_activity(path) == read_activity(data) == read_activity(io.BytesIO(data)) == read_activity(str(path))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (m.truncated(m.run(T, 30, 5)), "truncated (the header announces 139 data bytes; the file ends 52 bytes short)"),
        (m.bit_flipped(m.run(T, 30, 5)), "bad CRC"),
        (m.ZERO_BYTES, "empty file (0 bytes)"),
        (m.NOT_FIT, "not a FIT file"),
    ],
    ids=["truncated", "bit-flipped", "zero-bytes", "not-fit"],
)
def test_broken_files(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "bad.fit"
    path.write_bytes(data)
    with pytest.raises(ActivityError) as info:
        read_activity(path)
    assert info.value.path == str(path)
    assert info.value.reason.startswith(reason)
    assert str(info.value).startswith(str(path))


def test_the_scanner_is_tried_first_and_fitdecode_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    data = m.run(T, 30, 5)
    calls = []

    def refuses(buf, size, **kw):  # type: ignore[no-untyped-def]
        calls.append((size, kw["verify"]))
        raise read.ScanError("cannot")

    monkeypatch.setattr(read, "scan", refuses)
    assert read_activity(data).sessions[0].sport == "running"
    assert read_activity(data, crc=Crc.SKIP) == read_activity(data)
    with pytest.raises(ActivityError):
        read_activity(m.ZERO_BYTES)
    assert calls == [(len(data), True), (len(data), False), (len(data), True), (0, True)]


def test_crc_policy() -> None:
    """``Crc.SKIP`` lets the scanner pass a bad CRC; fitdecode, deciding what it refuses, never does."""
    good = m.run(T, 30, 5)
    flipped = m.bit_flipped(good)
    assert read_activity(good, crc=Crc.SKIP) == read_activity(good, crc=Crc.CHECK)
    with pytest.raises(ActivityError, match="bad CRC") as info:
        read_activity(flipped, crc=Crc.CHECK)
    assert isinstance(info.value, ReadError) and info.value.sha256 == hashlib.sha256(flipped).hexdigest()
    try:  # without the check, what the scanner reads is kept, as ``fitplug sync`` does
        assert read_activity(flipped, crc=Crc.SKIP) == read.scan(flipped)
    except ActivityError as exc:
        assert exc.reason.startswith("bad CRC")


def _name(value: object) -> str | None:
    return None if value is None else str(value)


def test_corpus_agrees_with_garmin_sdk(corpus: Path, corpus_readings: dict[str, corpus_reads.FileReadings]) -> None:
    """Sport, start, elapsed time and distance of every session equal what Garmin's Decoder reads."""
    rows = corpus_reads.rows(corpus)
    compared = 0
    failed: set[str] = set()
    for row in rows:
        summary = corpus_readings[row["relpath"]].read.summary
        if summary is None:
            failed.add(row["relpath"])
            assert row["category"] == "broken", row["relpath"]
            continue
        messages = corpus_readings[row["relpath"]].sdk
        if messages is None:
            continue  # the SDK itself cannot read it (compressed timestamps, bad CRC)
        # a session with no time at all is dropped by fitplug (documented in activities.read)
        sdk = [s for s in messages.get("session_mesgs", []) if "start_time" in s or "timestamp" in s]
        assert len(summary.sessions) == len(sdk), row["relpath"]
        for ours, theirs in zip(summary.sessions, sdk):
            assert ours.sport == _name(theirs.get("sport", "generic")), row["relpath"]
            assert ours.sub_sport == _name(theirs.get("sub_sport")), row["relpath"]
            assert ours.start_utc == theirs["start_time"], row["relpath"]
            assert ours.elapsed_s == pytest.approx(theirs.get("total_elapsed_time")), row["relpath"]
            assert ours.distance_m == pytest.approx(theirs.get("total_distance")), row["relpath"]
            compared += 1
    must_fail = {
        r["relpath"]
        for r in rows
        if r["decodes_with_fitdecode"].startswith("no")
        or "CRC" in r["decodes_with_fitdecode"]
        or r["size_bytes"] == "0"  # decoders read nothing "without error"; fitplug says it is empty
    }
    assert compared > 100
    assert failed == must_fail
