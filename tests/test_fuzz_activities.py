"""Fuzzed activity readers: every hostile FIT file ends in a summary or a typed error.

Both readers are driven here: the fast reader :func:`fitplug.activities.read.scan.scan_activity`
(which may only raise :class:`~fitplug.activities.read.scan.ScanError`) and the public
:func:`fitplug.activities.read.read_activity` (which may only raise
:class:`~fitplug.errors.ActivityError`), the latter both alone (fitdecode) and
with fitscan plugged in as its fast reader. A summary that comes back must go
into the store and through the due rule's classifier without an exception.

The cases, built with ``tests/fitfiles.py``:

- truncation at every message boundary (and one byte either side) of a few
  generated files, both cut raw and cut with the header fixed up so that the
  CRC is right; truncation at random offsets;
- random byte flips anywhere (header, definitions, data, CRC), with the CRC
  left wrong or recomputed so the parser sees the damage;
- definition messages with absurd field counts and sizes (0, odd, 255) and
  unknown base types;
- random record streams: local types defined and redefined mid-file with other
  messages and endianness, developer fields, compressed-timestamp headers,
  data messages of undefined types, 12- and 14-byte headers, chained files;
- a 0-byte file, and files of several hundred MB of zeros (sparse files, so
  cheap), read in a subprocess with a bound on the peak RSS, so memory cannot
  grow with the garbage.

Nothing here asserts speed (benchmarks/ measures it). Each case runs under a
generous hang guard (SIGALRM, ``FITPLUG_FUZZ_CASE_S``, default 120 s), so a
reader that loops forever fails the test instead of stalling the suite; a
slow machine stays far inside it.

Budgets (environment variables):

- ``FITPLUG_FUZZ_EXAMPLES``: hypothesis examples per property (default 200;
  try 5000 for a long run). The suite prints how many cases it ran.
- ``FITPLUG_FUZZ_BIG_MB``: size of the zero-filled files (default 400).
- ``FITPLUG_FUZZ_CASE_S``: the per-case hang guard in seconds (default 120).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, sql
from corpus_reads import scan_file as scan_activity
from fitfiles import (
    MESG_NUM,
    FitBuilder,
    chain,
    fit_file,
    fit_timestamp,
    fix_crc,
    make_activity,
    session,
    strength_set,
)
from garmin_fit_sdk import Profile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitplug.activities.read.reader import MAX_FIT_BYTES, Crc, decode_activity, read_activity
from fitplug.activities.read.scan import ScanError
from fitplug.activities.rule.classify import classify
from fitplug.activities.store.store import Store
from fitplug.errors import ActivityError
from fitplug.model import ActivitySummary

EXAMPLES = int(os.environ.get("FITPLUG_FUZZ_EXAMPLES", "200"))
BIG_MB = int(os.environ.get("FITPLUG_FUZZ_BIG_MB", "400"))
CASE_S = float(os.environ.get("FITPLUG_FUZZ_CASE_S", "120"))
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the wall-clock bound below is the hang check; timing noise is not a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # the examples are reproducible from the seed hypothesis prints
)

#: how many byte strings went through the readers, by kind (printed at the end)
CASES: Counter[str] = Counter()

#: every test here runs with the C record walker and with the pure-Python one (conftest.walker)
pytestmark = pytest.mark.usefixtures("walker")


# --- the seeds ----------------------------------------------------------------------


def _compressed_and_big_endian() -> bytes:
    """Hand-built: big-endian definitions, compressed-timestamp records, developer fields."""
    ts = fit_timestamp(dt.datetime(2026, 3, 1, 7, 0, tzinfo=dt.UTC))
    b = FitBuilder()
    b.define(0, "file_id", ["type", "manufacturer", "product", "serial_number", "time_created"], big_endian=True)
    b.data(0, {"type": 4, "manufacturer": 1, "product": 3111, "serial_number": 12345, "time_created": ts})
    b.define(1, "record", ["timestamp", "heart_rate", "distance"], dev_fields=[(0, 2, 0), (1, 1, 0)])
    b.data(1, {"timestamp": ts, "heart_rate": 120, "distance": 0}, dev=b"\x01\x00\x07")
    for i in range(1, 12):
        b.data(1, {"heart_rate": 120 + i, "distance": i * 280}, time_offset=(ts + i) & 0x1F, dev=b"\x02\x00\x01")
    b.define(2, "set", ["start_time", "set_type", "repetitions", ("category", 2), ("category_subtype", 2)])
    b.data(2, {"start_time": ts + 20, "set_type": 1, "repetitions": 12, "category": [28, 65534],
               "category_subtype": [0, 65535]}, time_offset=(ts + 30) & 0x1F)  # fmt: skip
    b.define(1, "session", ["timestamp", "start_time", "sport", "total_elapsed_time", "total_distance"],
             big_endian=True)  # fmt: skip
    b.data(1, {"timestamp": ts + 600, "start_time": ts, "sport": 1, "total_elapsed_time": 600_000,
               "total_distance": 300_000})  # fmt: skip
    b.define(3, "activity", ["timestamp", "local_timestamp"])
    b.data(3, {"timestamp": ts + 600, "local_timestamp": ts + 600 + 3600})
    return b.build()


def _seeds() -> dict[str, bytes]:
    strength = [strength_set(), strength_set(set_type="rest", repetitions=None, category=None, exercise_name=None)]
    return {
        "run": make_activity(records=12, workout_name="Easy run"),
        "strength-dev": make_activity(records=6, sets=strength, developer_fields=True),
        "redefined": make_activity(records=40, record_layouts=16),  # >12 layouts: local types reused
        "multisport": make_activity(sessions=[session(), session("cycling", "road")], records=4),
        "compressed": _compressed_and_big_endian(),
        "chained": chain(make_activity(records=3), make_activity(records=2, file_type="workout")),
        "header12": fit_file(make_activity(records=5)[14:-2], header_size=12),
    }


SEEDS = _seeds()


def boundaries(data: bytes) -> list[int]:
    """Offsets of every record start, header end and CRC in a chain of well-formed FIT files.

    Written independently of both readers, for the test's own use.
    """
    out = [0]
    pos = 0
    while pos < len(data):
        hsize = data[pos]
        p = pos + hsize
        end = p + int.from_bytes(data[pos + 4 : pos + 8], "little")
        out.append(p)
        sizes: dict[int, int] = {}
        while p < end:
            h = data[p]
            if h & 0x80:
                p += sizes[(h >> 5) & 0x03]
            elif h & 0x40:
                nfields = data[p + 5]
                q = p + 6 + 3 * nfields
                size = 1 + sum(data[p + 7 + 3 * i] for i in range(nfields))
                if h & 0x20:
                    ndev = data[q]
                    size += sum(data[q + 2 + 3 * i] for i in range(ndev))
                    q += 1 + 3 * ndev
                sizes[h & 0x0F] = size
                p = q
            else:
                p += sizes[h & 0x0F]
            out.append(p)
        out.append(end + 2)
        pos = end + 2
    return out


def definitions(data: bytes) -> list[int]:
    """Offsets of the definition messages in ``data`` (a single well-formed file)."""
    return [p for p in boundaries(data)[1:-2] if p < len(data) - 2 and data[p] & 0xC0 == 0x40]


# --- the check every case goes through -----------------------------------------------


class CaseTooSlow(Exception):
    pass


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Fail (not hang) when the block runs longer than ``seconds``: a guard against a reader
    that never ends, not a speed check."""
    if not hasattr(signal, "setitimer"):  # pragma: no cover - Windows: no SIGALRM
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise CaseTooSlow(f"a reader ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class Sink:
    """A store that every summary must fit into, plus the due rule's classifier."""

    def __init__(self, folder: Path) -> None:
        self.store = Store(folder / "fuzz.sqlite3")
        self.n = 0

    def take(self, summary: ActivitySummary) -> None:
        assert isinstance(summary, ActivitySummary)
        classify(summary, None)
        self.n += 1
        self.store.record_batch([(f"fuzz-{self.n}.fit", 0, self.n, summary)], NOW)


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sink]:
    s = Sink(tmp_path_factory.mktemp("fuzz-store"))
    yield s
    assert sql(s.store.path, "PRAGMA integrity_check") == [("ok",)]
    s.store.close()


