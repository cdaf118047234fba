"""Killing a real ``python -m fitplug`` and comparing what the store holds afterwards.

The moment of the SIGKILL is chosen without a hook in fitplug itself:
:func:`run_with_killpoint` runs the CLI under ``tests/killpoint.py``, which
wraps ``sqlite3.connect`` so that the process SIGKILLs itself right before or
after the n-th SQL statement matching a pattern: inside an open transaction,
or just before its COMMIT. (Polling the store from the test loses the race
against a sync that takes a second.)
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT

NOW_ARG = "2026-11-22T09:30:00+00:00"
KILLPOINT = Path(__file__).resolve().parent / "killpoint.py"

#: every table and the columns that say what it holds (no rowids: they are bookkeeping)
_TABLES = {
    "files": "SELECT key, size, mtime_ns, sha256, status, file_type, reason, error_offset, "
             "(SELECT sha256 FROM activities a WHERE a.id = files.activity_id), seen_utc FROM files",
    "containers": "SELECT key, size, mtime_ns, done_utc FROM containers",
    "activities": "SELECT sha256, file_type, manufacturer, product, serial_number, time_created, workout_name, "
                  "first_key, added_utc FROM activities",
    "sessions": "SELECT a.sha256, s.idx, s.sport, s.sub_sport, s.start_utc, s.utc_offset_s, s.elapsed_s, "
                "s.timer_s, s.distance_m, s.avg_hr FROM sessions s JOIN activities a ON a.id = s.activity_id",
    "sets": "SELECT a.sha256, s.idx, s.start_utc, s.set_type, s.repetitions, s.weight_kg, s.category, "
            "s.exercise_name, s.duration_s, s.wkt_step_index FROM sets s JOIN activities a ON a.id = s.activity_id",
    "done_marks": "SELECT at_utc, item_key, created_utc FROM done_marks",
    "due_items": "SELECT key, kind, start_utc, end_utc, title, detail, digest, updated_utc, sequence FROM due_items",
    "meta": "SELECT name, value FROM meta",
}  # fmt: skip


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's content, sorted, for comparing two stores."""
    with sqlite3.connect(db) as c:
        return {name: sorted(c.execute(sql), key=repr) for name, sql in _TABLES.items()}


def integrity(db: Path) -> str:
    """``PRAGMA integrity_check`` and ``foreign_key_check``, as SQLite says them."""
    with sqlite3.connect(db) as c:
        check = c.execute("PRAGMA integrity_check").fetchone()[0]
        orphans = c.execute("PRAGMA foreign_key_check").fetchall()
    return check if not orphans else f"{check}; orphans: {orphans}"


def fitplug_cmd(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "fitplug", "--db", str(db), "--now", NOW_ARG, *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``fitplug`` to the end."""
    return subprocess.run(fitplug_cmd(db, *args), env=env(), capture_output=True, text=True, timeout=300, check=False)


def count_rows(db: Path, table: str) -> int:
    """Rows in ``table``, read-only; 0 while the store does not exist yet."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as c:
            return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def start_with_killpoint(db: Path, when: str, pattern: str, nth: int, *args: str) -> subprocess.Popen[str]:
    """Start ``fitplug`` under the killpoint (``when``: before/after/stop), in a session of its own."""
    cmd = [sys.executable, str(KILLPOINT), when, pattern, str(nth), "--", *fitplug_cmd(db, *args)[3:]]
    return subprocess.Popen(
        cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def run_with_killpoint(db: Path, when: str, pattern: str, nth: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``fitplug`` so that it SIGKILLs itself ``when`` (before/after) the ``nth`` statement matching ``pattern``."""
    cmd = [sys.executable, str(KILLPOINT), when, pattern, str(nth), "--", *fitplug_cmd(db, *args)[3:]]
    return subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=300, check=False)
