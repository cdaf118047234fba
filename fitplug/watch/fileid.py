"""Who wrote a FIT file: its ``file_id`` (type, manufacturer, product, serial), read from the first bytes.

fitplug recognises its own files by this, not by their names: a workout or
schedule it wrote says manufacturer ``garmin`` (1), product ``connect``
(65534) and the serial :func:`fitplug.watch.workout.serial_number` gives its
file name's stem in that programme. Anything else, an unreadable file
included, is someone else's and is never replaced or removed.

Only the first definition and data message are read (a few hundred bytes at
most), so a large activity costs nothing and a damaged file is just "not ours".
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

#: file_id fields: number → (name, struct code)
_FIELDS = {0: "type", 1: "manufacturer", 2: "product", 3: "serial_number"}
_READ_BYTES = 4096


@dataclass(frozen=True, slots=True)
class FileId:
    type: int | None
    manufacturer: int | None
    product: int | None
    serial_number: int | None


def parse_file_id(data: bytes) -> FileId | None:
    """The ``file_id`` of FIT bytes (the file's start is enough), or ``None`` when there is none."""
    try:
        return _parse(data)
    except (IndexError, struct.error):
        return None


def _parse(data: bytes) -> FileId | None:
    header_size = data[0]
    if header_size < 12 or data[8:12] != b".FIT":
        return None
    pos = header_size
    header = data[pos]
    # the first record of a file is a definition (normal header, bit 6 set)
    if header & 0x80 or not header & 0x40:
        return None
    local = header & 0x0F
    arch = data[pos + 2]
    endian = ">" if arch == 1 else "<"
    (global_num,) = struct.unpack_from(endian + "H", data, pos + 3)
    count = data[pos + 5]
    fields = [(data[pos + 6 + 3 * i], data[pos + 7 + 3 * i]) for i in range(count)]
    pos += 6 + 3 * count
    if header & 0x20:  # developer fields
        dev_count = data[pos]
        pos += 1 + 3 * dev_count
    if global_num != 0 or data[pos] != local:  # the data message follows with the same local type
        return None
    pos += 1
    values: dict[str, int] = {}
    for number, size in fields:
        name = _FIELDS.get(number)
        if name is not None and size in (1, 2, 4):
            code = {1: "B", 2: "H", 4: "I"}[size]
            (values[name],) = struct.unpack_from(endian + code, data, pos)
        pos += size
    if pos > len(data):
        return None
    return FileId(
        type=_valid(values.get("type"), 0xFF),
        manufacturer=_valid(values.get("manufacturer"), 0xFFFF),
        product=_valid(values.get("product"), 0xFFFF),
        serial_number=_valid(values.get("serial_number"), 0),  # uint32z: 0 is "invalid"
    )


def _valid(value: int | None, invalid: int) -> int | None:
    return None if value is None or value == invalid else value


def read_file_id(path: Path) -> FileId | None:
    """The ``file_id`` of the file at ``path`` (not following a symlink), or ``None``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        data = os.read(fd, _READ_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    return parse_file_id(data)
