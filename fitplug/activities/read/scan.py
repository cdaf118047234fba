"""The fast reading strategy: decode only what fitplug keeps, step over the rest.

:func:`scan` walks the FIT record stream of an opened file
(:func:`fitplug.activities.files.fitfile.open_fit`) and decodes just the
``file_id``, ``session``, ``activity``, ``workout`` and ``set`` messages. Every
other data message (the second-by-second ``record`` messages that make up
almost all of an activity file) is stepped over using the size its definition
message gave, without being decoded.

It is internal to :func:`fitplug.activities.read.read_activity` and gives the
same summary as the fitdecode strategy there, through the same mapping
(:mod:`fitplug.activities.read.mapping`). Anything it cannot read raises
:class:`ScanError`, which is deliberately *not* a ``FitplugError``: the reader
then hands the file to fitdecode, which decides what is wrong and says so.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from fitplug.activities.files.fitfile import WINDOW, Buffer, crc16, release
from fitplug.activities.read.mapping import (
    Field,
    Found,
    Tables,
    accepts,
    collect,
    convert,
    profile_tables,
    summary,
)
from fitplug.model import ActivitySummary

try:  # the record walk in C, built at install when a compiler is there (setup.py)
    from fitplug.activities.read import _fitwalk
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _fitwalk = None  # type: ignore[assignment]

__all__ = ["ScanError", "native", "scan"]

#: the native walker, or None: the Python walk below (FITPLUG_PURE_PYTHON=1 forces it;
#: the tests set this to run every reading test both ways)
native: Any = None if os.environ.get("FITPLUG_PURE_PYTHON") == "1" else _fitwalk

#: the inner loop retries run detection for paused headers this often
_SUB_WINDOW: Final = 64 << 10
_RUN64: Final = [bytes((h,)) * 64 for h in range(256)]
_RUN8: Final = [bytes((h,)) * 8 for h in range(256)]


class ScanError(Exception):
    """The fast reader cannot read this file; fall back to the full decoder.

    ``offset`` is the byte offset where scanning stopped, when known.
    """

    def __init__(self, reason: str, offset: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(f"{reason} @ byte {offset}" if offset is not None else reason)


# --- decoding one wanted message ------------------------------------------------

#: (field, base type number, invalid raw value, is_string) per unpacked value
_Slot: TypeAlias = tuple[Field, int, int, bool]


@dataclass(slots=True)
class _Decoder:
    """How to decode one wanted message type as a local definition laid it out."""

    name: str
    unpack: Callable[[Buffer, int], tuple[Any, ...]]
    slots: tuple[_Slot, ...]

    def decode(self, buf: Buffer, pos: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for (field, bt, invalid, is_text), raw in zip(self.slots, self.unpack(buf, pos)):
            if is_text:
                text = raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")
                out[field.name] = text or None
            elif raw == invalid or raw != raw:  # noqa: PLR0124  # raw != raw: float NaN
                out[field.name] = None
            else:
                out[field.name] = convert(field, raw)
        return out


def _compile(
    name: str,
    fields: dict[int, Field],
    layout: list[tuple[int, int, int]],
    dev_size: int,
    big_endian: bool,
    tables: Tables,
) -> _Decoder:
    """Make a struct that picks the wanted fields out of one local definition."""
    fmt = [">" if big_endian else "<"]
    slots: list[_Slot] = []
    seen: set[int] = set()
    for fnum, size, base_type in layout:
        field = fields.get(fnum)
        if field is None or fnum in seen:  # not wanted, or a repeat: the first one counts
            fmt.append(f"{size}x")
            continue
        seen.add(fnum)
        info = tables.base.get(base_type)
        if info is None or size == 0 or size % info[1] or not accepts(field, base_type):
            # raw bytes, a base type FIT does not define (or without its endian
            # flag), a size that does not fit its base type, a base type the
            # profile does not give the field (a float or a 64-bit integer for a
            # time, text where a number belongs or the reverse): absent. fitdecode reads the first three as
            # bytes, which fitplug cannot use either.
            fmt.append(f"{size}x")
            continue
        bt = base_type & 0x1F
        code, bsize, invalid = info
        if code == "s":
            fmt.append(f"{size}s")
        else:
            # arrays: fitplug keeps the first element only
            fmt.append(code if size == bsize else f"{code}{size - bsize}x")
        slots.append((field, bt, invalid, code == "s"))
    if dev_size:
        fmt.append(f"{dev_size}x")
    return _Decoder(name, struct.Struct("".join(fmt)).unpack_from, tuple(slots))


#: decoders by the definition bytes they were compiled from (architecture to the
#: last field) and the developer fields' size: a device writes the same few
#: definitions in every file, so most files compile nothing
_COMPILED: dict[tuple[bytes, int], _Decoder] = {}
_COMPILED_MAX: Final = 4096


def _decoder(buf: Buffer, p: int, fields_end: int, dev_size: int, tables: Tables) -> _Decoder:
    """The decoder of the (checked, wanted) definition message at ``p``, its fields ending at ``fields_end``."""
    key = (bytes(buf[p + 2 : fields_end]), dev_size)
    dec = _COMPILED.get(key)
    if dec is None:
        spec = key[0]
        big = spec[0] == 1
        mesg_num = spec[1] << 8 | spec[2] if big else spec[2] << 8 | spec[1]
        name, fields = tables.mesgs[mesg_num]
        layout = [(spec[i], spec[i + 1], spec[i + 2]) for i in range(4, len(spec), 3)]
        dec = _compile(name, fields, layout, dev_size, big, tables)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = dec
    return dec


# --- the scan -------------------------------------------------------------------


def _scan(buf: Buffer, n: int, verify: bool, mm: mmap.mmap | None) -> Found:
    """Walk every FIT file chained in ``buf[:n]``; collect the wanted messages."""
    if n == 0:
        raise ScanError("empty file", 0)
    tables = profile_tables()
    found = Found()
    pos = 0
    while pos < n:
        if n - pos < 12:
            raise ScanError("truncated FIT header", pos)
        hsize = buf[pos]
        if hsize not in (12, 14):
            raise ScanError(f"unsupported FIT header size {hsize}", pos)
        if n - pos < hsize:
            raise ScanError("truncated FIT header", pos)
        if buf[pos + 8 : pos + 12] != b".FIT":
            raise ScanError("not a FIT file (no .FIT signature)", pos)
        data_size = int.from_bytes(buf[pos + 4 : pos + 8], "little")
        start = pos + hsize
        end = start + data_size
        if end + 2 > n:
            raise ScanError(f"file truncated: header announces {data_size} data bytes", pos)
        if verify:
            if hsize == 14:
                header_crc = buf[pos + 12] | buf[pos + 13] << 8
                if header_crc and header_crc != crc16(buf, pos, pos + 12):
                    raise ScanError("header CRC mismatch", pos)
            file_crc = buf[end] | buf[end + 1] << 8
            if file_crc != crc16(buf, pos, end, mm):
                raise ScanError("file CRC mismatch", end)
        if native is not None and mm is None:
            _walk_native(native, buf, start, end, found, tables)
        else:
            _scan_records(buf, start, end, found, tables, mm)
        pos = end + 2
        if mm is not None:  # chained files can each be smaller than a window
            release(mm, pos)
    return found


def _walk_native(walker: Any, buf: Buffer, p: int, end: int, found: Found, tables: Tables) -> None:
    """The records of ``buf[p:end]`` walked by the C walker: the same events, decoded here."""
    events, error = walker.walk(buf, p, end, tables.mesgs)
    decoders: list[_Decoder | None] = [None] * 16
    for ev in events:
        if ev.__class__ is int:  # a data message of a wanted local type
            h = buf[ev]
            compressed = bool(h & 0x80)
            dec = decoders[(h >> 5) & 0x03 if compressed else h & 0x0F]
            assert dec is not None
            _collect(dec.name, dec.decode(buf, ev + 1), compressed, found, ev)
        else:  # a definition of a wanted message
            p, dev_size = ev
            decoders[buf[p] & 0x0F] = _decoder(buf, p, p + 6 + 3 * buf[p + 5], dev_size, tables)
    if error is not None:
        raise ScanError(*error)


def _scan_records(buf: Buffer, p: int, end: int, found: Found, tables: Tables, mm: mmap.mmap | None) -> None:
    """Walk the records of one FIT file's data section ``buf[p:end]``."""
    # hsize[header byte] = size of the data message it starts, header byte
    # included; 0 sends the byte to the slow path below (definitions, wanted
    # messages, undefined local types).
    hsize = [0] * 256
    # runs[h] = size of the data message header h starts while a run of
    # them may follow: the slow path then checks every 64th (or 8th) header
    # at once and jumps the run; a header whose check fails goes back to the
    # inner loop (hsize) until the next sub-window.
    runs = [0] * 256
    paused: list[int] = []
    decoders: list[_Decoder | None] = [None] * 16
    sizes = [0] * 16
    page_at = p + WINDOW if mm is not None else end
    # sub-window edge: paused run checks resume and passed pages are released
    lim = min(end, p + _SUB_WINDOW)
    while True:
        # The inner loop: one list lookup and one add per skipped message.
        while p < lim:
            s = hsize[buf[p]]
            if not s:
                break
            p += s
        if p >= lim:
            if lim < end:  # a sub-window edge
                _resume_runs(paused, hsize, runs)
                if p >= page_at:
                    assert mm is not None
                    release(mm, p)
                    page_at = p + WINDOW
                lim = min(end, p + _SUB_WINDOW)
                continue
            if p != end:
                raise ScanError("last message runs past the end of the data", end)
            return
        h = buf[p]
        s = runs[h]
        if s:
            q = p + s * 64
            if q <= end and buf[p:q:s] == _RUN64[h]:
                p = q
                continue
            q = p + s * 8
            if q <= end and buf[p:q:s] == _RUN8[h]:
                p = q
                continue
            hsize[h], runs[h] = s, 0
            paused.append(h)
            p += s
            continue
        if h & 0x40 and not h & 0x80:  # definition message (a few per file)
            p = _define(buf, p, end, h, tables, decoders, sizes, hsize, runs)
            continue
        compressed = bool(h & 0x80)
        local = (h >> 5) & 0x03 if compressed else h & 0x0F
        size = sizes[local]
        if not size:
            raise ScanError(f"data message for undefined local type {local}", p)
        if p + size > end:
            raise ScanError("truncated data message", p)
        dec = decoders[local]
        if dec is not None:
            _collect(dec.name, dec.decode(buf, p + 1), compressed, found, p)
        p += size


