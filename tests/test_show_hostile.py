"""`fitplug show` on odd FIT files never prints a traceback (#22): the same clear message `sync` gives.

Files made from a real workout fitplug writes, damaged the ways odd files are (a 255-byte header,
odd sizes, wide records, 64-bit protocol-1 fields, random bytes), each with its CRCs made right
again so the decoder goes past the CRC check into the damage.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import Invoke
from fitdecode.utils import compute_crc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_workouts import build_into


def with_crcs(data: bytes) -> bytes:
    """``data`` (a FIT header then records) with its header CRC (when 14 bytes) and file CRC made right."""
    head_size = data[0]
    body = bytearray(data[:-2] if len(data) > head_size + 2 else data)
    if head_size == 14 and len(body) >= 14:
        body[12:14] = struct.pack("<H", compute_crc(bytes(body[:12])))
    return bytes(body) + struct.pack("<H", compute_crc(bytes(body)))


@pytest.fixture(scope="module")
def workout(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("built")
    build_into(out)
    return (out / "glute-strength.fit").read_bytes()


def show(invoke: Invoke, tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "odd.fit"
    path.write_bytes(data)
    result = invoke("show", str(path))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert result.output.startswith(f"Error: {path}: "), result.output
    return result.output


def test_named_odd_files(invoke: Invoke, tmp_path: Path, workout: bytes) -> None:
    header, records = workout[:14], workout[14:-2]
    wide = bytes([0x40, 0, 0, 26, 0, 1, 0, 255, 0x0D])  # a definition: one field 255 bytes wide (an array of bytes)
    cases = {
        "255-byte header": bytes([255]) + header[1:] + bytes(241) + records,
        "odd size": workout[: len(workout) // 2 + 1],
        "wide record": with_crcs(header + wide + bytes([0]) + bytes(255) + records),
        "protocol 1 with 64-bit fields": with_crcs(bytes([14, 0x20]) + header[2:] + records),
        "records cut mid-way": with_crcs(header + records[: len(records) // 3]),
        "header says more data than there is": with_crcs(header[:4] + struct.pack("<I", 10**6) + header[8:] + records),
    }
    for name, data in cases.items():
        out = show(invoke, tmp_path, data)
        assert out, name


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_workouts(invoke: Invoke, tmp_path: Path, workout: bytes, data: st.DataObject) -> None:
    body = bytearray(workout[:-2])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(14, len(body) - 1))
        body[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        body = body[: data.draw(st.integers(14, len(body)))]
    show(invoke, tmp_path, with_crcs(bytes(body) + b"\0\0"))
