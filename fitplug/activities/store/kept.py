"""The rule's settled answer kept in the store (table ``kept_past``), and what it was decided over.

One row a programme (by id): the answer's text (:mod:`fitplug.activities.rule.past`) with its items as
saved (worded, with their versions), its ``until`` and ``now``, a key over what it depends on (the code
too: :func:`code`), and what the store held (:func:`fingerprint`, the store's part of the key: checked in a
few indexed lookups, however long the history). It is a cache: derived from the rest, never journaled,
rebuilt by the next command that writes.

:func:`encode` and :func:`decode` turn the answer into text and back (JSON; a session is named by its
place in the programme, so the text holds nothing the programme does not say).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from fitplug.activities.rule.past import Past
from fitplug.activities.store.rows import iso
from fitplug.model import DoneBy, DueItem, DueKind, Moved, Programme, RunStretch, Session, State
from fitplug.model.lazy import Later
from fitplug.programme.schedule import post_run_variants
from fitplug.times import UTC

#: the text's form; another form (or a damaged text) is not used
FORM = "fitplug.past/3"
#: the code a kept answer comes from (folders and files under ``fitplug/``): the rule, the model, the
#: programme and its schedule, the words of the items, and this bookkeeping
CODE = ("activities/rule", "model", "programme", "present", "activities/tracking.py", "activities/store/kept.py")


class Kept(NamedTuple):
    """The kept answer: the settled part of the rule's answer, and its items as saved."""

    past: Past
    #: in time order (made when they are looked at)
    items: Sequence[DueItem]
    #: the time order's key of the last of them, ``(start_utc, key)``; ``None`` when there are none
    last: tuple[dt.datetime, str] | None


@functools.cache
def code() -> str | None:
    """A digest of this fitplug's source of :data:`CODE` (:func:`source_digest`): an answer kept by other
    code (another fitplug, or one edited) is decided again, so a fix of the rule or of its words reaches
    the settled weeks too. ``None`` when the source cannot be read (then nothing is kept)."""
    return source_digest(Path(__file__).resolve().parents[2])


