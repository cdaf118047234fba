"""The C record walker (_fitwalk) on hostile input: the same verdict as the Python walk, never a crash."""

from __future__ import annotations

import struct

import make_activities as ma
import pytest
from fitfiles import fix_crc
from hypothesis import given, settings
from hypothesis import strategies as st

from fitplug.activities.read import scan as fitscan
from fitplug.activities.read.mapping import profile_tables
from fitplug.activities.read.scan import ScanError

if fitscan._fitwalk is None:
    pytest.skip("the C record walker is not built", allow_module_level=True)
walk = fitscan._fitwalk.walk

SEEDS = [ma.FIXTURES[name]() for name in sorted(ma.FIXTURES)]


def verdict(data: bytes, *, native: object, verify: bool = False) -> object:
    """What the scan gives with one walker: the summary, or the ScanError's reason and offset."""
    saved, fitscan.native = fitscan.native, native
    try:
        return fitscan.scan(data, verify=verify)
    except ScanError as exc:
        return (exc.reason, exc.offset)
    finally:
        fitscan.native = saved


def both_agree(data: bytes) -> None:
    assert verdict(data, native=fitscan._fitwalk) == verdict(data, native=None)


def test_seeds_read_the_same_both_ways() -> None:
    assert SEEDS
    for data in SEEDS:
        both_agree(data)
        both_agree(fix_crc(data))


def test_bounds_are_checked() -> None:
    """start/end outside the buffer are refused, not read."""
    for start, end in [(-1, 4), (0, 5), (3, 2), (0, 1 << 40)]:
        with pytest.raises(ValueError):
            walk(b"\0\0\0\0", start, end, {})


def header(data_size: int) -> bytes:
    return struct.pack("<BBHI4s", 12, 0x10, 2100, data_size, b".FIT")


@pytest.mark.parametrize(
    "body",
    [
        b"\x40",  # a definition cut after its header byte
        b"\x40\0\0\x12\0",  # cut before the field count
        b"\x40\0\0\x12\0\xff" + b"\x01\x01\x02" * 254,  # 255 fields announced, 254 there
        b"\x40\0\0\x12\0\xff" + b"\x01\xff\x02" * 255,  # 255 fields of 255 bytes: a message of 65 026 bytes, absent
        b"\x40\0\x02\x12\0\x01\x01\x01\x02",  # architecture 2
        b"\x40\0\0\x12\0\x01\x01\x00\x02",  # a field of size 0
        b"\x60\0\0\x12\0\x00",  # developer fields announced, none there
        b"\x60\0\0\x12\0\x00\xff\x00\xff\x00",  # 255 developer fields announced, one there
        b"\x00",  # data for an undefined local type
        b"\x80",  # compressed, undefined
        b"\x40\0\0\x14\0\x01\x01\xff\x02\x00",  # a skipped message of 256 bytes, 0 there
        b"\x40\0\0\x12\0\x01\x01\xff\x02\x00",  # a wanted (session) message of 256 bytes, 0 there
        b"\x40\0\0\x12\0\x01\xfd\x04\x86\x00\x01\x02",  # a wanted message cut short
    ],
)
def test_hostile_records(body: bytes) -> None:
    data = header(len(body)) + body + b"\0\0"
    both_agree(data)
    both_agree(fix_crc(data))
    events, error = walk(data, 12, 12 + len(body), profile_tables().mesgs)
    assert error is not None or events


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(SEEDS))), st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255))))
def test_random_mutations(seed: int, flips: list[tuple[float, int]]) -> None:
    data = bytearray(SEEDS[seed])
    for at, value in flips if data else []:
        data[int(at * len(data))] = value
    both_agree(bytes(data))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_record_streams(body: bytes) -> None:
    both_agree(header(len(body)) + body + b"\0\0")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(SEEDS))), st.floats(0, 1))
def test_truncations(seed: int, at: float) -> None:
    data = SEEDS[seed]
    cut = data[: int(at * len(data))]
    both_agree(cut)
    if len(cut) > 16 and cut[0] in (12, 14):  # the header still announces the whole file: patch it to what is left
        both_agree(cut[:4] + struct.pack("<I", len(cut) - cut[0] - 2) + cut[8:])