def _define(
    buf: Buffer,
    p: int,
    end: int,
    h: int,
    tables: Tables,
    decoders: list[_Decoder | None],
    sizes: list[int],
    hsize: list[int],
    runs: list[int],
) -> int:
    """Read the definition message at ``p`` (header byte ``h``) into the scan's tables; where it ends."""
    mesgs = tables.mesgs
    local = h & 0x0F
    if p + 6 > end:
        raise ScanError("truncated definition message", p)
    arch = buf[p + 2]
    if arch > 1:
        raise ScanError(f"unknown architecture {arch}", p)
    mesg_num = buf[p + 3] << 8 | buf[p + 4] if arch == 1 else buf[p + 4] << 8 | buf[p + 3]
    q = p + 6 + 3 * buf[p + 5]
    if q > end:
        raise ScanError("truncated definition message", p)
    fsizes = buf[p + 7 : q : 3]
    if 0 in fsizes:  # a field of size 0: fitdecode refuses these, let it decide
        raise ScanError("field of size 0 in a definition", p)
    size = 1 + sum(fsizes)
    fields_end = q
    dev_size = 0
    if h & 0x20:  # developer fields: their bytes are stepped over
        q, dev_size = _developer_fields(buf, p, q, end)
    size += dev_size
    dec = _decoder(buf, p, fields_end, dev_size, tables) if mesg_num in mesgs else None
    decoders[local] = dec
    sizes[local] = size
    _headers(local, 0 if dec is not None else size, hsize, runs)
    return q


