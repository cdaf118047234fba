"""fitscan: the fast reader gives what fitdecode and Garmin's SDK read, or a ScanError."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import struct
from pathlib import Path
from typing import Any

import corpus_reads
import make_activities as ma
import pytest
from corpus_reads import scan_file as scan_activity
from fitfiles import (
    T0,
    FitBuilder,
    chain,
    crc16,
    fit_file,
    fit_timestamp,
    fix_crc,
    make_activity,
    session,
    strength_set,
    with_header,
)
from garmin_fit_sdk import Decoder, Profile, Stream

from fitplug.activities.files import fitfile
from fitplug.activities.read import sane
from fitplug.activities.read import scan as fitscan
from fitplug.activities.read.reader import decode_activity
from fitplug.activities.read.scan import ScanError
from fitplug.errors import ActivityError
from fitplug.model import ActivitySession, ActivitySummary, SetRecord

TYPES: dict[str, dict[int, str]] = Profile["types"]
PRODUCT_SUBFIELD = next(s for s in Profile["messages"][0]["fields"][2]["sub_fields"] if s["name"] == "garmin_product")
GARMIN_MAKERS = {m["raw_value"] for m in PRODUCT_SUBFIELD["map"]}

#: every test here runs with the C record walker and with the pure-Python one (conftest.walker)
pytestmark = pytest.mark.usefixtures("walker")


# --- the reference: the fitdecode reader (CRC checked) ------------------------------


def fitdecode_summary(data: bytes) -> ActivitySummary:
    """What the fitdecode reader gives; raises ActivityError when it refuses the file."""
    return decode_activity(data)


def sdk_messages(data: bytes) -> dict[str, Any] | None:
    """What Garmin's SDK Decoder reads, or None when it reports any error."""
    stream = Stream.from_byte_array(bytearray(data))
    decoder = Decoder(stream)
    if not decoder.is_fit():
        return None
    # a fresh Decoder: check_integrity() would consume the stream
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
        merge_heart_rates=False, expand_components=False
    )
    return None if errors else messages


def assert_matches_sdk(summary: ActivitySummary, messages: dict[str, Any]) -> None:
    """The fast path's sessions and sets against Garmin's Decoder, field by field."""
    # a session with no time at all is dropped (documented in fitplug.activities.read.reader)
    sdk_sessions = [
        s for s in messages.get("session_mesgs", [])
        if s.get("start_time") is not None or s.get("timestamp") is not None
    ]  # fmt: skip
    assert len(summary.sessions) == len(sdk_sessions)
    for ours, sdk in zip(summary.sessions, sdk_sessions):
        assert ours.sport == str(sdk.get("sport", "generic"))
        sub = sdk.get("sub_sport")
        assert ours.sub_sport == (None if sub is None else str(sub))
        if sdk.get("start_time") is not None:
            assert ours.start_utc == sdk["start_time"]
        # the SDK gives what the file holds; fitplug the same, unless it makes no sense
        # (a 28-day ride in the corpus): then unknown, with a note
        assert ours.elapsed_s == sane.duration(sdk.get("total_elapsed_time"))
        assert ours.timer_s == sane.duration(sdk.get("total_timer_time"))
        assert ours.distance_m == sane.distance(sdk.get("total_distance"))
        dropped = [(k, sdk.get(k)) for k, check in (("total_elapsed_time", sane.duration),
                   ("total_timer_time", sane.duration), ("total_distance", sane.distance))
                   if sdk.get(k) is not None and check(sdk.get(k)) is None]  # fmt: skip
        for name, value in dropped:
            assert any(f"{name} {value!r}" in note for note in summary.notes), summary.notes
    sdk_sets = messages.get("set_mesgs", [])
    assert [s.repetitions for s in summary.sets] == [
        sane.integer(s.get("repetitions"), 0, sane.MAX_REPETITIONS) for s in sdk_sets
    ]


# --- the shared corpus -------------------------------------------------------------


