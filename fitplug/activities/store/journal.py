"""The runner's own records, kept twice: in the store and in a small journal beside it.

What exists nowhere else — ``fitplug done`` marks, sets logged by hand, when tracking started and
when each band changed (the ``meta`` table) — is also written, after every change to it, to
``NAME.journal`` next to the store (JSON, atomically, owner-only). A store damaged past reading
(its header gone, truncated, zeroed) is rebuilt from the sources with these put back
(:mod:`.rebuild`); the journal's presence also says the damaged file was a fitplug store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fitplug.activities.read import sane
from fitplug.activities.read.sane import from_iso
from fitplug.activities.store import logs
from fitplug.atomic import write_atomic
from fitplug.errors import OutputError
from fitplug.model import LoggedSets

SCHEMA = "fitplug.journal/1"
#: a journal is a few kilobytes; anything much larger beside the store is not one
MAX_JOURNAL_BYTES = 16 * 1024 * 1024

_F = TypeVar("_F", bound=Callable[..., Any])


def journal_path(store: Path) -> Path:
    return store.with_name(store.name + ".journal")


@dataclass
class Journal:
    """What a journal holds: ``(at_utc, item_key, created_utc text)`` marks, logged sets, meta."""

    marks: list[tuple[dt.datetime, str | None, str]] = field(default_factory=list)
    logged: list[LoggedSets] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


def save(store: Path, db: sqlite3.Connection) -> None:
    """Write the journal of the store at ``store`` from its connection ``db`` (after a change to it)."""
    marks = [
        {"at_utc": r[0], "item_key": r[1], "created_utc": r[2]}
        for r in db.execute("SELECT at_utc, item_key, created_utc FROM done_marks ORDER BY id")
    ]
    logged = [
        {"day": e.day.isoformat(), "exercise": e.exercise, "reps": list(e.reps), "pain": e.pain,
         "logged_utc": e.logged_utc.isoformat()}
        for e in logs.read(db)
    ]  # fmt: skip
    meta = {str(r[0]): str(r[1]) for r in db.execute("SELECT name, value FROM meta ORDER BY name")}
    doc = {"schema": SCHEMA, "done_marks": marks, "logged_sets": logged, "meta": meta}
    with contextlib.suppress(OutputError):  # the store holds it all; a journal that cannot be written waits
        write_atomic(journal_path(store), json.dumps(doc, indent=1).encode("utf-8"), private=True)


def journaled(method: _F) -> _F:
    """A store method that changes what the journal holds: the journal is written again after it."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = method(self, *args, **kwargs)
        if not self.read_only:
            save(self.path, self._db)
        return out

    return wrapper  # type: ignore[return-value]


def load(store: Path) -> Journal | None:
    """The journal beside ``store``, every entry checked (one that does not read is left out);
    ``None`` when there is none, or it is not one."""
    path = journal_path(store)
    try:
        if path.stat().st_size > MAX_JOURNAL_BYTES:
            return None
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        return None
    out = Journal()
    for m in doc.get("done_marks") or []:
        at = sane.time(from_iso(m.get("at_utc"))) if isinstance(m, dict) else None
        if at is not None:
            key, created = m.get("item_key"), m.get("created_utc")
            out.marks.append((at, key if isinstance(key, str) else None, created if isinstance(created, str) else ""))
    for e in doc.get("logged_sets") or []:
        entry = _logged(e)
        if entry is not None:
            out.logged.append(entry)
    meta = doc.get("meta")
    if isinstance(meta, dict):
        out.meta = {k: v for k, v in meta.items() if isinstance(k, str) and isinstance(v, str)}
    return out


def _logged(e: object) -> LoggedSets | None:
    if not isinstance(e, dict):
        return None
    try:
        day = dt.date.fromisoformat(str(e.get("day")))
    except ValueError:
        return None
    at = sane.time(from_iso(e.get("logged_utc")))
    reps = e.get("reps")
    exercise = e.get("exercise")
    if (
        at is None
        or not isinstance(exercise, str)
        or not isinstance(reps, list)
        or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= logs.MAX_LOGGED_REPS for n in reps)
        or len(reps) > logs.MAX_LOGGED_SETS
        or not isinstance(e.get("pain"), bool)
    ):
        return None
    return LoggedSets(day, exercise, tuple(reps), bool(e["pain"]), at)
