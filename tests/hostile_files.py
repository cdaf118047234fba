"""A hostile-file generator: activity files whose summary fields have the wrong FIT base type.

Every field the summary reads is written, one at a time (or all at once),
with a base type the profile does not give it (a float, a 64-bit integer) and
a value no watch writes (infinity, NaN, 1e300, 2^63…), in an otherwise
ordinary run or strength file written byte by byte (:class:`FitBuilder`).
Also the values a watch could write but that make no sense (a start in 2150,
a heart rate of 254, a duration of 40 days) with the profile's own types.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fitfiles import FitBuilder, fit_timestamp

FLOAT32, FLOAT64, SINT64, UINT64, UINT64Z = 0x88, 0x89, 0x8E, 0x8F, 0x90
START = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)

#: the fields the summary reads, by message, with an ordinary value each
FILE_ID: dict[str, Any] = {
    "type": 4,
    "manufacturer": 1,
    "product": 3113,
    "serial_number": 3_900_000_001,
    "time_created": fit_timestamp(START),
}
SESSION: dict[str, Any] = {
    "timestamp": fit_timestamp(START) + 3000,
    "start_time": fit_timestamp(START),
    "sport": 1,
    "sub_sport": 0,
    "total_elapsed_time": 3_000_000,
    "total_timer_time": 2_900_000,
    "total_distance": 1_000_000,
    "avg_heart_rate": 150,
}
ACTIVITY: dict[str, Any] = {"timestamp": fit_timestamp(START) + 3000, "local_timestamp": fit_timestamp(START) + 6600}
SET: dict[str, Any] = {
    "start_time": fit_timestamp(START),
    "set_type": 1,
    "repetitions": 15,
    "weight": 200,
    "category": 14,
    "category_subtype": 3,
    "duration": 40_000,
    "wkt_step_index": 0,
}
MESSAGES: dict[str, dict[str, Any]] = {"file_id": FILE_ID, "session": SESSION, "activity": ACTIVITY, "set": SET}

#: (base type, values) a field may be widened to
WIDENINGS: dict[int, tuple[Any, ...]] = {
    FLOAT32: (math.inf, -math.inf, math.nan, 3.0e38, -1.0),
    FLOAT64: (1e300, -1e300, math.inf, math.nan, 5e-324),
    SINT64: (2**63 - 2, -(2**63), -1),
    UINT64: (2**63, 2**64 - 2),
    UINT64Z: (2**64 - 1, 1),
}


@dataclass(frozen=True)
class Hostile:
    name: str
    data: bytes
    #: message -> field -> (base type or None for the profile's, value)
    changes: Mapping[str, Mapping[str, tuple[int | None, Any]]]


def build(changes: Mapping[str, Mapping[str, tuple[int | None, Any]]]) -> bytes:
    """An activity (file_id, one set, a session, activity) with ``changes`` applied."""
    b = FitBuilder()
    for local, (mesg, values) in enumerate(MESSAGES.items()):
        mine = changes.get(mesg, {})
        types = {k: bt for k, (bt, _) in mine.items() if bt is not None}
        b.define(local, mesg, list(values), base_types=types)
        b.data(local, {**values, **{k: v for k, (_, v) in mine.items()}})
    return b.build()


def widened() -> Iterator[Hostile]:
    """Every summary field, alone, widened to every hostile type and value."""
    for mesg, values in MESSAGES.items():
        for fname in values:
            for bt, extremes in WIDENINGS.items():
                for v in extremes:
                    change = {mesg: {fname: (bt, v)}}
                    yield Hostile(f"{mesg}.{fname}-{bt:02x}-{v!r}", build(change), change)


def all_widened() -> Iterator[Hostile]:
    """Every summary field widened at once, one file per hostile type and value."""
    for bt, extremes in WIDENINGS.items():
        for v in extremes:
            change = {mesg: {f: (bt, v) for f in values} for mesg, values in MESSAGES.items()}
            yield Hostile(f"all-{bt:02x}-{v!r}", build(change), change)


SINT32 = 0x85

#: values that make no sense, with the profile's type (None) or another integer: (message, field, type, raw)
NONSENSE: tuple[tuple[str, str, int | None, Any], ...] = (
    ("session", "start_time", None, fit_timestamp(dt.datetime(2110, 1, 1, tzinfo=dt.UTC))),
    ("session", "start_time", SINT32, -86_400 * 400),  # 1988: before the FIT epoch
    ("session", "total_elapsed_time", SINT32, -5_000),
    ("session", "total_timer_time", SINT32, -1),
    ("session", "total_distance", None, 4_000_000_000),  # 40,000 km
    ("session", "total_distance", SINT32, -100),
    ("session", "avg_heart_rate", None, 254),
    ("session", "avg_heart_rate", None, 3),
    ("file_id", "time_created", None, fit_timestamp(dt.datetime(2120, 1, 1, tzinfo=dt.UTC))),
    ("set", "start_time", None, fit_timestamp(dt.datetime(2125, 1, 1, tzinfo=dt.UTC))),
    ("set", "duration", None, 4_000_000_000),  # 46 days
    ("set", "repetitions", None, 60_000),
    ("set", "weight", None, 60_000),  # 3,000 kg
)


def nonsense() -> Iterator[Hostile]:
    for mesg, fname, bt, v in NONSENSE:
        change = {mesg: {fname: (bt, v)}}
        yield Hostile(f"{mesg}.{fname}={v}", build(change), change)