def test_corpus(corpus: Path, corpus_readings: dict[str, corpus_reads.FileReadings]) -> None:
    """Every corpus file, in one pass over each reader's (session-wide) reading of it.

    The fast path refuses a file (ScanError) or equals the fitdecode reader.
    Without ``verify`` a bad CRC is the one thing the fast path does not see;
    with it, whatever it returns equals fitdecode's summary. Whatever it reads
    is checked against Garmin's Decoder too, where the Decoder reads the file.
    And the fast path is the fast path: it hands nothing readable to fitdecode.
    """
    readable = fast = 0
    for row in corpus_reads.rows(corpus):
        relpath = row["relpath"]
        readings = corpus_readings[relpath]
        ours = readings.scanned.summary
        verified = readings.verified.summary
        reference, refused = readings.decoded.summary, readings.decoded.refused

        assert readings.verified_pure == readings.verified, relpath  # the C and the Python walk agree
        if verified is not None:
            assert verified == reference, relpath
            assert ours == verified, relpath
        if ours is not None and reference is None:
            assert "CRC" in refused, relpath  # the only thing a scan without verify does not check
        if ours is None:
            assert verified is None, relpath
        if ours is not None:
            messages = readings.sdk
            if messages is not None:
                assert_matches_sdk(ours, messages)
        if reference is not None:
            readable += 1
            fast += verified is not None
    assert readable > 100
    assert fast == readable


@pytest.mark.parametrize("name", sorted(ma.FIXTURES))
def test_generated_fixture_agrees(name: str) -> None:
    """Every generated fixture of tests/make_activities.py: ScanError or equal to fitdecode's."""
    data = ma.FIXTURES[name]()
    for verify in (False, True):
        try:
            ours = scan_activity(data, verify=verify)
        except ScanError:
            continue
        try:
            reference = decode_activity(data)
        except ActivityError as exc:
            assert not verify and "CRC" in exc.reason
            continue
        assert ours == reference


def test_corpus_bad_crc_is_caught_only_with_verify(corpus: Path) -> None:
    path = corpus / "dtcooper+python-fitparse/tests/files/activity-filecrc.fit"
    assert scan_activity(path).sessions
    with pytest.raises(ScanError, match="CRC"):
        scan_activity(path, verify=True)


# --- synthetic files ---------------------------------------------------------------


def scan_both(data: bytes) -> ActivitySummary:
    """Scan, check against fitdecode and verify=True, return the summary."""
    ours = scan_activity(data)
    assert ours == fitdecode_summary(data)
    assert scan_activity(data, verify=True) == ours
    return ours


def test_run_with_many_records() -> None:
    data = make_activity(records=5000, sessions=[session(elapsed_s=5000.0, distance_m=14000.0)])
    s = scan_both(data)
    assert s.file_type == "activity"
    assert s.manufacturer == "garmin"
    assert s.serial_number == 3_900_000_001
    assert s.time_created == T0
    (run,) = s.sessions
    assert (run.sport, run.sub_sport, run.start_utc) == ("running", "generic", T0)
    assert (run.elapsed_s, run.timer_s, run.distance_m, run.avg_hr) == (5000.0, 5000.0, 14000.0, 150)
    assert run.utc_offset_s == 3600
    assert s.sha256 == hashlib.sha256(data).hexdigest()
    assert_matches_sdk(s, sdk_messages(data) or {})


def test_strength_activity_with_sets() -> None:
    sets = [
        strength_set(T0, repetitions=12, weight_kg=22.5, category="hip_raise", exercise_name=3,
                     wkt_step_index=0),
        strength_set(T0 + dt.timedelta(seconds=50), set_type="rest", repetitions=None,
                     weight_kg=None, category=None, exercise_name=None, duration_s=60.0),
        strength_set(T0 + dt.timedelta(seconds=110), repetitions=10, weight_kg=None,
                     category="squat", exercise_name=None, wkt_step_index=2),
    ]  # fmt: skip
    data = make_activity(
        records=300,
        sets=sets,
        workout_name="Glute Strength",
        sessions=[session("training", "strength_training", distance_m=None)],
    )
    s = scan_both(data)
    assert s.workout_name == "Glute Strength"
    assert s.sets == (
        SetRecord(T0, "active", 12, 22.5, "hip_raise", 3, 45.0, 0),
        SetRecord(T0 + dt.timedelta(seconds=50), "rest", None, None, None, None, 60.0, None),
        SetRecord(T0 + dt.timedelta(seconds=110), "active", 10, None, "squat", None, 45.0, 2),
    )
    assert s.sessions[0].distance_m is None
    assert_matches_sdk(s, sdk_messages(data) or {})


