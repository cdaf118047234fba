"""Rebuilding a damaged store: the damaged file kept aside, a fresh one with the runner's done marks and logs.

`fitplug sync` calls :func:`rebuild` when the store it opens is damaged, then
reads every source into the fresh store as on a first sync.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from fitplug.activities.read import sane
from fitplug.activities.read.sane import from_iso
from fitplug.activities.store import journal, logs
from fitplug.activities.store.rows import iso
from fitplug.activities.store.store import Store
from fitplug.errors import StoreError, printable
from fitplug.model import LoggedSets
from fitplug.times import UTC

__all__ = ["Rebuilt", "rebuild"]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


#: what :func:`rebuild` did: where the damaged file went, how many done marks were kept
@dataclass(frozen=True, slots=True)
class Rebuilt:
    damaged: Path
    marks_kept: int
    marks_lost: bool
    #: how many days of sets logged by hand (`fitplug log`) were kept
    logs_kept: int = 0


def rebuild(path: Path, now: dt.datetime) -> Rebuilt:
    """Move a damaged store aside and make a fresh one at ``path``, with the done marks still readable.

    The activities need not be saved: they are read again from the sources
    (the sync that calls this goes on to read them). The runner's own
    ``fitplug done`` marks exist nowhere else, so every one that can be read
    is copied; the damaged file (and its -wal/-shm) stays beside the new one
    as ``NAME.damaged-YYYYMMDDTHHMMSSZ``.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise StoreError(f"{printable(str(path))}: cannot read the damaged store: {exc.strerror or exc}") from exc
    kept = journal.load(path)
    if head[:16] and head[:16] != b"SQLite format 3\x00" and kept is None and not _sqlite_header_tail(head):
        # not SQLite's header, no journal of fitplug's beside it: perhaps no store at all (a --db naming another file)
        raise StoreError(
            f"{printable(str(path))} is not a SQLite file; fitplug leaves it as it is: move it "
            "away, or give another --db, and sync again"
        )
    marks, lost = _salvage_marks(path)
    logged, logs_lost = _salvage_logs(path)
    meta = _salvage_meta(path)
    if kept is not None:  # what the journal holds and the damaged file no longer gives up
        have = {(at, key) for at, key, _ in marks}
        marks += [m for m in kept.marks if (m[0], m[1]) not in have]
        marks.sort(key=lambda m: m[0])
        days = {(e.day, e.exercise) for e in logged}
        logged += [e for e in kept.logged if (e.day, e.exercise) not in days]
        meta = {**kept.meta, **meta}
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            try:
                os.replace(src, f"{damaged}{suffix}")
            except OSError as exc:
                raise StoreError(
                    f"{printable(str(path))}: cannot move the damaged store aside: "
                    f"{'the disk is full' if exc.errno == errno.ENOSPC else exc.strerror}"
                ) from exc
    with Store(path) as fresh:
        fresh.restore_done_marks(marks)
        for entry in logged:
            fresh.set_log(entry, entry.day, entry.exercise)
        for name, value in meta.items():  # when tracking started, when each band changed
            fresh.set_meta(name, value)
    # with the journal, nothing the damaged file could not give up is lost
    return Rebuilt(damaged, len(marks), (lost or logs_lost) and kept is None, len(logged))


def _sqlite_header_tail(head: bytes) -> bool:
    """The 100-byte header's fields after its first 16 bytes are SQLite's (page size, versions, the fixed
    payload fractions 64/32/32): a store whose magic string alone was damaged."""
    if len(head) < 24:
        return False
    page = int.from_bytes(head[16:18], "big")
    return (
        (page == 1 or (512 <= page <= 32768 and page & (page - 1) == 0))
        and head[18] in (1, 2)
        and (head[19] in (1, 2) and head[21:24] == b"\x40\x20\x20")
    )


def _salvage_meta(path: Path) -> dict[str, str]:
    """The ``meta`` rows of a damaged store that can still be read (when tracking started, the bands)."""
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error:
        return {}
    try:
        return {str(n): str(v) for n, v in db.execute("SELECT name, value FROM meta") if isinstance(n, str)}
    except (sqlite3.Error, UnicodeDecodeError):
        return {}
    finally:
        db.close()


def _salvage_logs(path: Path) -> tuple[list[LoggedSets], bool]:
    """The sets logged by hand in a damaged store that can still be read; and whether some could not be."""
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error:
        return [], True
    try:
        return logs.read(db), False
    except (sqlite3.Error, UnicodeDecodeError) as exc:  # no such table (a store before `fitplug log`), damage
        return [], "no such table" not in str(exc)
    finally:
        db.close()


def _salvage_marks(path: Path) -> tuple[list[tuple[dt.datetime, str | None, str]], bool]:
    """The done marks of a damaged store that can still be read; and whether some could not be."""
    marks: list[tuple[dt.datetime, str | None, str]] = []
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error:
        return marks, True
    lost = False
    try:
        last = 0
        while True:  # row by row: a damaged page loses its rows, not the ones after it
            try:
                row = db.execute(
                    "SELECT id, at_utc, item_key, created_utc FROM done_marks WHERE id > ? ORDER BY id LIMIT 1",
                    (last,),
                ).fetchone()
            except (sqlite3.Error, UnicodeDecodeError):
                lost = True
                break
            if row is None:
                break
            last = row[0]
            at = sane.time(from_iso(row[1]))
            if at is None:
                lost = True
                continue
            marks.append((at, _text(row[2]), _text(row[3]) or iso(at) or ""))
    finally:
        db.close()
    return marks, lost