def _developer_fields(buf: Buffer, p: int, q: int, end: int) -> tuple[int, int]:
    """The developer field definitions at ``q`` (of the definition at ``p``): where they end, their bytes."""
    if q + 1 > end:
        raise ScanError("truncated definition message", p)
    r = q + 1 + 3 * buf[q]
    if r > end:
        raise ScanError("truncated definition message", p)
    return r, sum(buf[i + 1] for i in range(q + 1, r, 3))


def _headers(local: int, fast: int, hsize: list[int], runs: list[int]) -> None:
    """Header bytes of local type ``local``: skip ``fast`` bytes, or 0 (decode or look closer)."""
    # normal headers (reserved bits 4-5 ignored, as fitdecode does) ...
    for r in (0x00, 0x10, 0x20, 0x30):
        hsize[local | r] = 0
        runs[local | r] = fast
    # ... and compressed-timestamp headers, which name local types 0-3;
    # their time offsets differ, so they never make a run
    if local < 4:
        base = 0x80 | local << 5
        for t in range(32):
            hsize[base | t] = fast


def _resume_runs(paused: list[int], hsize: list[int], runs: list[int]) -> None:
    """At a sub-window edge: headers whose run check failed may make runs again."""
    for h in paused:
        if hsize[h]:  # not redefined since
            runs[h], hsize[h] = hsize[h], 0
    paused.clear()


def _collect(name: str, values: dict[str, Any], compressed: bool, found: Found, p: int) -> None:
    if compressed and (name == "activity" or (name == "session" and values.get("start_time") is None)):
        # its time is in the header, relative to timestamps the scan stepped over
        what = "activity message" if name == "activity" else "session"
        extra = "" if name == "activity" else " and no start_time"
        raise ScanError(f"{what} with a compressed timestamp{extra}", p)
    collect(name, values, found)


def scan(
    buf: Buffer,
    size: int | None = None,
    *,
    verify: bool = False,
    mm: mmap.mmap | None = None,
    sha256: str | None = None,
) -> ActivitySummary:
    """Summarise the FIT data ``buf[:size]``, decoding only what fitplug keeps.

    With ``verify`` the header CRC (when not 0) and every file CRC are checked
    too. ``mm``: ``buf`` is this map, whose pages are handed back as the scan
    passes them; ``sha256``: the file's digest when the caller has it (else it
    is computed from ``buf``). Raises :class:`ScanError` for anything it cannot read.
    """
    n = len(buf) if size is None else size
    found = _scan(buf, n, verify, mm)
    return summary(found, sha256 if sha256 is not None else hashlib.sha256(buf).hexdigest())
