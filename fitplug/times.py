"""Time helpers every stage shares: UTC, the FIT epoch, local midnight, whole-second UTC, UTC text with ``Z``."""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC
#: FIT ``date_time`` counts seconds from here (1989-12-31 00:00 UTC)
FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; a naive value is taken as UTC (the model's ``*_utc`` fields are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def whole_second_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC without its fraction of a second (what iCalendar, FIT and the store keep)."""
    return as_utc(value).replace(microsecond=0)


def utc_text(value: dt.datetime | None) -> str | None:
    """UTC ISO 8601 to the second with ``Z`` (``2026-11-22T09:30:00Z``), as fitplug's JSON writes times."""
    if value is None:
        return None
    return as_utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")


def local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The instant (UTC) a local ``day`` begins in ``tz``: where days, weeks and a tracking start begin."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)