def source_digest(root: Path) -> str | None:
    """A digest of the files of :data:`CODE` under ``root`` (a ``fitplug`` folder): their names and bytes."""
    digest = hashlib.sha256()
    try:
        for part in CODE:
            path = root / part
            files = sorted(e.name for e in os.scandir(path) if e.name.endswith(".py")) if path.is_dir() else [""]
            for name in files:
                with open(path / name if name else path, "rb") as f:
                    digest.update(f"{part}/{name}\0".encode() + f.read() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def fingerprint(
    db: sqlite3.Connection, until: dt.datetime, now: dt.datetime, held: str | None = None
) -> tuple[str, str] | None:
    """What the store holds before ``until``: ``(held, marks)``, where ``held`` stands for the activities
    and ``marks`` is a digest of the done marks before ``until``; ``None`` when it cannot be vouched for.

    The store only adds activities (with their sessions and sets, never changed after), so the count and
    the greatest id of all of them (``held``) name what was there: given the ``held`` of a kept answer, the
    activities are as they were before ``until`` when none was taken away (the count is the old count
    plus those added since) and none added since has a session starting before ``until``. Without
    ``held`` (keeping an answer), ``None`` also when an activity with a session before ``until`` had not
    ended an hour before ``now``: the rule, which ignores what is not over, saw less than the store holds.
    """
    before = iso(until)
    count, greatest = db.execute("SELECT count(*), coalesce(max(id), 0) FROM activities").fetchone()
    if held is None:
        going = db.execute(
            "SELECT 1 FROM sessions WHERE activity_id IN (SELECT activity_id FROM sessions WHERE start_utc < ?) "
            "AND julianday(start_utc) + coalesce(nullif(elapsed_s, 0), timer_s, 0) / 86400.0 > julianday(?) - 1 / 24.0"
            " LIMIT 1",
            (before, iso(now)),
        ).fetchone()
        if going is not None:
            return None
        held = f"{count} {greatest}"
    else:
        try:
            old_count, old_greatest = (int(n) for n in held.split())
        except ValueError:
            return None
        (added,) = db.execute("SELECT count(*) FROM activities WHERE id > ?", (old_greatest,)).fetchone()
        if count != old_count + added:
            return None
        late = db.execute(
            "SELECT 1 FROM sessions WHERE activity_id > ? AND start_utc < ? LIMIT 1", (old_greatest, before)
        ).fetchone()
        if late is not None:
            return None
    digest = hashlib.sha256()
    for at, key in db.execute("SELECT at_utc, item_key FROM done_marks WHERE at_utc < ? ORDER BY id", (before,)):
        digest.update(f"{at} {key}\n".encode())
    return held, digest.hexdigest()


def read(db: sqlite3.Connection, programme_id: str) -> tuple[dt.datetime, dt.datetime, str, str, str] | None:
    """The kept answer's ``(until, now, key, held, text)`` for a programme, in one reading, or ``None``."""
    row = db.execute(
        "SELECT until_utc, now_utc, key, held, body FROM kept_past WHERE programme = ?", (programme_id,)
    ).fetchone()
    if row is None:
        return None
    until, now = dt.datetime.fromisoformat(row[0]), dt.datetime.fromisoformat(row[1])
    return until, now, str(row[2]), str(row[3]), str(row[4])


def write(
    db: sqlite3.Connection, programme_id: str, until: dt.datetime, now: dt.datetime, key: str, held: str, text: str
) -> None:
    db.execute(
        "INSERT OR REPLACE INTO kept_past (programme, until_utc, now_utc, key, held, body) VALUES (?, ?, ?, ?, ?, ?)",
        (programme_id, iso(until), iso(now), key, held, text),
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


def encode(past: Past, programme: Programme, items: Sequence[DueItem]) -> str | None:
    """``past`` and its ``items`` (as saved) as text, or ``None`` when it names a session the programme
    does not hold."""
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
    worded = [
        [i.kind.value, i.key, _t(i.start_utc), _t(i.end_utc), i.title, i.detail, _t(i.updated_utc), i.sequence]
        for i in items
    ]
    last = [_t(items[-1].start_utc), items[-1].key] if items else None
    head = {"form": FORM, "cut": _t(past.cut), "until": _t(past.until), "now": _t(past.now), "missed": missed,
            "moved": moved, "runs": len(runs), "items": len(worded), "last": last}  # fmt: skip
    # three lines (JSON has no raw line break): the head, read at once; the runs and the items, read when
    # they are looked at; and first a check of all of it, since they are read long after it is
    body = "\n".join(json.dumps(part, separators=(",", ":")) for part in (head, runs, worded))
    return f"{zlib.crc32(body.encode()):08x} {body}"


def decode(text: str, programme: Programme) -> Kept | None:
    """What :func:`encode` wrote, for the same programme; ``None`` for any other text."""
    sessions = _sessions(programme)
    at, day = dt.datetime.fromisoformat, dt.date.fromisoformat
    states, ways, kinds = {s.value: s for s in State}, {d.value: d for d in DoneBy}, {k.value: k for k in DueKind}

    # a session by its place (a place the programme lacks is a KeyError: the text is not used)
    named: dict[int | None, Session | None] = {None: None, **dict(enumerate(sessions))}

    check, _, body = text.partition(" ")
    try:
        if int(check, 16) != zlib.crc32(body.encode()):
            return None  # damaged (or written by hand): the runs and items, made later, must be as written
        head_text, run_text, item_text = body.split("\n")
        head: Any = json.loads(head_text)
        if head.get("form") != FORM:
            return None

        def runs() -> list[RunStretch]:
            return [
                RunStretch(
                    r[0], at(r[1]), at(r[2]), r[3], r[4], r[5], r[6], r[7], named[r[8]],
                    None if r[9] is None else at(r[9]), states[r[10]], None if r[11] is None else at(r[11]),
                    None if r[12] is None else ways[r[12]], named[r[13]],
                )
                for r in json.loads(run_text)
            ]  # fmt: skip

        def items() -> list[DueItem]:
            return [
                DueItem(kinds[i[0]], str(i[1]), at(i[2]), at(i[3]), str(i[4]), str(i[5]), at(i[6]), int(i[7]))
                for i in json.loads(item_text)
            ]

        missed = tuple((day(m[0]), _required(named[m[1]])) for m in head["missed"])
        moved = tuple(Moved(day(m[0]), day(m[1]), _required(named[m[2]])) for m in head["moved"])
        last = (at(head["last"][0]), str(head["last"][1])) if head["last"] is not None else None
        past = Past(at(head["cut"]), at(head["until"]), at(head["now"]), Later(int(head["runs"]), runs), missed, moved)
        return Kept(past, Later(int(head["items"]), items), last)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _required(session: Session | None) -> Session:
    if session is None:
        raise ValueError("a planned day without its session")
    return session
