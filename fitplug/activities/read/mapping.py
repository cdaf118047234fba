"""The FIT → :class:`~fitplug.model.ActivitySummary` mapping both reading strategies share.

A strategy (the fast scanner, :mod:`fitplug.activities.read.scan`, or fitdecode in
:mod:`fitplug.activities.read.reader`) finds the wanted messages (``file_id``,
``session``, ``activity``, ``workout``, ``set``), converts their fields with
:func:`convert` and hands them to :func:`collect`; :func:`summary` makes the
summary. The contract is written in :mod:`fitplug.activities.read.reader`.

Message and field numbers, base types, scales and value names all come from
garmin-fit-sdk's ``Profile`` (imported on first use: ``fitplug status`` never
needs it); this module only names the fields it wants.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Final

from fitplug.activities.read import sane
from fitplug.model import ActivitySession, ActivitySummary, SetRecord
from fitplug.times import FIT_EPOCH

__all__ = [
    "NO_SET_TYPE",
    "NO_SPORT",
    "Field",
    "Found",
    "RawMessages",
    "Tables",
    "accepts",
    "collect",
    "convert",
    "profile_tables",
    "summary",
]

_FIT_EPOCH: Final = FIT_EPOCH  # a module global: the hot loop reads it
_UNKNOWN: Final = "unknown"
#: what a session without a (valid) sport reads as: the FIT profile's own ``sport`` 0
NO_SPORT: Final = "generic"
#: what a set without a (valid) set_type reads as: rest sets say so, work is the default
NO_SET_TYPE: Final = "active"
#: a local offset beyond a day is a device clock that was never set, not a time zone
MAX_OFFSET_S: Final = 24 * 3600
#: FIT base type ``byte``: raw bytes, never a number or a name fitplug can use
BYTE: Final = 0x0D
#: FIT base type ``string``
STRING: Final = 0x07
#: the base types a number fitplug reads may have: the integers of up to 32 bits.
#: Every field fitplug reads is one of those in the profile; a file that types
#: one as a float, a 64-bit integer, a string or bytes does not follow the
#: profile, and the field is absent. (Devices do write a narrower or wider
#: integer than the profile's; its value is checked like any other.)
INTEGER_BASES: Final = frozenset({0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0A, 0x0B, 0x0C})


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
class Field:
    name: str
    conv: str
    scale: float
    offset: float
    names: dict[int, str] | None


@dataclass(frozen=True, slots=True)
class Tables:
    #: global message number -> (message name, field number -> field)
    mesgs: dict[int, tuple[str, dict[int, Field]]]
    #: base type byte as a definition writes it (endian flag included) ->
    #: (struct code, size, invalid raw value); ``byte`` is left out
    base: dict[int, tuple[str, int, int]]
    #: manufacturer names for which file_id.product is a garmin_product
    garmin_makers: frozenset[str]
    garmin_products: dict[int, str]


_tables: Tables | None = None


def profile_tables() -> Tables:
    """Build (once) the lookups this module needs from the SDK Profile."""
    global _tables
    if _tables is not None:
        return _tables
    from garmin_fit_sdk import Profile  # heavy: only when a file is read
    from garmin_fit_sdk import fit as sdk_fit

    types: dict[str, dict[int, str]] = Profile["types"]
    mesgs: dict[int, tuple[str, dict[int, Field]]] = {}
    garmin_makers: set[str] = set()
    for num, mesg in Profile["messages"].items():
        wanted = _WANTED.get(mesg["name"])
        if wanted is None:
            continue
        fields: dict[int, Field] = {}
        for fnum, f in mesg["fields"].items():
            conv = wanted.get(f["name"])
            if conv is None:
                continue
            scale = f["scale"][0] if f["scale"] else 1
            offset = f["offset"][0] if f["offset"] else 0
            names = types.get(f["type"]) if conv == "name" else None
            fields[int(fnum)] = Field(f["name"], conv, scale, offset, names)
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
        if num != BYTE
    }
    _tables = Tables(mesgs, base, frozenset(garmin_makers), types["garmin_product"])
    return _tables


@dataclass(slots=True)
class Found:
    """The wanted messages of one file (chained files included), as converted values by field name."""

    file_id: dict[str, Any] | None = None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    activity: dict[str, Any] | None = None
    workout_name: str | None = None
    sets: list[dict[str, Any]] = field(default_factory=list)


def collect(name: str, values: dict[str, Any], found: Found) -> None:
    """Keep one decoded message: the first file_id, activity and workout name; every session and set."""
    if name == "file_id":
        if found.file_id is None:
            found.file_id = values
    elif name == "session":
        found.sessions.append(values)
    elif name == "activity":
        if found.activity is None:
            found.activity = values
    elif name == "workout":
        if found.workout_name is None:  # the first workout message that names one
            found.workout_name = values.get("wkt_name")
    elif name == "set":
        found.sets.append(values)


# --- values -> model --------------------------------------------------------------


def accepts(f: Field, base_type: int) -> bool:
    """A value of FIT base type ``base_type`` (endian flag allowed) can be ``f``'s, as the profile types it."""
    bt = base_type & 0x1F
    return bt == STRING if f.conv == "text" else bt in INTEGER_BASES


#: |raw| beyond this is no 32-bit value: nothing :func:`accepts` lets through
_RAW_LIMIT: Final = 1 << 32


def convert(f: Field, raw: Any) -> Any:
    conv = f.conv
    if raw is None:
        return None
    if conv != "text" and (not isinstance(raw, int) or not -_RAW_LIMIT < raw < _RAW_LIMIT):
        return None  # a base type the profile does not give this field (see accepts)
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


