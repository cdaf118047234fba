"""fitplug's state: one SQLite file (WAL), a versioned schema, one transaction per file.

Tables: ``files`` (every file seen: its size, mtime and what became of it),
``containers`` (zips read to the end), ``activities`` with their ``sessions``
and ``sets``, ``done_marks`` (``fitplug done``), ``due_items`` (what the feed
showed, with its sequence) and ``meta``. Migrations are named, applied in
order and recorded in ``_migrations``, as sqlite-utils does; ``PRAGMA
user_version`` holds how many have been applied.

A sync killed at any point loses at most the files it had not committed yet
(one batch of a few dozen): files are committed in small batches, and a file
is marked seen in the same transaction that stores what was read from it, so
the next sync reads exactly those again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Self

from fitplug.activities.outcome import FileError
from fitplug.errors import StoreError
from fitplug.model import ActivitySession, ActivitySummary, DoneMark, DueItem, DueKind, SetRecord

_UTC = dt.UTC
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
        """
    )


#: every migration, in order; append only, never edit one that has shipped
MIGRATIONS: tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...] = (
    ("0001_initial", _m0001_initial),
)
SCHEMA_VERSION = len(MIGRATIONS)


def iso(value: dt.datetime | None) -> str | None:
    """An aware datetime as UTC ISO 8601 text (sorts as it should)."""
    if value is None:
        return None
    return value.astimezone(_UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    return dt.datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class FileState:
    """What the store knows about one file."""

    key: str
    size: int
    mtime_ns: int
    #: ``new`` (stored an activity), ``duplicate``, ``other`` (not an activity), ``error``
    status: str
    file_type: str | None
    reason: str | None
    activity_id: int | None


@dataclass(frozen=True, slots=True)
class StoredActivity:
    """An activity as the store holds it."""

    id: int
    #: the file it was first read from
    key: str
    added_utc: dt.datetime
    summary: ActivitySummary


class Store:
    """The SQLite store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path | str, *, timeout_s: float = 10.0, read_only: bool = False) -> None:
        """Open (and create or upgrade) the store at ``path``.

        ``read_only``: open an existing store for queries; nothing is created,
        upgraded or written, and the folder is left as it was.
        """
        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                # mode=rw, not ro: a read-only connection leaves its -wal and -shm files
                # behind; this one removes them on close. query_only refuses any write.
                uri = f"{self.path.absolute().as_uri()}?mode=rw"
                self._db = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            if read_only:
                self._db.execute("PRAGMA query_only = ON")
                self._check_version()
                return
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a killed process loses nothing committed; only
            # a power cut can lose the last transactions, never consistency.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{self.path}: not a usable fitplug store: {exc}") from exc
        except StoreError:
            self._db.close()
            raise

    # --- housekeeping ---------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: {exc} (is another fitplug running?)") from exc
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"{self.path}: could not commit: {exc}") from exc

    @classmethod
    def for_reading(cls, path: Path | str) -> Store | None:
        """The store at ``path`` opened read-only, or ``None`` when there is none yet."""
        if not Path(path).is_file():
            return None
        return cls(path, read_only=True)

    def _check_version(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise StoreError(f"{self.path}: this SQLite file is not a fitplug store")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer fitplug (schema {version}; this one knows "
                f"{SCHEMA_VERSION}); upgrade fitplug or use another --db"
            )
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema {version}, this fitplug knows {SCHEMA_VERSION}; "
                "run `fitplug sync` to upgrade it (or use another --db)"
            )

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(f"{self.path}: this SQLite file is not a fitplug store")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by a newer fitplug (schema {version}; this one knows "
                f"{SCHEMA_VERSION}); upgrade fitplug or use another --db"
            )
        if version == SCHEMA_VERSION:
            return
        if version == 0 and app_id == 0:
            tables = self._db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            if tables:
                raise StoreError(f"{self.path}: this SQLite file is not a fitplug store")
        with self._tx() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_utc TEXT NOT NULL)"
            )
            now = iso(dt.datetime.now(_UTC))
            for name, apply in MIGRATIONS[version:]:
                apply(db)
                db.execute("INSERT INTO _migrations (name, applied_utc) VALUES (?, ?)", (name, now))
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def migrations(self) -> list[str]:
        """Names of the migrations applied, in order."""
        return [r[0] for r in self._db.execute("SELECT name FROM _migrations ORDER BY rowid")]

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # --- files ------------------------------------------------------------------

    def file_state(self, key: str) -> FileState | None:
        row = self._db.execute(
            "SELECT key, size, mtime_ns, status, file_type, reason, activity_id FROM files WHERE key = ?",
            (key,),
        ).fetchone()
        return FileState(*row) if row else None

    def is_unchanged(self, key: str, size: int, mtime_ns: int) -> bool:
        """True when ``key`` was handled before with this size and mtime (good or bad)."""
        row = self._db.execute("SELECT size, mtime_ns FROM files WHERE key = ?", (key,)).fetchone()
        return row is not None and row[0] == size and row[1] == mtime_ns

    def file_index(self) -> dict[str, tuple[int, int, bool]]:
        """Every file the store knows: ``key -> (size, mtime_ns, is_error)``, in one query.

        A sync looks each file up here instead of asking SQLite once a file.
        """
        return {
            r[0]: (r[1], r[2], r[3] == "error")
            for r in self._db.execute("SELECT key, size, mtime_ns, status FROM files")
        }

    def record_batch(
        self, outcomes: Sequence[tuple[str, int, int, ActivitySummary | FileError]], now: dt.datetime
    ) -> list[FileState]:
        """Store several files' outcomes in one transaction, in order; their new states.

        A sync hands over a few dozen files at a time: all of them are kept, or
        (killed before the commit) none, and the next sync reads those again.
        """
        states: list[FileState] = []
        with self._tx() as db:
            for key, size, mtime_ns, outcome in outcomes:
                if isinstance(outcome, FileError):
                    self._put_file(db, key, size, mtime_ns, outcome.sha256, "error", None, outcome.reason,
                                   outcome.offset, None, now)  # fmt: skip
                    states.append(FileState(key, size, mtime_ns, "error", None, outcome.reason, None))
                else:
                    states.append(self._record(db, key, size, mtime_ns, outcome, now))
        return states

    def container_done(self, key: str, size: int, mtime_ns: int) -> bool:
        row = self._db.execute("SELECT size, mtime_ns FROM containers WHERE key = ?", (key,)).fetchone()
        return row is not None and row[0] == size and row[1] == mtime_ns

    def mark_container(self, key: str, size: int, mtime_ns: int, now: dt.datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO containers (key, size, mtime_ns, done_utc) VALUES (?, ?, ?, ?)",
                (key, size, mtime_ns, iso(now)),
            )

    def record_error(
        self, key: str, size: int, mtime_ns: int, reason: str, offset: int | None, now: dt.datetime,
        sha256: str | None = None,
    ) -> None:
        """Remember that ``key`` is unreadable, so it is not retried until it changes."""
        with self._tx() as db:
            self._put_file(db, key, size, mtime_ns, sha256, "error", None, reason, offset, None, now)

    def record(self, key: str, size: int, mtime_ns: int, summary: ActivitySummary, now: dt.datetime) -> FileState:
        """Store what was read from ``key``, in one transaction; returns the file's new state.

        A non-activity file is remembered as ``other``; an activity already held
        (same bytes, or same manufacturer + serial + time_created) as ``duplicate``.
        """
        with self._tx() as db:
            return self._record(db, key, size, mtime_ns, summary, now)

    def _record(
        self, db: sqlite3.Connection, key: str, size: int, mtime_ns: int, summary: ActivitySummary,
        now: dt.datetime,
    ) -> FileState:
        activity_id: int | None = None
        if summary.file_type != "activity":
            status = "other"
        else:
            activity_id = self._find_activity(db, summary)
            if activity_id is not None:
                status = "duplicate"
            else:
                status = "new"
                activity_id = self._insert_activity(db, key, summary, now)
        self._put_file(db, key, size, mtime_ns, summary.sha256, status, summary.file_type, None, None, activity_id, now)
        return FileState(key, size, mtime_ns, status, summary.file_type, None, activity_id)

    @staticmethod
    def _put_file(
        db: sqlite3.Connection, key: str, size: int, mtime_ns: int, sha256: str | None, status: str,
        file_type: str | None, reason: str | None, offset: int | None, activity_id: int | None, now: dt.datetime,
    ) -> None:
        db.execute(
            """INSERT OR REPLACE INTO files
               (key, size, mtime_ns, sha256, status, file_type, reason, error_offset, activity_id, seen_utc)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (key, size, mtime_ns, sha256, status, file_type, reason, offset, activity_id, iso(now)),
        )

    @staticmethod
    def _find_activity(db: sqlite3.Connection, s: ActivitySummary) -> int | None:
        row = db.execute("SELECT id FROM activities WHERE sha256 = ?", (s.sha256,)).fetchone()
        if row is None and s.serial_number is not None and s.time_created is not None:
            row = db.execute(
                "SELECT id FROM activities WHERE manufacturer IS ? AND serial_number = ? AND time_created = ?",
                (s.manufacturer, s.serial_number, iso(s.time_created)),
            ).fetchone()
        return int(row[0]) if row else None

    @staticmethod
    def _insert_activity(db: sqlite3.Connection, key: str, s: ActivitySummary, now: dt.datetime) -> int:
        cur = db.execute(
            """INSERT INTO activities (sha256, file_type, manufacturer, product, serial_number,
               time_created, workout_name, first_key, added_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (s.sha256, s.file_type, s.manufacturer, s.product, s.serial_number, iso(s.time_created),
             s.workout_name, key, iso(now)),
        )
        activity_id = int(cur.lastrowid or 0)
        db.executemany(
            """INSERT INTO sessions (activity_id, idx, sport, sub_sport, start_utc, utc_offset_s,
               elapsed_s, timer_s, distance_m, avg_hr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (activity_id, i, x.sport, x.sub_sport, iso(x.start_utc), x.utc_offset_s, x.elapsed_s,
                 x.timer_s, x.distance_m, x.avg_hr)
                for i, x in enumerate(s.sessions)
            ],
        )
        db.executemany(
            """INSERT INTO sets (activity_id, idx, start_utc, set_type, repetitions, weight_kg, category,
               exercise_name, duration_s, wkt_step_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (activity_id, i, iso(x.start_utc), x.set_type, x.repetitions, x.weight_kg, x.category,
                 x.exercise_name, x.duration_s, x.wkt_step_index)
                for i, x in enumerate(s.sets)
            ],
        )
        return activity_id

    def errors(self) -> list[FileState]:
        """Every file remembered as unreadable, by key."""
        rows = self._db.execute(
            "SELECT key, size, mtime_ns, status, file_type, reason, activity_id FROM files "
            "WHERE status = 'error' ORDER BY key"
        ).fetchall()
        return [FileState(*r) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many files the store remembers, by status."""
        return {r[0]: r[1] for r in self._db.execute("SELECT status, count(*) FROM files GROUP BY status")}

    # --- activities -------------------------------------------------------------

    def activities(self) -> list[StoredActivity]:
        """Every activity held, in order of start (the first session's), then id."""
        sessions: dict[int, list[ActivitySession]] = {}
        for r in self._db.execute(
            "SELECT activity_id, sport, sub_sport, start_utc, utc_offset_s, elapsed_s, timer_s, distance_m, "
            "avg_hr FROM sessions ORDER BY activity_id, idx"
        ):
            sessions.setdefault(r[0], []).append(
                ActivitySession(r[1], r[2], from_iso(r[3]) or _epoch(), r[4], r[5], r[6], r[7], r[8])
            )
        sets: dict[int, list[SetRecord]] = {}
        for r in self._db.execute(
            "SELECT activity_id, start_utc, set_type, repetitions, weight_kg, category, exercise_name, "
            "duration_s, wkt_step_index FROM sets ORDER BY activity_id, idx"
        ):
            sets.setdefault(r[0], []).append(SetRecord(from_iso(r[1]), *r[2:]))
        out: list[StoredActivity] = []
        for r in self._db.execute(
            "SELECT id, sha256, file_type, manufacturer, product, serial_number, time_created, workout_name, "
            "first_key, added_utc FROM activities"
        ):
            summary = ActivitySummary(
                sha256=r[1], file_type=r[2], manufacturer=r[3], product=r[4], serial_number=r[5],
                time_created=from_iso(r[6]), sessions=tuple(sessions.get(r[0], ())),
                workout_name=r[7], sets=tuple(sets.get(r[0], ())),
            )
            out.append(StoredActivity(r[0], r[8], from_iso(r[9]) or _epoch(), summary))
        out.sort(key=lambda a: (a.summary.sessions[0].start_utc if a.summary.sessions else _epoch(), a.id))
        return out

    def history(self) -> list[ActivitySummary]:
        """Every activity's summary, in order of start: the due rule's input."""
        return [a.summary for a in self.activities()]

    # --- done marks ---------------------------------------------------------------

    def add_done(self, at_utc: dt.datetime, now: dt.datetime, item_key: str | None = None) -> DoneMark:
        with self._tx() as db:
            db.execute(
                "INSERT INTO done_marks (at_utc, item_key, created_utc) VALUES (?, ?, ?)",
                (iso(at_utc), item_key, iso(now)),
            )
        return DoneMark(at_utc.astimezone(_UTC).replace(microsecond=0), item_key)

    def done_marks(self) -> list[DoneMark]:
        return [
            DoneMark(from_iso(r[0]) or _epoch(), r[1])
            for r in self._db.execute("SELECT at_utc, item_key FROM done_marks ORDER BY at_utc, id")
        ]

    # --- due items (the feed's memory) --------------------------------------------

    def save_due(self, items: Sequence[DueItem], now: dt.datetime) -> list[DueItem]:
        """Remember ``items``; each comes back with ``updated_utc`` and ``sequence`` set.

        An item keeps its sequence while it stays the same, and gets the next
        one, with ``updated_utc = now``, whenever its kind, times or text change.
        """
        if self.read_only:
            return self.preview_due(items, now)
        out: list[DueItem] = []
        with self._tx() as db:
            for item in items:
                digest = _digest(item)
                kept = self._kept_due(item, digest)
                if kept is not None:
                    out.append(kept)
                    continue
                updated, sequence = self._next_due(item, now)
                db.execute(
                    """INSERT OR REPLACE INTO due_items (key, kind, start_utc, end_utc, title, detail,
                       digest, updated_utc, sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (item.key, item.kind.value, iso(item.start_utc), iso(item.end_utc), item.title,
                     item.detail, digest, iso(updated), sequence),
                )
                out.append(replace(item, updated_utc=updated.astimezone(_UTC).replace(microsecond=0), sequence=sequence))
        return out

    def preview_due(self, items: Sequence[DueItem], now: dt.datetime) -> list[DueItem]:
        """What :meth:`save_due` would return, writing nothing (for queries)."""
        out: list[DueItem] = []
        for item in items:
            kept = self._kept_due(item, _digest(item))
            if kept is None:
                updated, sequence = self._next_due(item, now)
                kept = replace(item, updated_utc=updated.astimezone(_UTC).replace(microsecond=0), sequence=sequence)
            out.append(kept)
        return out

    def _kept_due(self, item: DueItem, digest: str) -> DueItem | None:
        """``item`` as saved, when it is saved unchanged; else ``None``."""
        row = self._db.execute(
            "SELECT digest, updated_utc, sequence FROM due_items WHERE key = ?", (item.key,)
        ).fetchone()
        if row is None or row[0] != digest:
            return None
        return replace(item, updated_utc=from_iso(row[1]), sequence=int(row[2]))

    def _next_due(self, item: DueItem, now: dt.datetime) -> tuple[dt.datetime, int]:
        row = self._db.execute("SELECT sequence FROM due_items WHERE key = ?", (item.key,)).fetchone()
        return now, 0 if row is None else int(row[0]) + 1

    def saved_due(self) -> list[DueItem]:
        """Every item the store remembers, as last saved."""
        return [
            DueItem(DueKind(r[0]), r[1], from_iso(r[2]) or _epoch(), from_iso(r[3]) or _epoch(), r[4], r[5],
                    from_iso(r[6]), r[7])
            for r in self._db.execute(
                "SELECT kind, key, start_utc, end_utc, title, detail, updated_utc, sequence FROM due_items "
                "ORDER BY start_utc, key"
            )
        ]

    # --- meta -----------------------------------------------------------------------

    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, name: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL for tests and diagnostics."""
        return list(self._db.execute(sql, params))


@contextlib.contextmanager
def reading(path: Path | None) -> Iterator[Store | None]:
    """``with reading(path) as store``: the store opened read-only, or ``None`` when there is none."""
    store = Store.for_reading(path) if path is not None else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def _epoch() -> dt.datetime:
    return dt.datetime(1989, 12, 31, tzinfo=_UTC)


def _digest(item: DueItem) -> str:
    text = "\x1f".join(
        [item.kind.value, iso(item.start_utc) or "", iso(item.end_utc) or "", item.title, item.detail]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