def check(data: bytes, sink: Sink, kind: str) -> None:
    """Both readers, each way: a summary or the reader's typed error, within the time bound."""
    CASES[kind] += 1
    with time_bound(CASE_S):
        for verify in (False, True):
            try:
                sink.take(scan_activity(data, verify=verify))
            except ScanError as exc:
                assert exc.reason
        for crc in Crc:
            try:
                sink.take(read_activity(data, name="fuzz.fit", crc=crc))
            except ActivityError as exc:
                assert exc.reason and exc.path == "fuzz.fit"
                assert str(exc).startswith("fuzz.fit")


@pytest.fixture(scope="module", autouse=True)
def report_count(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(CASES.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(CASES.items()))
    line = f"fuzzed activity readers: {total} cases (FITPLUG_FUZZ_EXAMPLES={EXAMPLES}): {detail}"
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None:
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line("")
            reporter.write_line(line)


# --- truncation ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_truncation_at_every_message_boundary(name: str, sink: Sink) -> None:
    data = SEEDS[name]
    cuts = sorted({c + d for c in boundaries(data) for d in (-1, 0, 1) if 0 <= c + d < len(data)})
    assert len(cuts) > 10
    for cut in cuts:
        check(data[:cut], sink, "truncated")
    # cut at a boundary with the header and CRC fixed up: a shorter file that checks out
    hsize = data[0]
    first_end = hsize + int.from_bytes(data[4:8], "little")
    for cut in boundaries(data):
        if hsize <= cut <= first_end:
            check(fit_file(data[hsize:cut], header_size=hsize), sink, "truncated-fixed")


@FUZZ
@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_truncation_at_random_offsets(sink: Sink, name: str, data: st.DataObject) -> None:
    raw = SEEDS[name]
    cut = data.draw(st.integers(0, len(raw)))
    fixed = data.draw(st.booleans())
    if fixed and cut > 14:
        check(fit_file(raw[14:cut]), sink, "truncated-random")
    else:
        check(raw[:cut], sink, "truncated-random")


# --- byte flips -----------------------------------------------------------------------


@FUZZ
@given(
    st.sampled_from(sorted(SEEDS)),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=8),
    st.booleans(),
)
def test_random_byte_flips(sink: Sink, name: str, flips: list[tuple[float, int]], recrc: bool) -> None:
    data = bytearray(SEEDS[name])
    for where, xor in flips:
        data[int(where * len(data))] ^= xor
    # with the CRC recomputed, the damage reaches the parsers instead of the CRC check
    check(fix_crc(data) if recrc else bytes(data), sink, "byte-flip")