def test_multisport_sessions_in_order() -> None:
    legs = [
        session("swimming", "open_water", T0, 1200.0, distance_m=1000.0),
        session("transition", None, T0 + dt.timedelta(seconds=1200), 120.0, distance_m=None),
        session("cycling", "road", T0 + dt.timedelta(seconds=1320), 3600.0, distance_m=40000.0),
        session("running", "generic", T0 + dt.timedelta(seconds=4920), 2400.0, timer_s=2300.0),
    ]
    s = scan_both(make_activity(sessions=legs, records=600))
    assert [(x.sport, x.sub_sport) for x in s.sessions] == [
        ("swimming", "open_water"), ("transition", None), ("cycling", "road"), ("running", "generic"),
    ]  # fmt: skip
    assert s.sessions[3].timer_s == 2300.0
    assert {x.utc_offset_s for x in s.sessions} == {3600}


def test_developer_fields_are_stepped_over() -> None:
    data = make_activity(records=400, developer_fields=True)
    assert b"Doughnuts" in data
    scan_both(data)


def test_local_types_redefined_mid_file() -> None:
    data = make_activity(records=900, record_layouts=24)
    s = scan_both(data)
    assert s.sessions[0].elapsed_s == 1800.0


def test_header_without_crc_and_with_crc_zero() -> None:
    data = make_activity(records=50)
    for variant in (with_header(data, header_size=12), with_header(data, header_crc=False)):
        assert scan_both(variant) == dataclasses.replace(
            scan_activity(data), sha256=hashlib.sha256(variant).hexdigest()
        )


def test_chained_files() -> None:
    first = make_activity(records=100, sessions=[session("running")])
    second = make_activity(records=100, sessions=[session("cycling", "road")], serial_number=7)
    s = scan_both(chain(first, second))
    assert [x.sport for x in s.sessions] == ["running", "cycling"]
    assert s.serial_number == 3_900_000_001  # the first file_id


def test_products_and_unknown_values() -> None:
    s = scan_both(make_activity(manufacturer="garmin", product=65000))
    assert s.product == "65000"  # not in the profile
    s = scan_both(make_activity(manufacturer="wahoo_fitness", product=28))
    assert (s.manufacturer, s.product) == ("wahoo_fitness", "28")
    s = scan_both(make_activity(manufacturer=9999, product=3111))
    assert (s.manufacturer, s.product) == ("9999", "3111")
    s = scan_both(make_activity(file_type="workout", sessions=[], serial_number=None,
                                time_created=None, utc_offset_s=None))  # fmt: skip
    assert (s.file_type, s.sessions, s.serial_number, s.time_created) == ("workout", (), None, None)


