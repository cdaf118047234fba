"""The rule's settled answer kept in the store (table ``kept_past``), and what it was decided over.

One row a programme (by id): the answer's text (:mod:`fitplug.activities.rule.past`), its ``until``
and ``now``, and a key over what it depends on. :func:`fingerprint` is the store's part of that key:
the activities with a session starting before ``until`` (the store only adds activities, so their
count and ids name them), the done marks before it, and whether any of those activities was still
going at ``now`` (then the rule, which ignores what is not over, saw less than the store holds).
It is a cache: derived from the rest, never journaled, rebuilt by the next command that writes.

:func:`encode` and :func:`decode` turn the answer into text and back (JSON; a session is named by its
place in the programme, so the text holds nothing the programme does not say).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from fitplug.activities.rule.past import Past
from fitplug.activities.store.rows import iso
from fitplug.model import DoneBy, Moved, Programme, RunStretch, Session, State
from fitplug.programme.schedule import post_run_variants
from fitplug.times import UTC

#: the text's form; another form (or a damaged text) is not used
FORM = "fitplug.past/1"

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


# --- the answer as text ----------------------------------------------------------------


def _sessions(programme: Programme) -> tuple[Session, ...]:
    """Every session a kept answer can name, by place: the programme's, then the post-run variants."""
    return (*programme.sessions, *post_run_variants(programme))


def _place(session: Session | None, sessions: Sequence[Session]) -> int | None:
    if session is None:
        return None
    for n, s in enumerate(sessions):
        if s is session:
            return n
    return sessions.index(session)  # ValueError: not the programme's (encode refuses)


def _t(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat()


def encode(past: Past, programme: Programme) -> str | None:
    """``past`` as text, or ``None`` when it names a session the programme does not hold."""
    sessions = _sessions(programme)
    try:
        runs = [
            [r.key, _t(r.run_start_utc), _t(r.run_end_utc), r.utc_offset_s, r.sub_sport, r.distance_m, r.elapsed_s,
             r.run_number, _place(r.session, sessions), _t(r.lapse_utc), r.state.value, _t(r.done_utc),
             None if r.done_by is None else r.done_by.value, _place(r.done_session, sessions)]
            for r in past.runs
        ]  # fmt: skip
        missed = [[d.isoformat(), _place(s, sessions)] for d, s in past.missed]
        moved = [[m.planned.isoformat(), m.done.isoformat(), _place(m.session, sessions)] for m in past.moved]
    except ValueError:
        return None
    head = {"form": FORM, "cut": _t(past.cut), "until": _t(past.until), "now": _t(past.now)}
    return json.dumps({**head, "runs": runs, "missed": missed, "moved": moved}, separators=(",", ":"))


def decode(text: str, programme: Programme) -> Past | None:
    """What :func:`encode` wrote, for the same programme; ``None`` for any other text."""
    sessions = _sessions(programme)
    at, day = dt.datetime.fromisoformat, dt.date.fromisoformat
    states, ways = {s.value: s for s in State}, {d.value: d for d in DoneBy}

    def named(n: int | None) -> Session | None:
        if n is None:
            return None
        if not 0 <= n < len(sessions):
            raise ValueError(n)
        return sessions[n]

    try:
        data: Any = json.loads(text)
        if data.get("form") != FORM:
            return None
        runs = tuple(
            RunStretch(
                r[0], at(r[1]), at(r[2]), r[3], r[4], r[5], r[6], r[7], named(r[8]),
                None if r[9] is None else at(r[9]), states[r[10]], None if r[11] is None else at(r[11]),
                None if r[12] is None else ways[r[12]], named(r[13]),
            )
            for r in data["runs"]
        )  # fmt: skip
        missed = tuple((day(m[0]), _required(named(m[1]))) for m in data["missed"])
        moved = tuple(Moved(day(m[0]), day(m[1]), _required(named(m[2]))) for m in data["moved"])
        return Past(at(data["cut"]), at(data["until"]), at(data["now"]), runs, missed, moved)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _required(session: Session | None) -> Session:
    if session is None:
        raise ValueError("a planned day without its session")
    return session