# --- absurd definitions ---------------------------------------------------------------


@FUZZ
@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_absurd_field_sizes_in_definitions(sink: Sink, name: str, data: st.DataObject) -> None:
    raw = SEEDS[name]
    if name == "chained":
        raw = make_activity(records=3)
    buf = bytearray(raw)
    defs = definitions(raw)
    for _ in range(data.draw(st.integers(1, 3))):
        p = data.draw(st.sampled_from(defs))
        nfields = raw[p + 5]  # as written: an earlier draw may have patched it
        what = data.draw(st.sampled_from(["size", "size", "base_type", "nfields", "arch"]))
        if what == "size" and nfields:
            i = data.draw(st.integers(0, nfields - 1))
            buf[p + 7 + 3 * i] = data.draw(st.sampled_from([0, 1, 3, 7, 64, 254, 255]) | st.integers(0, 255))
        elif what == "base_type" and nfields:
            i = data.draw(st.integers(0, nfields - 1))
            buf[p + 8 + 3 * i] = data.draw(st.integers(0, 255))
        elif what == "nfields":
            buf[p + 5] = data.draw(st.sampled_from([0, 255]) | st.integers(0, 255))
        else:
            buf[p + 2] = data.draw(st.integers(0, 255))
    check(fix_crc(buf), sink, "absurd-definition")


# --- random record streams ----------------------------------------------------------

#: messages the random streams define: the ones fitplug reads and a few it steps over
_MESGS = ["file_id", "session", "set", "activity", "workout", "record", "event", "lap",
          "developer_data_id", "field_description"]  # fmt: skip
_FIELDS = {name: [f["name"] for f in Profile["messages"][MESG_NUM[name]]["fields"].values()] for name in _MESGS}


def _layout_size(b: FitBuilder, local: int) -> int:
    _, layout, _, dev_size = b._layouts[local]
    return 1 + sum(size for _, _, size, _ in layout) + dev_size