def built_by_hand(*, big_endian: bool, compressed: bool) -> bytes:
    """file_id, records (compressed timestamps), a session, an activity: raw values."""
    b = FitBuilder()
    b.define(0, "file_id", ["type", "manufacturer", "product", "serial_number", "time_created"],
             big_endian=big_endian)  # fmt: skip
    b.data(0, {"type": 4, "manufacturer": 1, "product": 3111, "serial_number": 12345,
               "time_created": fit_timestamp(T0)})  # fmt: skip
    b.define(1, "record", ["timestamp", "heart_rate", "distance"], big_endian=big_endian,
             dev_fields=[(0, 2, 0)])  # fmt: skip
    b.define(2, "record", ["heart_rate", "distance"], big_endian=big_endian)
    ts = fit_timestamp(T0)
    b.data(1, {"timestamp": ts, "heart_rate": 100, "distance": 0}, dev=b"\x01\x02")
    for i in range(1, 200):
        if compressed:
            b.data(2, {"heart_rate": 100 + i % 20, "distance": i * 280}, time_offset=(ts + i) & 0x1F)
        else:
            b.data(1, {"timestamp": ts + i, "heart_rate": 100, "distance": i * 280}, dev=b"\0\0")
    # redefine local 1 as the session, mid-file
    b.define(1, "session", ["timestamp", "start_time", "sport", "sub_sport", "total_elapsed_time",
                            "total_timer_time", "total_distance", "avg_heart_rate"],
             big_endian=not big_endian)  # fmt: skip
    b.data(1, {"timestamp": ts + 200, "start_time": ts, "sport": 1, "sub_sport": 0,
               "total_elapsed_time": 200_000, "total_timer_time": 199_500,
               "total_distance": 56_000, "avg_heart_rate": 110})  # fmt: skip
    b.define(3, "activity", ["timestamp", "local_timestamp"], big_endian=big_endian)
    b.data(3, {"timestamp": ts + 200, "local_timestamp": ts + 200 - 5 * 3600})
    return b.build()


@pytest.mark.parametrize("big_endian", [False, True], ids=["little", "big"])
@pytest.mark.parametrize("compressed", [False, True], ids=["normal", "compressed"])
def test_hand_built_layouts(big_endian: bool, compressed: bool) -> None:
    data = built_by_hand(big_endian=big_endian, compressed=compressed)
    s = scan_both(data)
    assert s.product == "fenix5x_plus" and s.serial_number == 12345
    assert s.sessions == (ActivitySession("running", "generic", T0, -18000, 200.0, 199.5, 560.0, 110),)


def test_wanted_message_with_compressed_timestamp_header() -> None:
    b = FitBuilder()
    b.define(0, "file_id", ["type"])
    b.data(0, {"type": 4})
    b.define(1, "set", ["start_time", "set_type", "repetitions"])
    b.data(1, {"start_time": fit_timestamp(T0), "set_type": 1, "repetitions": 8}, time_offset=3)
    b.define(2, "session", ["total_elapsed_time", "sport"])
    b.data(2, {"total_elapsed_time": 1000, "sport": 1}, time_offset=4)
    with pytest.raises(ScanError, match="compressed"):
        scan_activity(b.build())


def test_odd_field_sizes_and_invalid_values() -> None:
    b = FitBuilder()
    b.define(0, "file_id", ["type", "manufacturer"])
    b.data(0, {"type": 4, "manufacturer": 1})
    b.define(1, "session", ["start_time", "sport", "avg_heart_rate", "total_distance"])
    # total_distance written with 3 bytes: not a whole uint32, so unusable
    body = bytes(b.body)
    patched = body.replace(bytes((9, 4, 0x86)), bytes((9, 3, 0x86)))
    assert patched != body
    b.body = bytearray(patched)
    b.raw(bytes((1,)) + struct.pack("<I", fit_timestamp(T0)) + bytes((0xFF, 0xFF)) + b"\x01\x02\x03")
    s = scan_both(b.build())
    # sport 0xFF is invalid: generic; total_distance in 3 bytes cannot be read: absent
    assert s.sessions == (ActivitySession("generic", None, T0, None, None, None, None, None),)


# --- broken files -------------------------------------------------------------------


def test_not_fit_and_empty() -> None:
    for data in (b"", b"hello, this is not a FIT file at all\n", b"\x0e" * 20, b"\x00" * 64):
        with pytest.raises(ScanError):
            scan_activity(data)


def test_empty_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "empty.fit"
    path.write_bytes(b"")
    with pytest.raises(ScanError, match="empty"):
        scan_activity(path)


def test_truncated_everywhere() -> None:
    data = make_activity(records=40, sets=[strength_set()], workout_name="W", developer_fields=True)
    for cut in range(len(data)):
        with pytest.raises(ScanError):
            scan_activity(data[:cut])


def test_truncation_with_a_patched_data_size_is_caught() -> None:
    """A file cut inside a message, with its header fixed up to say so."""
    data = make_activity(records=40)
    for cut in (20, 31, 100, len(data) - 30):
        body = data[14:cut]
        with pytest.raises(ScanError):
            scan_activity(fit_file(body))


