"""The store's rows and the model's values: one activity written, and rows read back checked.

Rows are checked as read: a hand or a bad disk may have put anything in a
column, and a value that is not what it should be reads as unknown.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fitplug.activities.read import sane
from fitplug.activities.read.outcome import shown
from fitplug.activities.read.sane import from_iso
from fitplug.activities.store.sqlfile import db_key, key_of
from fitplug.model import ActivitySession, ActivitySummary, DueItem, SetRecord, StoredActivity
from fitplug.times import FIT_EPOCH, UTC


class FileStatus(enum.StrEnum):
    """What became of a file (the text is what the store and reports hold)."""

    NEW = "new"  #: stored an activity
    DUPLICATE = "duplicate"  #: an activity already held
    OTHER = "other"  #: not an activity
    ERROR = "error"  #: unreadable


@dataclass(frozen=True, slots=True)
class FileState:
    """What the store knows about one file."""

    key: str
    size: int
    mtime_ns: int
    status: FileStatus
    file_type: str | None
    reason: str | None
    activity_id: int | None


def iso(value: dt.datetime | None) -> str | None:
    """An aware datetime as UTC ISO 8601 text (sorts as it should)."""
    if value is None:
        return None
    if value.tzinfo is UTC and not value.microsecond:
        return value.isoformat()  # the same text, without the cost of the keyword
    return value.astimezone(UTC).isoformat(timespec="seconds")


def insert_activity(db: sqlite3.Connection, key: str, s: ActivitySummary, now: dt.datetime) -> int:
    """Insert one activity with its sessions and sets; its new id."""
    cur = db.execute(
        """INSERT INTO activities (sha256, file_type, manufacturer, product, serial_number,
           time_created, workout_name, first_key, added_utc, start_utc)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            s.sha256,
            s.file_type,
            s.manufacturer,
            s.product,
            s.serial_number,
            iso(s.time_created),
            s.workout_name,
            db_key(key),
            iso(now),
            iso(s.sessions[0].start_utc) if s.sessions else None,
        ),
    )
    activity_id = int(cur.lastrowid or 0)
    db.executemany(
        """INSERT INTO sessions (activity_id, idx, sport, sub_sport, start_utc, utc_offset_s,
           elapsed_s, timer_s, distance_m, avg_hr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                activity_id,
                i,
                x.sport,
                x.sub_sport,
                iso(x.start_utc),
                x.utc_offset_s,
                x.elapsed_s,
                x.timer_s,
                x.distance_m,
                x.avg_hr,
            )
            for i, x in enumerate(s.sessions)
        ],
    )
    db.executemany(
        """INSERT INTO sets (activity_id, idx, start_utc, set_type, repetitions, weight_kg, category,
           exercise_name, duration_s, wkt_step_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                activity_id,
                i,
                iso(x.start_utc),
                x.set_type,
                x.repetitions,
                x.weight_kg,
                x.category,
                x.exercise_name,
                x.duration_s,
                x.wkt_step_index,
            )
            for i, x in enumerate(s.sets)
        ],
    )
    return activity_id


def text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def session_of(r: Sequence[Any]) -> ActivitySession:
    """A session from a row (a tuple) of ``activity_id, sport, sub_sport, start_utc, utc_offset_s,
    elapsed_s, timer_s, distance_m, avg_hr``, read by position."""
    return ActivitySession(
        text(r[1]) or "generic",
        text(r[2]),
        sane.time(from_iso(r[3])) or FIT_EPOCH,
        sane.offset(r[4]),
        sane.duration(r[5]),
        sane.duration(r[6]),
        sane.distance(r[7]),
        sane.heart_rate(r[8]),
    )


def set_of(r: Sequence[Any]) -> SetRecord:
    """A set from a row (a tuple) of ``activity_id, start_utc, set_type, repetitions, weight_kg, category,
    exercise_name, duration_s, wkt_step_index``, read by position."""
    return SetRecord(
        sane.time(from_iso(r[1])),
        text(r[2]) or "active",
        sane.integer(r[3], 0, sane.MAX_REPETITIONS),
        sane.number(r[4], 0, sane.MAX_WEIGHT_KG),
        text(r[5]),
        sane.integer(r[6], 0, 0xFFFF),
        sane.number(r[7], 0, sane.MAX_SET_S),
        sane.integer(r[8], 0, 0xFFFF),
    )


def activity_of(r: Sequence[Any], sessions: Sequence[ActivitySession], sets: Sequence[SetRecord]) -> StoredActivity:
    """A stored activity from a row of :func:`summary_of`'s columns, then ``first_key, added_utc``."""
    return StoredActivity(r[0], shown(key_of(r[8])), from_iso(r[9]) or FIT_EPOCH, summary_of(r, sessions, sets))


