"""The store's schema: named migrations, applied in order, append only.

:class:`~fitplug.activities.store.Store` applies the ones a file lacks in one
transaction and records their names in ``_migrations``, as sqlite-utils does;
``PRAGMA user_version`` holds how many have been applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from fitplug.errors import StoreError

#: ``PRAGMA application_id``: "fitp"
APPLICATION_ID = 0x66697470


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run ``script`` statement by statement inside the open transaction.

    ``executescript`` would COMMIT first, and a half-applied migration must not happen.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        db.execute(statement)


def _m0001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE files (
            key TEXT PRIMARY KEY,           -- absolute path, or archive.zip!member
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT,
            status TEXT NOT NULL,           -- new | duplicate | other | error
            file_type TEXT,
            reason TEXT,
            error_offset INTEGER,
            activity_id INTEGER REFERENCES activities(id),
            seen_utc TEXT NOT NULL
        );
        CREATE TABLE containers (
            key TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            done_utc TEXT NOT NULL
        );
        CREATE TABLE activities (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            file_type TEXT NOT NULL,
            manufacturer TEXT,
            product TEXT,
            serial_number INTEGER,
            time_created TEXT,
            workout_name TEXT,
            first_key TEXT NOT NULL,
            added_utc TEXT NOT NULL
        );
        CREATE UNIQUE INDEX activities_identity ON activities (manufacturer, serial_number, time_created)
            WHERE serial_number IS NOT NULL AND time_created IS NOT NULL;
        CREATE TABLE sessions (
            activity_id INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            sport TEXT NOT NULL,
            sub_sport TEXT,
            start_utc TEXT NOT NULL,
            utc_offset_s INTEGER,
            elapsed_s REAL,
            timer_s REAL,
            distance_m REAL,
            avg_hr INTEGER,
            PRIMARY KEY (activity_id, idx)
        );
        CREATE INDEX sessions_start ON sessions (start_utc);
        CREATE TABLE sets (
            activity_id INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            start_utc TEXT,
            set_type TEXT NOT NULL,
            repetitions INTEGER,
            weight_kg REAL,
            category TEXT,
            exercise_name INTEGER,
            duration_s REAL,
            wkt_step_index INTEGER,
            PRIMARY KEY (activity_id, idx)
        );
        CREATE TABLE done_marks (
            id INTEGER PRIMARY KEY,
            at_utc TEXT NOT NULL,
            item_key TEXT,
            created_utc TEXT NOT NULL
        );
        CREATE TABLE due_items (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            title TEXT NOT NULL,
            detail TEXT NOT NULL,
            digest TEXT NOT NULL,
            updated_utc TEXT NOT NULL,
            sequence INTEGER NOT NULL
        );
        CREATE TABLE meta (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )


def _m0002_activity_start(db: sqlite3.Connection) -> None:
    """``activities.start_utc``, the first session's start, indexed: loads only recent activities."""
    _run_script(
        db,
        """
        ALTER TABLE activities ADD COLUMN start_utc TEXT;
        UPDATE activities SET start_utc = (
            SELECT s.start_utc FROM sessions s WHERE s.activity_id = activities.id ORDER BY s.idx LIMIT 1
        );
        CREATE INDEX activities_start ON activities (start_utc);
        CREATE INDEX sets_category ON sets (category, activity_id);
        """,
    )


def _m0003_logged_sets(db: sqlite3.Connection) -> None:
    """``logged_sets``: what the runner recorded by hand (`fitplug log`), one row a local day and exercise."""
    _run_script(
        db,
        """
        CREATE TABLE logged_sets (
            day TEXT NOT NULL,
            exercise TEXT NOT NULL,
            reps TEXT NOT NULL,
            pain INTEGER NOT NULL,
            logged_utc TEXT NOT NULL,
            PRIMARY KEY (day, exercise)
        );
        """,
    )


def _m0004_kept_past(db: sqlite3.Connection) -> None:
    """``kept_past``: the due rule's settled answer, one row a programme (:mod:`.kept`); a cache of the rest."""
    _run_script(
        db,
        """
        CREATE TABLE kept_past (
            programme TEXT PRIMARY KEY,
            until_utc TEXT NOT NULL,
            now_utc TEXT NOT NULL,
            key TEXT NOT NULL,
            held TEXT NOT NULL,
            body TEXT NOT NULL
        );
        """,
    )


#: every migration, in order; append only, never edit one that has shipped
MIGRATIONS: tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...] = (
    ("0001_initial", _m0001_initial),
    ("0002_activity_start", _m0002_activity_start),
    ("0003_logged_sets", _m0003_logged_sets),
    ("0004_kept_past", _m0004_kept_past),
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite3.Connection, path: Path, *, new_ok: bool = True, locked: bool = False) -> int:
    """The schema version of a store this fitplug can use; :class:`StoreError` why it cannot.

    ``new_ok``: a file with no application id yet is a store about to be created
    (a query wants an existing store: ``False``). Unlocked, each pragma reads its
    own moment (a store another fitplug is creating could look foreign), so the
    foreign-tables check waits for the write lock (``locked``).
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    if app_id not in ((0, APPLICATION_ID) if new_ok else (APPLICATION_ID,)):
        raise StoreError(f"{path}: this SQLite file is not a fitplug store")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: written by a newer fitplug (schema {version}; this one knows "
            f"{SCHEMA_VERSION}); upgrade fitplug or use another --db"
        )
    foreign = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
    if locked and version == 0 and app_id == 0 and db.execute(foreign).fetchone()[0]:
        raise StoreError(f"{path}: this SQLite file is not a fitplug store")
    return version
