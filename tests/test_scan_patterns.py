"""The scanner's shortcuts: repeating patterns of stepped-over messages, and definitions compiled before.

Each file here is built so that a wrong jump or a stale definition would lose
or change a wanted message: sets sit inside the patterns at odd places, and
every summary is compared with the fitdecode reader's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_reads import mapped, scan_file
from fitfiles import T0, FitBuilder, fit_file, fit_timestamp

from fitplug.activities.read import scan as fitscan
from fitplug.activities.read.reader import decode_activity
from fitplug.activities.read.scan import ScanError
from fitplug.errors import ActivityError
from fitplug.model import ActivitySummary

pytestmark = pytest.mark.usefixtures("walker")  # the C walk and the Python walk

TS = fit_timestamp(T0)


def agreed(data: bytes) -> ActivitySummary:
    """The scan, with and without CRC checks, equals what fitdecode reads."""
    ours = scan_file(data)
    assert ours == decode_activity(data)
    assert scan_file(data, verify=True) == ours
    return ours


def patterned(sets_at: set[int], *, n: int = 3000, compressed: bool = False) -> FitBuilder:
    """record/hrv alternating, then record/hrv/event, with a set wherever ``sets_at`` says."""
    b = FitBuilder()
    b.define(0, "file_id", ["type"])
    b.data(0, {"type": 4})
    b.define(1, "record", ["timestamp", "heart_rate"])
    b.define(2, "hrv", [("time", 2)])
    b.define(3, "set", ["start_time", "set_type", "repetitions"])
    b.define(4, "event", ["timestamp", "event", "event_type"])
    b.data(1, {"timestamp": TS, "heart_rate": 90})
    for i in range(n):
        if i in sets_at:
            b.data(3, {"start_time": TS + i, "set_type": 1, "repetitions": i % 200})
        if compressed:
            b.data(1, {"heart_rate": 90 + i % 7}, time_offset=i % 32)
        else:
            b.data(1, {"timestamp": TS + i, "heart_rate": 90 + i % 7})
        b.data(2, {"time": [800 + i % 50, 810]})
        if i >= n // 2:  # a pattern of three
            b.data(4, {"timestamp": TS + i, "event": 0, "event_type": 3})
        if i % 97 == 96:  # breaks the pattern now and then
            b.data(4, {"timestamp": TS + i, "event": 0, "event_type": 3})
    return b


def ended(b: FitBuilder) -> bytes:
    b.define(5, "session", ["start_time", "sport", "total_elapsed_time"])
    b.data(5, {"start_time": TS, "sport": 1, "total_elapsed_time": 3_000_000})
    return b.build()


@pytest.mark.parametrize("compressed", [False, True], ids=["timestamps", "compressed"])
def test_sets_inside_repeating_patterns_are_all_read(compressed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # a failed check pauses a header until the next sub-window: small ones, so patterns are tried often
    monkeypatch.setattr(fitscan, "_SUB_WINDOW", 600)
    sets_at = {0, 1, 2, 17, 18, 33, 64, 65, 500, 1499, 1500, 1501, 1502, 2000, 2001, 2999}
    s = agreed(ended(patterned(sets_at, compressed=compressed)))
    assert [x.repetitions for x in s.sets] == [i % 200 for i in sorted(sets_at)]
    assert s.sessions[0].elapsed_s == 3000.0


def test_a_pattern_up_to_the_last_byte() -> None:
    b = FitBuilder()
    b.define(0, "file_id", ["type"])
    b.data(0, {"type": 4})
    b.define(5, "session", ["start_time", "sport", "total_elapsed_time"])
    b.data(5, {"start_time": TS, "sport": 1, "total_elapsed_time": 60_000})
    patterned_tail = patterned(set(), n=640)
    b.raw(bytes(patterned_tail.body))
    data = b.build()
    assert agreed(data).sessions[0].elapsed_s == 60.0
    # one byte short: the last message runs past the end, whatever the jump
    short = fit_file(bytes(b.body[:-1]))
    with pytest.raises(ScanError, match="past the end"):
        scan_file(short, verify=True)
    with pytest.raises(ActivityError):
        decode_activity(short)


def test_patterns_in_a_mapped_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = ended(patterned({5, 900, 2500}))
    path = mapped(data, tmp_path, monkeypatch, 4096, 700)
    s = scan_file(path, verify=True)
    assert s == decode_activity(data)
    assert [x.repetitions for x in s.sets] == [5, 900 % 200, 2500 % 200]


def two_endians(big_endian: bool, reps: int) -> bytes:
    b = FitBuilder()
    b.define(0, "file_id", ["type"], big_endian=big_endian)
    b.data(0, {"type": 4})
    b.define(1, "set", ["start_time", "set_type", "repetitions"], big_endian=big_endian)
    b.data(1, {"start_time": TS, "set_type": 1, "repetitions": reps})
    b.define(1, "record", ["timestamp", "heart_rate"], big_endian=big_endian)
    for i in range(100):
        b.data(1, {"timestamp": TS + i, "heart_rate": 90})
    # local 1 a set again, by the very bytes of its first definition
    b.define(1, "set", ["start_time", "set_type", "repetitions"], big_endian=big_endian)
    b.data(1, {"start_time": TS + 200, "set_type": 1, "repetitions": reps + 1})
    b.define(2, "session", ["start_time", "sport", "total_elapsed_time"], big_endian=big_endian)
    b.data(2, {"start_time": TS, "sport": 1, "total_elapsed_time": 1000 * reps})
    return b.build()


def test_definitions_seen_before_give_what_the_file_says(monkeypatch: pytest.MonkeyPatch) -> None:
    for big, reps in ((False, 5), (True, 7), (False, 9), (True, 11)):
        s = agreed(two_endians(big, reps))
        assert [x.repetitions for x in s.sets] == [reps, reps + 1]
        assert s.sessions[0].elapsed_s == reps
    monkeypatch.setattr(fitscan, "_COMPILED_MAX", 2)
    fitscan._COMPILED.clear()
    s = agreed(ended(patterned({3, 40}, n=200)))
    assert [x.repetitions for x in s.sets] == [3, 40]
    assert len(fitscan._COMPILED) <= 2