def summary_of(r: Sequence[Any], sessions: Sequence[ActivitySession], sets: Sequence[SetRecord]) -> ActivitySummary:
    """What was read of one activity (its row, sessions and sets), without where or when it was stored: a row
    (a tuple) of ``id, sha256, file_type, manufacturer, product, serial_number, time_created, workout_name``."""
    return ActivitySummary(
        sha256=str(r[1]),
        file_type=text(r[2]) or "unknown",
        manufacturer=text(r[3]),
        product=text(r[4]),
        serial_number=sane.integer(r[5], 0, 0xFFFFFFFF),
        time_created=sane.time(from_iso(r[6])),
        sessions=tuple(sessions),
        workout_name=text(r[7]),
        sets=tuple(sets),
    )


def due_digest(item: DueItem) -> str:
    text = "\x1f".join([item.kind.value, iso(item.start_utc) or "", iso(item.end_utc) or "", item.title, item.detail])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: a saved item's row: (digest, updated_utc, sequence)
_Saved = tuple[Any, Any, Any]


def saved_due(db: sqlite3.Connection, items: Sequence[DueItem]) -> dict[str, _Saved]:
    """The saved rows (digest, updated_utc, sequence) of ``items``, by key: a few queries, not two an item."""
    keys = list(dict.fromkeys(i.key for i in items))
    out: dict[str, _Saved] = {}
    cursor = db.cursor()
    cursor.row_factory = None  # plain tuples
    for at in range(0, len(keys), 500):  # within SQLite's bound on parameters
        part = keys[at : at + 500]
        marks = ", ".join("?" * len(part))
        query = f"SELECT key, digest, updated_utc, sequence FROM due_items WHERE key IN ({marks})"
        out.update((r[0], (r[1], r[2], r[3])) for r in cursor.execute(query, part))
    return out


class _Kept:
    """Items as saved: one reading of each saved time (a sync saves many items at one time)."""

    def __init__(self) -> None:
        self._times: dict[object, dt.datetime | None] = {}

    def __call__(self, row: _Saved | None, item: DueItem, digest: str) -> DueItem | None:
        """``item`` as saved (``row``), when it is saved unchanged; else ``None``."""
        if row is None or row[0] != digest:
            return None
        text = row[1]
        updated = self._times[text] if text in self._times else self._times.setdefault(text, from_iso(text))
        sequence = sane.integer(row[2], 0, 1 << 31)
        if updated is None or sequence is None:
            return None  # a row a hand damaged: saved again
        i = item
        return DueItem(i.kind, i.key, i.start_utc, i.end_utc, i.title, i.detail, updated, sequence)


def next_due(row: _Saved | None, now: dt.datetime) -> tuple[dt.datetime, int]:
    """The time and sequence an item gets as it changes now: the next sequence after the saved one (``row``)."""
    sequence = sane.integer(row[2], 0, 1 << 31) if row is not None else None
    return now, 0 if sequence is None else sequence + 1


def preview_due(db: sqlite3.Connection, items: Sequence[DueItem], now: dt.datetime) -> list[DueItem]:
    """What saving ``items`` would give back (their ``updated_utc`` and ``sequence``), writing nothing."""
    saved = saved_due(db, items)
    kept_due = _Kept()
    out: list[DueItem] = []
    for item in items:
        row = saved.get(item.key)
        kept = kept_due(row, item, due_digest(item))
        if kept is None:
            updated, sequence = next_due(row, now)
            kept = replace(item, updated_utc=updated.astimezone(UTC).replace(microsecond=0), sequence=sequence)
        out.append(kept)
    return out


def save_due(db: sqlite3.Connection, items: Sequence[DueItem], now: dt.datetime) -> list[DueItem]:
    """Remember ``items`` (in the caller's transaction); each comes back with ``updated_utc`` and ``sequence``."""
    saved = saved_due(db, items)
    kept_due = _Kept()
    out: list[DueItem] = []
    for item in items:
        digest = due_digest(item)
        row = saved.get(item.key)
        kept = kept_due(row, item, digest)
        if kept is not None:
            out.append(kept)
            continue
        updated, sequence = next_due(row, now)
        db.execute(
            """INSERT OR REPLACE INTO due_items (key, kind, start_utc, end_utc, title, detail,
               digest, updated_utc, sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (item.key, item.kind.value, iso(item.start_utc), iso(item.end_utc), item.title, item.detail,
             digest, iso(updated), sequence),
        )  # fmt: skip
        saved[item.key] = (digest, iso(updated), sequence)
        out.append(replace(item, updated_utc=updated.astimezone(UTC).replace(microsecond=0), sequence=sequence))
    return out
