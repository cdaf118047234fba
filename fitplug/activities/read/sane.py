"""What a value read from a FIT file (or from the store) may be before fitplug uses it.

A file is hostile or broken until its values have passed here: a time outside
the FIT epoch to 2100, a duration that is not finite or longer than any
activity, a distance no one covers, a heart rate no heart beats are
"unknown" (``None``), and the caller says so in a note. Whatever passes is a
finite number in a small range: nothing unbounded reaches the store, the due
rule or the JSON. Pure functions, no I/O: the reader's mapping
(:mod:`fitplug.activities.read.mapping`) and the store (rows a hand may have
damaged) share them.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

from fitplug.times import FIT_EPOCH

#: no activity fitplug reads starts at or after this
TIME_LIMIT: Final = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
#: longer than any one activity: devices do record multi-week ones (a 27-day
#: activity is in the shared corpus); FIT's own uint32 of ms ends at 49.7 days
MAX_DURATION_S: Final = 60 * 24 * 3600.0
#: farther than any one activity (a crossing of a continent and back by bike)
MAX_DISTANCE_M: Final = 10_000_000.0
#: a recorded average heart rate, beats per minute
MIN_HR: Final = 20
MAX_HR: Final = 250
#: a strength set
MAX_REPETITIONS: Final = 10_000
MAX_WEIGHT_KG: Final = 1_000.0
#: a set longer than a day is not a set
MAX_SET_S: Final = 24 * 3600.0


def time(value: object) -> dt.datetime | None:
    """An aware datetime between the FIT epoch and 2100, else ``None``."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        return None
    return value if FIT_EPOCH <= value < TIME_LIMIT else None


def number(value: object, low: float, high: float) -> float | None:
    """``value`` when it is a finite real number in ``[low, high]``, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return value


def integer(value: object, low: int, high: int) -> int | None:
    """``value`` when it is an int in ``[low, high]``, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def duration(value: object) -> float | None:
    return number(value, 0.0, MAX_DURATION_S)


def distance(value: object) -> float | None:
    return number(value, 0.0, MAX_DISTANCE_M)


def heart_rate(value: object) -> int | None:
    return integer(value, MIN_HR, MAX_HR)


def offset(value: object) -> int | None:
    """A UTC offset of at most a day, seconds."""
    return integer(value, -24 * 3600, 24 * 3600)


def from_iso(text: object) -> dt.datetime | None:
    """A stored time; ``None`` for none, or for anything a hand or a bad disk made of it."""
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None
