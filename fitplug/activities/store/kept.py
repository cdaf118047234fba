"""The rule's settled answer kept in the store (table ``kept_past``), and what it was decided over.

One row a programme (by id): the answer's text (:mod:`fitplug.activities.rule.past`), its ``until``
and ``now``, and a key over what it depends on. :func:`fingerprint` is the store's part of that key:
the activities with a session starting before ``until`` (the store only adds activities, so their
count and ids name them), the done marks before it, and whether any of those activities was still
going at ``now`` (then the rule, which ignores what is not over, saw less than the store holds).
It is a cache: derived from the rest, never journaled, rebuilt by the next command that writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

from fitplug.activities.store.rows import iso

#: activities with a session starting before ``until``
_CHOSEN = "SELECT activity_id FROM sessions WHERE start_utc < ?"


def fingerprint(db: sqlite3.Connection, until: dt.datetime, now: dt.datetime) -> str | None:
    """What the store holds before ``until``, as a digest; ``None`` when one of those activities had not
    ended an hour before ``now`` (the answer is then decided afresh)."""
    before = iso(until)
    count, ids = db.execute(f"SELECT count(*), total(id) FROM activities WHERE id IN ({_CHOSEN})", (before,)).fetchone()
    going = db.execute(
        f"SELECT 1 FROM sessions WHERE activity_id IN ({_CHOSEN}) AND julianday(start_utc) "
        "+ coalesce(nullif(elapsed_s, 0), timer_s, 0) / 86400.0 > julianday(?) - 1 / 24.0 LIMIT 1",
        (before, iso(now)),
    ).fetchone()
    if going is not None:
        return None
    digest = hashlib.sha256(f"{count} {ids}".encode())
    for at, key in db.execute("SELECT at_utc, item_key FROM done_marks WHERE at_utc < ? ORDER BY id", (before,)):
        digest.update(f"\n{at} {key}".encode())
    return digest.hexdigest()


def read(db: sqlite3.Connection, programme_id: str) -> tuple[dt.datetime, dt.datetime, str] | None:
    """The kept answer's ``(until, now, key)`` for a programme, or ``None``."""
    row = db.execute("SELECT until_utc, now_utc, key FROM kept_past WHERE programme = ?", (programme_id,)).fetchone()
    if row is None:
        return None
    return dt.datetime.fromisoformat(row[0]), dt.datetime.fromisoformat(row[1]), str(row[2])


def body(db: sqlite3.Connection, programme_id: str) -> str | None:
    row = db.execute("SELECT body FROM kept_past WHERE programme = ?", (programme_id,)).fetchone()
    return None if row is None else str(row[0])


def write(db: sqlite3.Connection, programme_id: str, until: dt.datetime, now: dt.datetime, key: str, text: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO kept_past (programme, until_utc, now_utc, key, body) VALUES (?, ?, ?, ?, ?)",
        (programme_id, iso(until), iso(now), key, text),
    )