def test_bit_flips_fail_verify() -> None:
    data = make_activity(records=60, sets=[strength_set()])
    for pos in range(0, len(data), 7):
        for bit in (0x01, 0x10, 0x80):
            flipped = bytearray(data)
            flipped[pos] ^= bit
            with pytest.raises(ScanError):
                scan_activity(bytes(flipped), verify=True)
            try:  # without verify: a summary or a ScanError, nothing else
                scan_activity(bytes(flipped))
            except ScanError:
                pass


def test_random_garbage_never_escapes() -> None:
    import random

    rng = random.Random(1234)
    base = make_activity(records=30, sets=[strength_set()])
    for _ in range(300):
        junk = bytearray(base)
        for _ in range(rng.randint(1, 20)):
            junk[rng.randrange(14, len(junk) - 2)] = rng.randrange(256)
        data = fix_crc(junk)
        for verify in (False, True):
            try:
                scan_activity(data, verify=verify)
            except ScanError:
                pass


def test_trailing_bytes_after_the_crc() -> None:
    data = make_activity(records=10)
    with pytest.raises(ScanError):
        scan_activity(data + b"\0\0\0")


# --- reading from disk --------------------------------------------------------------


def test_path_and_bytes_agree(tmp_path: Path) -> None:
    data = make_activity(records=100)
    path = tmp_path / "run.fit"
    path.write_bytes(data)
    assert scan_activity(path) == scan_activity(str(path)) == scan_activity(data)


def test_big_file_is_memory_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_activity(records=20000, developer_fields=True)
    path = tmp_path / "long.fit"
    path.write_bytes(data)
    # force the mmap path and tiny windows, so page release and window edges run
    monkeypatch.setattr(fitfile, "READ_WHOLE_MAX", 1000)
    monkeypatch.setattr(fitfile, "WINDOW", 8192)
    monkeypatch.setattr(fitscan, "WINDOW", 8192)
    monkeypatch.setattr(fitscan, "_SUB_WINDOW", 1000)
    assert scan_activity(path, verify=True) == fitdecode_summary(data)
    bad = bytearray(data)
    bad[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(bad))
    with pytest.raises(ScanError):
        scan_activity(path, verify=True)


def test_crc_matches_reference() -> None:
    data = make_activity(records=30)
    for stop in (0, 1, 2, 13, 100, len(data) - 2, len(data)):
        assert fitfile.crc16(data, 0, stop) == crc16(data[:stop])
    assert fitfile.crc16(data, 5, 77) == crc16(data[5:77])


def test_runs_interleaving_and_redefinition_of_a_paused_type(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run jumps stop at a different header, pause, resume, and survive redefinitions."""
    monkeypatch.setattr(fitscan, "_SUB_WINDOW", 300)
    b = FitBuilder()
    b.define(0, "file_id", ["type"])
    b.data(0, {"type": 4})
    b.define(1, "record", ["timestamp", "heart_rate"])
    b.define(2, "hrv", [("time", 2)])
    ts = fit_timestamp(T0)
    for i in range(500):  # alternating: no runs
        b.data(1, {"timestamp": ts + i, "heart_rate": 90})
        b.data(2, {"time": [800, 810]})
    for i in range(70):  # a run shorter than 64, longer than 8, then a break
        b.data(1, {"timestamp": ts + i, "heart_rate": 90})
    b.data(2, {"time": [800, 810]})
    b.define(1, "set", ["start_time", "set_type", "repetitions"])  # local 1 was paused
    b.data(1, {"start_time": ts, "set_type": 1, "repetitions": 5})
    b.define(2, "record", ["heart_rate"])
    for i in range(1000):
        b.data(2, {"heart_rate": 90})
    b.define(3, "session", ["start_time", "sport", "total_elapsed_time"])
    b.data(3, {"start_time": ts, "sport": 1, "total_elapsed_time": 1_000_000})
    s = scan_both(b.build())
    assert [x.repetitions for x in s.sets] == [5]
    assert s.sessions[0].elapsed_s == 1000.0
