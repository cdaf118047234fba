"""The ``logged_sets`` rows (`fitplug log`): written and read back checked, like every row of the store."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from fitplug.activities.read import sane
from fitplug.activities.read.sane import from_iso
from fitplug.activities.store.rows import iso
from fitplug.model import LoggedSets

#: the most sets (× sides) one logged exercise may hold: a typo of a list stays a typo
MAX_LOGGED_SETS = 40
#: the most reps one logged set may hold
MAX_LOGGED_REPS = 500


def put(db: sqlite3.Connection, entry: LoggedSets) -> None:
    """Write ``entry``, replacing what was logged for its day and exercise."""
    db.execute(
        "INSERT OR REPLACE INTO logged_sets (day, exercise, reps, pain, logged_utc) VALUES (?, ?, ?, ?, ?)",
        (entry.day.isoformat(), entry.exercise, json.dumps(list(entry.reps)), int(entry.pain), iso(entry.logged_utc)),
    )


def take(db: sqlite3.Connection, day: dt.date, exercise: str) -> LoggedSets | None:
    """Remove what was logged for ``exercise`` on ``day``; what it was (``None``: nothing was)."""
    row = db.execute(
        "SELECT day, exercise, reps, pain, logged_utc FROM logged_sets WHERE day = ? AND exercise = ?",
        (day.isoformat(), exercise),
    ).fetchone()
    db.execute("DELETE FROM logged_sets WHERE day = ? AND exercise = ?", (day.isoformat(), exercise))
    return _entry(tuple(row)) if row is not None else None


def read(db: sqlite3.Connection) -> list[LoggedSets]:
    """Every logged entry that reads as one, by day then exercise (a damaged row is left out)."""
    rows = db.execute("SELECT day, exercise, reps, pain, logged_utc FROM logged_sets ORDER BY day, exercise")
    return [e for e in (_entry(tuple(r)) for r in rows) if e is not None]


def _entry(row: tuple[object, ...]) -> LoggedSets | None:
    day, exercise, reps, pain, logged = row
    try:
        when = dt.date.fromisoformat(day) if isinstance(day, str) else None
        counts = json.loads(reps) if isinstance(reps, str) else None
    except ValueError:
        return None
    at = sane.time(from_iso(logged)) if isinstance(logged, str) else None
    if (
        when is None
        or at is None
        or not isinstance(exercise, str)
        or not isinstance(counts, list)
        or len(counts) > MAX_LOGGED_SETS
        or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_LOGGED_REPS for n in counts)
        or pain not in (0, 1)
    ):
        return None
    return LoggedSets(when, exercise, tuple(counts), bool(pain), at)