class _Checked:
    """Values checked against sense (:mod:`fitplug.activities.read.sane`); what was dropped becomes a note."""

    __slots__ = ("notes",)

    def __init__(self) -> None:
        self.notes: list[str] = []

    def time(self, where: str, name: str, value: Any) -> dt.datetime | None:
        ok = sane.time(value)
        if ok is None and value is not None:
            self.notes.append(
                f"{where} {name} {value:%Y-%m-%d} is outside {_FIT_EPOCH.year}–{sane.TIME_LIMIT.year - 1}: unknown"
            )
        return ok

    def value(self, where: str, name: str, value: Any, check: Any, what: str) -> Any:
        ok = check(value)
        if ok is None and value is not None:
            self.notes.append(f"{where} {name} {value!r} is {what}: unknown")
        return ok


def summary(found: Found, sha256: str) -> ActivitySummary:
    """The summary of what a strategy found; every value checked against sense first."""
    tables = profile_tables()
    check = _Checked()
    file_type = _UNKNOWN
    manufacturer = product = None
    serial = None
    created = None
    if found.file_id is not None:
        fid = found.file_id
        file_type = fid.get("type") or _UNKNOWN
        manufacturer = fid.get("manufacturer")
        serial = fid.get("serial_number")
        created = check.time("file_id", "time_created", fid.get("time_created"))
        raw_product = fid.get("product")
        if raw_product is not None:
            if manufacturer in tables.garmin_makers:
                product = tables.garmin_products.get(raw_product, str(raw_product))
            else:
                product = str(raw_product)
    offset_s = None
    if found.activity is not None:
        ts, local = found.activity.get("timestamp"), found.activity.get("local_timestamp")
        if isinstance(ts, int) and isinstance(local, int) and abs(local - ts) <= MAX_OFFSET_S:
            offset_s = local - ts
    sessions = []
    for i, s in enumerate(found.sessions, 1):
        where = f"session {i}"
        start = check.time(where, "start_time", s.get("start_time"))
        elapsed = check.value(where, "total_elapsed_time", s.get("total_elapsed_time"), sane.duration, "not a duration")
        timer = check.value(where, "total_timer_time", s.get("total_timer_time"), sane.duration, "not a duration")
        if start is None:
            stamp = check.time(where, "timestamp", s.get("timestamp"))
            if stamp is None:
                continue  # a session with no time at all cannot be placed: dropped
            start = sane.time(stamp - dt.timedelta(seconds=elapsed or timer or 0))
            if start is None:
                continue
        sessions.append(
            ActivitySession(
                sport=s.get("sport") or NO_SPORT,
                sub_sport=s.get("sub_sport"),
                start_utc=start,
                utc_offset_s=offset_s,
                elapsed_s=elapsed,
                timer_s=timer,
                distance_m=check.value(
                    where, "total_distance", s.get("total_distance"), sane.distance, "not a distance"
                ),
                avg_hr=check.value(
                    where,
                    "avg_heart_rate",
                    s.get("avg_heart_rate"),
                    sane.heart_rate,
                    f"not a heart rate ({sane.MIN_HR}–{sane.MAX_HR})",
                ),
            )
        )
    sets = []
    for i, r in enumerate(found.sets, 1):
        where = f"set {i}"
        sets.append(
            SetRecord(
                start_utc=check.time(where, "start_time", r.get("start_time")),
                set_type=r.get("set_type") or NO_SET_TYPE,
                repetitions=check.value(
                    where, "repetitions", r.get("repetitions"), _repetitions, "not a number of repetitions"
                ),
                weight_kg=check.value(where, "weight", r.get("weight"), _weight, "not a weight"),
                category=r.get("category"),
                exercise_name=r.get("category_subtype"),
                duration_s=check.value(where, "duration", r.get("duration"), _set_duration, "not a duration"),
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
        notes=tuple(check.notes),
    )


def _repetitions(value: Any) -> int | None:
    return sane.integer(value, 0, sane.MAX_REPETITIONS)


def _weight(value: Any) -> float | None:
    return sane.number(value, 0.0, sane.MAX_WEIGHT_KG)


def _set_duration(value: Any) -> float | None:
    return sane.number(value, 0.0, sane.MAX_SET_S)


# --- the same mapping for a decoder that gives raw values ---------------------------


class RawMessages:
    """Collect wanted messages from another decoder (fitdecode) as raw values by field number.

    The values go through the same conversion and :func:`summary` as the scan's,
    so both readers map FIT to :class:`ActivitySummary` with one piece of code:
    give each value as the file holds it, the first element of an array, and
    ``None`` for an invalid value or for a field that is raw bytes.
    """

    __slots__ = ("_found", "_mesgs")

    def __init__(self) -> None:
        self._mesgs = profile_tables().mesgs
        self._found = Found()

    def wants(self, mesg_num: int) -> bool:
        return mesg_num in self._mesgs

    def add(self, mesg_num: int, raw: dict[int, tuple[int, Any]]) -> None:
        """One message: ``field number -> (base type, raw value)`` as the file holds it."""
        name, fields = self._mesgs[mesg_num]
        values: dict[str, Any] = {}
        for fnum, (base_type, value) in raw.items():
            field = fields.get(fnum)
            if field is None or value is None or not accepts(field, base_type):
                continue
            if field.conv == "text":
                values[field.name] = value if isinstance(value, str) and value else None
            elif isinstance(value, int) or (isinstance(value, float) and not math.isnan(value)):
                values[field.name] = convert(field, value)
        collect(name, values, self._found)

    def summary(self, sha256: str) -> ActivitySummary:
        return summary(self._found, sha256)