@st.composite
def record_streams(draw: st.DrawFn) -> bytes:
    """A FIT file of random definitions and data messages, well-formed more often than not."""
    b = FitBuilder()
    sizes: dict[int, int] = {}
    if draw(st.booleans()):
        b.define(0, "file_id", ["type", "manufacturer", "product", "serial_number", "time_created"])
        b.data(0, {"type": draw(st.sampled_from([4, 5, 9, 255])), "manufacturer": 1, "product": 3111,
                   "serial_number": 1, "time_created": draw(st.integers(0, 2**32 - 2))})  # fmt: skip
        sizes[0] = _layout_size(b, 0)
    for _ in range(draw(st.integers(1, 16))):
        op = draw(st.sampled_from(["define", "define", "raw-define", "data", "data", "data", "junk"]))
        if op == "define" or (op == "data" and not sizes):
            local = draw(st.integers(0, 15))
            mesg = draw(st.sampled_from(_MESGS))
            fields = draw(st.lists(st.sampled_from(_FIELDS[mesg]), max_size=8, unique=True))
            dev = draw(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 8), st.integers(0, 255)), max_size=3))
            b.define(local, mesg, fields, big_endian=draw(st.booleans()), dev_fields=dev)
            sizes[local] = _layout_size(b, local)
        elif op == "raw-define":
            # any message number, field numbers, sizes and base types, as bytes
            local = draw(st.integers(0, 15))
            mesg_num = draw(st.sampled_from(sorted(MESG_NUM[m] for m in _MESGS)) | st.integers(0, 65535))
            fields = draw(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
                                   max_size=6))  # fmt: skip
            big = draw(st.booleans())
            b.raw(bytes((0x40 | local, 0, int(big))) + struct.pack(">H" if big else "<H", mesg_num)
                  + bytes((len(fields),)) + b"".join(bytes(f) for f in fields))  # fmt: skip
            sizes[local] = 1 + sum(f[1] for f in fields)
        elif op == "data":
            local = draw(st.sampled_from(sorted(sizes)))
            header = local
            if local < 4 and draw(st.booleans()):
                header = 0x80 | local << 5 | draw(st.integers(0, 31))  # compressed timestamp
            count = draw(st.integers(1, 3))
            for _ in range(count):
                body = draw(st.binary(min_size=sizes[local] - 1, max_size=sizes[local] - 1))
                b.raw(bytes((header,)) + body)
        else:
            b.raw(draw(st.binary(max_size=12)))
    data = b.build(header_size=draw(st.sampled_from([12, 14])), header_crc=draw(st.booleans()))
    if draw(st.booleans()):
        data = chain(data, draw(st.sampled_from(sorted(SEEDS.values()))))
    return data


@FUZZ
@given(record_streams())
def test_random_record_streams(sink: Sink, data: bytes) -> None:
    check(data, sink, "record-stream")


@FUZZ
@given(st.binary(max_size=64), st.binary(max_size=256))
def test_random_bytes_after_a_fit_header(sink: Sink, head: bytes, body: bytes) -> None:
    check(head, sink, "random-bytes")
    check(fit_file(body), sink, "random-bytes")


# --- edge files ---------------------------------------------------------------------


def test_zero_bytes(tmp_path: Path, sink: Sink) -> None:
    check(b"", sink, "empty")
    path = tmp_path / "empty.fit"
    path.write_bytes(b"")
    with pytest.raises(ScanError, match="empty"):
        scan_activity(path)
    with pytest.raises(ActivityError, match="empty file") as info:
        read_activity(path)
    assert info.value.path == str(path)


def test_every_seed_reads(sink: Sink) -> None:
    """The seeds themselves are good files, so the mutations start from something real."""
    for name, data in SEEDS.items():
        assert scan_activity(data, verify=True).sha256 == read_activity(data).sha256, name


# --- several hundred MB of zeros ------------------------------------------------------

_BIG_SCRIPT = textwrap.dedent(
    """
    import json, os, resource, sys, time
    from fitplug.activities.read.reader import Crc, read_activity
    from fitplug.errors import ActivityError
    from fitplug.activities.read.mapping import profile_tables
    from fitplug.activities.read.scan import ScanError
    from corpus_reads import scan_file as scan_activity

    profile_tables()
    read_activity  # fitdecode is imported lazily: import it now so it is not counted
    import fitdecode, garmin_fit_sdk  # noqa: F401
    path, verify_too = sys.argv[1], sys.argv[2] == "1"
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    out = {}
    calls = [("scan", lambda: scan_activity(path))]
    if verify_too:
        calls.append(("scan-verify", lambda: scan_activity(path, verify=True)))
    calls.append(("read", lambda: read_activity(path)))
    calls.append(("read-skip", lambda: read_activity(path, crc=Crc.SKIP)))
    for name, call in calls:
        t0 = time.monotonic()
        try:
            call()
            outcome = "summary"
        except (ScanError, ActivityError) as exc:
            outcome = type(exc).__name__ + ": " + str(exc)
        out[name] = [outcome, round(time.monotonic() - t0, 2)]
    out["growth"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale - base
    print(json.dumps(out))
    """
)


def _big_file(path: Path, head: bytes, size_mb: int) -> Path:
    with path.open("wb") as f:
        f.write(head)
    os.truncate(path, size_mb << 20)  # sparse: costs no disk and no time
    return path


