"""Fast path FIT activity reader: decode only what fitplug keeps, step over the rest.

:func:`scan_activity` walks the FIT record stream and decodes just the
``file_id``, ``session``, ``activity``, ``workout`` and ``set`` messages. Every
other data message (the second-by-second ``record`` messages that make up
almost all of an activity file) is stepped over using the size its definition
message gave, without being decoded.

It gives the same :class:`~fitplug.model.ActivitySummary` as the fitdecode
reader in :mod:`fitplug.activities`. Anything it cannot read raises
:class:`ScanError`, which is deliberately *not* a ``FitplugError``: the caller
then falls back to the fitdecode reader, which decides what is wrong and says
so.

Message and field numbers, base types, scales and value names all come from
garmin-fit-sdk's ``Profile``; this module only names the fields it wants.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import mmap
import os
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from garmin_fit_sdk import Profile
from garmin_fit_sdk import fit as sdk_fit

from fitplug.model import ActivitySession, ActivitySummary, SetRecord

__all__ = ["RawMessages", "ScanError", "scan_activity"]

#: files up to this size are read whole; bigger ones are memory-mapped and
#: walked in windows whose pages are handed back as the scan passes them
READ_WHOLE_MAX: Final = 4 << 20
_WINDOW: Final = 4 << 20
#: the inner loop retries run detection for paused headers this often
_SUB_WINDOW: Final = 64 << 10
_RUN64: Final = [bytes((h,)) * 64 for h in range(256)]
_RUN8: Final = [bytes((h,)) * 8 for h in range(256)]

_FIT_EPOCH: Final = dt.datetime(1989, 12, 31, tzinfo=dt.UTC)
_UNKNOWN: Final = "unknown"
#: what a session without a (valid) sport reads as: the FIT profile's own ``sport`` 0
NO_SPORT: Final = "generic"
#: what a set without a (valid) set_type reads as: rest sets say so, work is the default
NO_SET_TYPE: Final = "active"
#: a local offset beyond a day is a device clock that was never set, not a time zone
MAX_OFFSET_S: Final = 24 * 3600
#: FIT base type ``byte``: raw bytes, never a number or a name fitplug can use
_BYTE: Final = 0x0D

Buffer: TypeAlias = "bytes | mmap.mmap"


class ScanError(Exception):
    """The fast reader cannot read this file; fall back to the full decoder.

    ``offset`` is the byte offset where scanning stopped, when known.
    """

    def __init__(self, reason: str, offset: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(f"{reason} @ byte {offset}" if offset is not None else reason)


# --- what fitplug reads, and how each field is turned into a value ------------

#: conversion of one field: enum ``name`` (str(int) when not in the profile),
#: ``int``, scaled ``num`` (float when the profile scales it), UTC ``time``,
#: ``local`` (raw local_date_time seconds), ``text``
_WANTED: Final[dict[str, dict[str, str]]] = {
    "file_id": {
        "type": "name",
        "manufacturer": "name",
        "product": "int",
        "serial_number": "int",
        "time_created": "time",
    },
    "session": {
        "timestamp": "time",
        "start_time": "time",
        "sport": "name",
        "sub_sport": "name",
        "total_elapsed_time": "num",
        "total_timer_time": "num",
        "total_distance": "num",
        "avg_heart_rate": "int",
    },
    "activity": {"timestamp": "int", "local_timestamp": "local"},
    "workout": {"wkt_name": "text"},
    "set": {
        "start_time": "time",
        "set_type": "name",
        "repetitions": "int",
        "weight": "num",
        "category": "name",
        "category_subtype": "int",
        "duration": "num",
        "wkt_step_index": "int",
    },
}


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    conv: str
    scale: float
    offset: float
    names: dict[int, str] | None


@dataclass(frozen=True, slots=True)
class _Tables:
    #: global message number -> (message name, field number -> field)
    mesgs: dict[int, tuple[str, dict[int, _Field]]]
    #: base type byte as a definition writes it (endian flag included) ->
    #: (struct code, size, invalid raw value); ``byte`` is left out
    base: dict[int, tuple[str, int, int]]
    #: manufacturer names for which file_id.product is a garmin_product
    garmin_makers: frozenset[str]
    garmin_products: dict[int, str]


_tables: _Tables | None = None


def _profile_tables() -> _Tables:
    """Build (once) the lookups this module needs from the SDK Profile."""
    global _tables
    if _tables is not None:
        return _tables
    types: dict[str, dict[int, str]] = Profile["types"]
    mesgs: dict[int, tuple[str, dict[int, _Field]]] = {}
    garmin_makers: set[str] = set()
    for num, mesg in Profile["messages"].items():
        wanted = _WANTED.get(mesg["name"])
        if wanted is None:
            continue
        fields: dict[int, _Field] = {}
        for fnum, f in mesg["fields"].items():
            conv = wanted.get(f["name"])
            if conv is None:
                continue
            scale = f["scale"][0] if f["scale"] else 1
            offset = f["offset"][0] if f["offset"] else 0
            names = types.get(f["type"]) if conv == "name" else None
            fields[int(fnum)] = _Field(f["name"], conv, scale, offset, names)
            if mesg["name"] == "file_id" and f["name"] == "product":
                for sub in f["sub_fields"]:
                    if sub["name"] == "garmin_product":
                        garmin_makers.update(m["value_name"] for m in sub["map"])
        missing = set(wanted) - {f.name for f in fields.values()}
        if missing:  # a Profile without them is not one this module was written for
            raise RuntimeError(f"FIT profile lacks {mesg['name']} fields {sorted(missing)}")
        mesgs[int(num)] = (mesg["name"], fields)
    base = {
        num | d["endian_flag"]: (d["type_code"], d["size"], d["invalid"])
        for num, d in sdk_fit.BASE_TYPE_DEFINITIONS.items()
        if num != _BYTE
    }
    _tables = _Tables(mesgs, base, frozenset(garmin_makers), types["garmin_product"])
    return _tables


# --- decoding one wanted message ------------------------------------------------

#: (field, base type number, invalid raw value, is_string) per unpacked value
_Slot: TypeAlias = tuple[_Field, int, int, bool]


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
                out[field.name] = _convert(field, raw)
        return out


def _compile(
    name: str,
    fields: dict[int, _Field],
    layout: list[tuple[int, int, int]],
    dev_size: int,
    big_endian: bool,
    tables: _Tables,
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
        if info is None or size == 0 or size % info[1] or (info[0] == "s") != (field.conv == "text"):
            # raw bytes, a base type FIT does not define (or without its endian
            # flag), a size that does not fit its base type, text where a number
            # belongs or the reverse: absent. fitdecode reads the first three as
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


# --- CRC --------------------------------------------------------------------------

_crc_table16: list[int] | None = None


def _crc_table() -> list[int]:
    """CRC-16 (FIT: poly 0xA001 reflected) of two bytes at a time, indexed by a native word."""
    global _crc_table16
    if _crc_table16 is None:
        t8 = []
        for b in range(256):
            c = b
            for _ in range(8):
                c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
            t8.append(c)
        # feeding two bytes (b0, b1) into state c gives F(c ^ (b0 | b1 << 8)),
        # with F(v) = state v after two zero bytes; F is linear, so F(v) =
        # lo[v & 0xFF] ^ hi[v >> 8]
        lo = [(t8[v] >> 8) ^ t8[t8[v] & 0xFF] for v in range(256)]
        hi = [t8[v] for v in range(256)]
        if sys.byteorder == "little":
            _crc_table16 = [lo[w & 0xFF] ^ hi[w >> 8] for w in range(65536)]
        else:
            _crc_table16 = [lo[w >> 8] ^ hi[w & 0xFF] for w in range(65536)]
    return _crc_table16


def _crc16(buf: Buffer, start: int, stop: int, mm: mmap.mmap | None = None) -> int:
    """FIT CRC of ``buf[start:stop]``, two bytes per step, in page-released windows."""
    table = _crc_table()
    crc = 0
    with memoryview(buf) as view:
        pos = start
        while stop - pos >= 2:
            end = min(stop, pos + _WINDOW)
            end -= (end - pos) & 1
            with view[pos:end] as part, part.cast("H") as words:
                for w in words:
                    crc = table[crc ^ w]
            pos = end
            if mm is not None:
                _release(mm, pos)
        if pos < stop:  # odd last byte: state after one byte
            c = crc ^ view[pos]
            for _ in range(8):
                c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
            crc = c
    return crc


_PAGE: Final = mmap.PAGESIZE
_DONTNEED: Final[int | None] = getattr(mmap, "MADV_DONTNEED", None)


def _release(mm: mmap.mmap, upto: int) -> None:
    """Hand back the mapped pages before ``upto``: the file stays cached, our RSS stays small."""
    end = upto - upto % _PAGE
    if _DONTNEED is not None and end > 0:
        mm.madvise(_DONTNEED, 0, end)


# --- the scan -------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    file_id: dict[str, Any] | None = None
    sessions: list[tuple[dict[str, Any], int]] | None = None
    activity: dict[str, Any] | None = None
    workout_name: str | None = None
    sets: list[dict[str, Any]] | None = None


def _scan(buf: Buffer, n: int, verify: bool, mm: mmap.mmap | None) -> _Found:
    """Walk every FIT file chained in ``buf[:n]``; collect the wanted messages."""
    if n == 0:
        raise ScanError("empty file", 0)
    tables = _profile_tables()
    found = _Found(sessions=[], sets=[])
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
                if header_crc and header_crc != _crc16(buf, pos, pos + 12):
                    raise ScanError("header CRC mismatch", pos)
            file_crc = buf[end] | buf[end + 1] << 8
            if file_crc != _crc16(buf, pos, end, mm):
                raise ScanError("file CRC mismatch", end)
        _scan_records(buf, start, end, found, tables, mm)
        pos = end + 2
        if mm is not None:  # chained files can each be smaller than a window
            _release(mm, pos)
    return found


def _scan_records(
    buf: Buffer, p: int, end: int, found: _Found, tables: _Tables, mm: mmap.mmap | None
) -> None:
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
    mesgs = tables.mesgs
    page_at = p + _WINDOW if mm is not None else end
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
            if lim < end:
                for h in paused:
                    if hsize[h]:  # not redefined since
                        runs[h], hsize[h] = hsize[h], 0
                paused.clear()
                if p >= page_at:
                    assert mm is not None
                    _release(mm, p)
                    page_at = p + _WINDOW
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
        if h & 0x40 and not h & 0x80:  # definition message
            local = h & 0x0F
            if p + 6 > end:
                raise ScanError("truncated definition message", p)
            arch = buf[p + 2]
            if arch > 1:
                raise ScanError(f"unknown architecture {arch}", p)
            big = arch == 1
            mesg_num = buf[p + 3] << 8 | buf[p + 4] if big else buf[p + 4] << 8 | buf[p + 3]
            nfields = buf[p + 5]
            q = p + 6 + 3 * nfields
            if q > end:
                raise ScanError("truncated definition message", p)
            layout = []
            size = 1
            for i in range(p + 6, q, 3):
                fsize = buf[i + 1]
                if not fsize:  # fitdecode refuses these: let it decide
                    raise ScanError("field of size 0 in a definition", p)
                layout.append((buf[i], fsize, buf[i + 2]))
                size += fsize
            dev_size = 0
            if h & 0x20:  # developer fields: their bytes are stepped over
                if q + 1 > end:
                    raise ScanError("truncated definition message", p)
                ndev = buf[q]
                r = q + 1 + 3 * ndev
                if r > end:
                    raise ScanError("truncated definition message", p)
                for i in range(q + 1, r, 3):
                    dev_size += buf[i + 1]
                q = r
            size += dev_size
            wanted = mesgs.get(mesg_num)
            dec = None
            if wanted is not None:
                dec = _compile(wanted[0], wanted[1], layout, dev_size, big, tables)
            decoders[local] = dec
            sizes[local] = size
            fast = 0 if dec is not None else size
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
            p = q
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


def _collect(name: str, values: dict[str, Any], compressed: bool, found: _Found, p: int) -> None:
    if name == "file_id":
        if found.file_id is None:
            found.file_id = values
    elif name == "session":
        if compressed and values.get("start_time") is None:
            # its time is in the header, relative to timestamps we stepped over
            raise ScanError("session with a compressed timestamp and no start_time", p)
        assert found.sessions is not None
        found.sessions.append((values, p))
    elif name == "activity":
        if compressed:
            raise ScanError("activity message with a compressed timestamp", p)
        if found.activity is None:
            found.activity = values
    elif name == "workout":
        if found.workout_name is None:  # the first workout message that names one
            found.workout_name = values.get("wkt_name")
    elif name == "set":
        assert found.sets is not None
        found.sets.append(values)


# --- values -> model --------------------------------------------------------------


def _convert(f: _Field, raw: Any) -> Any:
    conv = f.conv
    if raw is None:
        return None
    if conv == "name":
        name = f.names.get(raw) if f.names is not None else None
        return name if name is not None else str(raw)
    if conv == "time":
        return _FIT_EPOCH + dt.timedelta(seconds=raw)
    if conv == "num":
        # the same arithmetic as fitdecode, so both readers give equal floats
        value = float(raw) / f.scale if f.scale != 1 else raw
        return value - f.offset if f.offset else value
    return raw


def _summary(found: _Found, sha256: str) -> ActivitySummary:
    tables = _profile_tables()
    file_type = _UNKNOWN
    manufacturer = product = None
    serial = None
    created = None
    if found.file_id is not None:
        fid = found.file_id
        file_type = fid.get("type") or _UNKNOWN
        manufacturer = fid.get("manufacturer")
        serial = fid.get("serial_number")
        created = fid.get("time_created")
        raw_product = fid.get("product")
        if raw_product is not None:
            if manufacturer in tables.garmin_makers:
                product = tables.garmin_products.get(raw_product, str(raw_product))
            else:
                product = str(raw_product)
    offset_s = None
    if found.activity is not None:
        ts, local = found.activity.get("timestamp"), found.activity.get("local_timestamp")
        if ts is not None and local is not None and abs(int(local) - int(ts)) <= MAX_OFFSET_S:
            offset_s = int(local) - int(ts)
    sessions = []
    for s, _ in found.sessions or ():
        start = s.get("start_time")
        elapsed = s.get("total_elapsed_time")
        timer = s.get("total_timer_time")
        if start is None:
            stamp = s.get("timestamp")
            if stamp is None:
                continue  # a session with no time at all cannot be placed: dropped
            start = stamp - dt.timedelta(seconds=elapsed or timer or 0)
        sessions.append(
            ActivitySession(
                sport=s.get("sport") or NO_SPORT,
                sub_sport=s.get("sub_sport"),
                start_utc=start,
                utc_offset_s=offset_s,
                elapsed_s=elapsed,
                timer_s=timer,
                distance_m=s.get("total_distance"),
                avg_hr=s.get("avg_heart_rate"),
            )
        )
    sets = []
    for r in found.sets or ():
        sets.append(
            SetRecord(
                start_utc=r.get("start_time"),
                set_type=r.get("set_type") or NO_SET_TYPE,
                repetitions=r.get("repetitions"),
                weight_kg=r.get("weight"),
                category=r.get("category"),
                exercise_name=r.get("category_subtype"),
                duration_s=r.get("duration"),
                wkt_step_index=r.get("wkt_step_index"),
            )
        )
    return ActivitySummary(
        sha256=sha256,
        file_type=file_type,
        manufacturer=manufacturer,
        product=product,
        serial_number=serial,
        time_created=created,
        sessions=tuple(sessions),
        workout_name=found.workout_name,
        sets=tuple(sets),
    )


# --- the same mapping for a decoder that gives raw values ---------------------------


class RawMessages:
    """Collect wanted messages from another decoder (fitdecode) as raw values by field number.

    The values go through the same conversion and :func:`_summary` as the scan's,
    so both readers map FIT to :class:`ActivitySummary` with one piece of code:
    give each value as the file holds it, the first element of an array, and
    ``None`` for an invalid value or for a field that is raw bytes.
    """

    __slots__ = ("_found", "_mesgs")

    def __init__(self) -> None:
        self._mesgs = _profile_tables().mesgs
        self._found = _Found(sessions=[], sets=[])

    def wants(self, mesg_num: int) -> bool:
        return mesg_num in self._mesgs

    def add(self, mesg_num: int, raw: dict[int, Any]) -> None:
        name, fields = self._mesgs[mesg_num]
        values: dict[str, Any] = {}
        for fnum, value in raw.items():
            field = fields.get(fnum)
            if field is None or value is None:
                continue
            if field.conv == "text":
                values[field.name] = value if isinstance(value, str) and value else None
            elif isinstance(value, int) or (isinstance(value, float) and not math.isnan(value)):
                values[field.name] = _convert(field, value)
        _collect(name, values, False, self._found, 0)

    def summary(self, sha256: str) -> ActivitySummary:
        return _summary(self._found, sha256)


# --- public entry point -----------------------------------------------------------


def scan_activity(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview, *, verify: bool = False
) -> ActivitySummary:
    """Summarise a FIT activity file (path or bytes), decoding only what fitplug keeps.

    With ``verify=True`` the header CRC (when not 0) and every file CRC are
    checked too. Raises :class:`ScanError` for anything it cannot read;
    ``OSError`` when the file cannot be opened.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        found = _scan(data, len(data), verify, None)
        return _summary(found, hashlib.sha256(data).hexdigest())
    with open(source, "rb") as f:
        n = os.fstat(f.fileno()).st_size
        if n <= READ_WHOLE_MAX:
            data = f.read()
            if len(data) != n:  # pragma: no cover - file changed under us
                raise ScanError("file changed while being read", len(data))
            found = _scan(data, n, verify, None)
            return _summary(found, hashlib.sha256(data).hexdigest())
        digest = hashlib.file_digest(f, "sha256").hexdigest()  # bounded buffer
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if hasattr(mmap, "MADV_SEQUENTIAL"):
                mm.madvise(mmap.MADV_SEQUENTIAL)
            found = _scan(mm, n, verify, mm)
        return _summary(found, digest)