def _fit_header(data_size: int) -> bytes:
    from fitfiles import crc16

    head = struct.pack("<BBHI4s", 14, 0x20, 2121, data_size, b".FIT")
    return head + struct.pack("<H", crc16(head))


#: one definition (local 0 = record, one 1-byte field): every zero after it is a 2-byte message
_DEFINE_RECORD = bytes((0x40, 0, 0, 20, 0, 1, 3, 1, 2))
#: under read_activity's size bound: read whole, but refused on its CRC before fitdecode walks it
_UNDER_CAP_MB = 100

_BIG_CASES = {
    "zeros": (b"", BIG_MB),
    # a good header announcing all of it, then nothing defined
    "header-then-zeros": (_fit_header((BIG_MB << 20) - 16), BIG_MB),
    # a header and one definition, so the zeros are millions of data messages
    "defined-zeros": (_fit_header((BIG_MB << 20) - 16) + _DEFINE_RECORD, BIG_MB),
    "defined-zeros-under-cap": (_fit_header((_UNDER_CAP_MB << 20) - 16) + _DEFINE_RECORD, _UNDER_CAP_MB),
}


@pytest.mark.parametrize("case", sorted(_BIG_CASES))
def test_hundreds_of_mb_of_zeros(case: str, tmp_path: Path) -> None:
    head, size_mb = _BIG_CASES[case]
    path = _big_file(tmp_path / f"{case}.fit", head, size_mb)
    CASES["big-zeros"] += 1
    # verify=True checks the CRC of all of it first: linear, but ~15 s per GB; only when asked
    verify_too = case == "zeros" or "FITPLUG_FUZZ_EXAMPLES" in os.environ
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    proc = subprocess.run(
        [sys.executable, "-c", _BIG_SCRIPT, str(path), "1" if verify_too else "0"],
        env=env, capture_output=True, text=True, timeout=3 * CASE_S, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    growth = out.pop("growth")
    for name, (outcome, _seconds) in out.items():  # the seconds are printed, never asserted
        if name == "read-skip" and case.startswith("defined-zeros"):
            # unchecked, a well-formed stream of empty records may read as a summary of nothing
            assert outcome == "summary" or outcome.startswith(("ActivityError", "ReadError")), (name, outcome)
        elif not case.startswith("defined-zeros") or name.startswith("read") or size_mb << 20 > MAX_FIT_BYTES:
            # the scan opens a file as the reader does: one beyond the size bound is refused unread
            assert outcome.startswith(("ScanError", "ActivityError", "ReadError")), (name, outcome)
        else:  # a well-formed stream of empty records, without verify: a summary of nothing
            ran_past = f"ScanError: last message runs past the end of the data @ byte {(size_mb << 20) - 2}"
            assert outcome in ("summary", ran_past), (name, outcome)
    assert out["read"][0].startswith(("ActivityError", "ReadError"))
    # Memory must not grow with the garbage. read_activity holds a file with a FIT
    # header in memory, up to its size bound (activities.MAX_FIT_BYTES); beyond
    # that, and for anything without a FIT header, it reads nothing.
    bound = (64 << 20) if size_mb << 20 > MAX_FIT_BYTES else (size_mb << 20) + (64 << 20)
    assert growth < bound, f"peak RSS grew by {growth >> 20} MiB reading {size_mb} MiB of zeros: {out}"


def test_a_string_where_a_time_belongs_is_not_a_time(sink: Sink) -> None:
    """Found by fuzzing: file_id.time_created defined with the string base type."""
    b = FitBuilder()
    b.define(0, "file_id", ["type", "time_created"])
    b.data(0, {"type": 4, "time_created": 0x41424344})  # "DCBA" as text: no NUL to end it early
    b.define(1, "workout", [("wkt_name", 4)])
    b.data(1, {"wkt_name": "Hip"})
    body = bytes(b.body)
    # time_created (field 4, 4 bytes) as a string (base type 7); wkt_name (8, 4 bytes) as a uint32z
    patched = body.replace(bytes((4, 4, 0x86)), bytes((4, 4, 0x07))).replace(bytes((8, 4, 0x07)), bytes((8, 4, 0x8C)))
    assert bytes((4, 4, 0x07)) in patched and bytes((8, 4, 0x8C)) in patched
    body = patched
    data = fit_file(body)
    summary = scan_activity(data, verify=True)
    assert summary.time_created is None and summary.workout_name is None
    sink.take(summary)
    assert read_activity(data) == summary  # the scanner reads it: the reader keeps that
    # fitdecode's own processor used to refuse it; fitplug reads raw values, so both readers agree
    assert decode_activity(data) == summary
    check(data, sink, "regression")
