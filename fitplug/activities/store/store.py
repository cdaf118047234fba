"""fitplug's state: one SQLite file (WAL), a versioned schema, one transaction per file.

Tables: ``files`` (every file seen: its size, mtime and what became of it),
``containers`` (zips read to the end), ``activities`` with their ``sessions``
and ``sets``, ``done_marks`` (``fitplug done``), ``logged_sets`` (``fitplug log``),
``due_items`` (what the feed showed, with its sequence) and ``meta``; their migrations are in
:mod:`fitplug.activities.store.migrations`. Rows are read by column name.

A sync killed at any point loses at most the files it had not committed yet
(one batch of a few dozen): files are committed in small batches, and a file
is marked seen in the same transaction that stores what was read from it, so
the next sync reads exactly those again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, Self

from fitplug.activities.read import sane
from fitplug.activities.read.outcome import FileError
from fitplug.activities.read.sane import from_iso
from fitplug.activities.store import kept, logs
from fitplug.activities.store.journal import journaled
from fitplug.activities.store.migrations import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, schema_version
from fitplug.activities.store.rows import (
    FileState,
    FileStatus,
    activity_of,
    insert_activity,
    iso,
    preview_due,
    save_due,
    session_of,
    set_of,
    summary_of,
    text,
)
from fitplug.activities.store.sqlfile import (
    StoreDamaged,
    connect_for_reading,
    create_private,
    db_key,
    failed,
    guarded,
    is_damage,
    key_of,
    wal,
)
from fitplug.atomic import private_folder
from fitplug.errors import OutputError, StoreError, printable
from fitplug.model import (
    ActivitySession,
    ActivitySummary,
    DoneMark,
    DueItem,
    LoggedSets,
    SetRecord,
    StoredActivity,
)
from fitplug.times import FIT_EPOCH, UTC


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
                self._db = connect_for_reading(self.path, timeout_s)
            else:
                private_folder(self.path.parent)
                create_private(self.path)
                self._db = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            if is_damage(exc):
                raise StoreDamaged(self.path, exc) from exc
            raise StoreError(f"{printable(str(self.path))}: cannot open the store: {exc}") from exc
        except UnicodeDecodeError as exc:  # its schema, damaged, read as text
            raise StoreDamaged(self.path, sqlite3.DatabaseError(f"malformed schema ({exc.reason})")) from exc
        except (OSError, OutputError) as exc:
            raise StoreError(f"{printable(str(self.path))}: cannot open the store: {exc}") from exc
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            if read_only:
                self._db.execute("PRAGMA query_only = ON")
                if schema_version(self._db, self.path, new_ok=False) < SCHEMA_VERSION:
                    self._upgrade_in_memory()
                return
            wal(self._db, timeout_s)
            # NORMAL in WAL mode: a killed process loses nothing committed; only
            # a power cut can lose the last transactions, never consistency.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            self._db.close()
            if isinstance(exc, UnicodeDecodeError):
                raise StoreDamaged(self.path, sqlite3.DatabaseError(f"malformed schema ({exc.reason})")) from exc
            if is_damage(exc):
                raise StoreDamaged(self.path, exc) from exc
            raise failed(self.path, exc) from exc
        except StoreError:
            self._db.close()
            raise

    # --- housekeeping ---------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    @guarded
    def check(self) -> None:
        """SQLite's quick check of every page (~6 µs per stored activity); :class:`StoreDamaged` when it fails."""
        found = [str(r[0]) for r in self._db.execute("PRAGMA quick_check(5)")]
        if found != ["ok"]:
            raise StoreDamaged(self.path, sqlite3.DatabaseError("; ".join(found)))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back on any exception.

        The error that stopped it is the one raised (a full disk, a damaged
        page), never the rollback's "no transaction is active" after SQLite
        already rolled back by itself.
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise failed(self.path, exc) from exc
        try:
            yield self._db
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, sqlite3.Error):
                raise failed(self.path, exc) from exc
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise failed(self.path, exc) from exc

    def _rollback(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    @classmethod
    def for_reading(cls, path: Path | str) -> Store | None:
        """The store at ``path`` opened read-only, or ``None`` when there is none yet."""
        if not Path(path).is_file():
            return None
        return cls(path, read_only=True)

    def _upgrade_in_memory(self) -> None:
        """A store from an older fitplug, for a query: upgrade a copy in memory, leave the file as it is.

        The next command that writes (``fitplug sync``) upgrades the file itself.
        """
        memory = sqlite3.connect(":memory:", isolation_level=None)
        memory.row_factory = sqlite3.Row
        self._db.backup(memory)
        self._db.close()
        self._db = memory
        self._migrate()
        self._db.execute("PRAGMA query_only = ON")

    def _migrate(self) -> None:
        """Bring the store to :data:`SCHEMA_VERSION`; a store already there costs two pragmas."""
        if schema_version(self._db, self.path) == SCHEMA_VERSION:
            return
        with self._tx() as db:
            # again under the write lock: another fitplug opening this new store may have migrated it meanwhile
            version = schema_version(db, self.path, locked=True)
            if version == SCHEMA_VERSION:
                return
            db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_utc TEXT NOT NULL)")
            now = iso(dt.datetime.now(UTC))
            for name, apply in MIGRATIONS[version:]:
                apply(db)
                db.execute("INSERT INTO _migrations (name, applied_utc) VALUES (?, ?)", (name, now))
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # --- files ------------------------------------------------------------------

    @guarded
    def file_index(self) -> dict[str, tuple[int, int, bool]]:
        """Every file the store knows: ``key -> (size, mtime_ns, is_error)``, in one query.

        A sync looks each file up here instead of asking SQLite once a file.
        """
        cursor, error = self._db.cursor(), FileStatus.ERROR.value
        cursor.row_factory = None  # plain tuples
        rows = cursor.execute("SELECT key, size, mtime_ns, status FROM files")
        return {k if type(k) is str else key_of(k): (size, mtime, s == error) for k, size, mtime, s in rows}

    @guarded
    def record_batch(
        self, outcomes: Sequence[tuple[str, int, int, ActivitySummary | FileError]], now: dt.datetime
    ) -> list[FileState]:
        """Store several files' outcomes in one transaction, in order; their new states. A sync hands over
        a few dozen files at a time: all are kept, or (killed before the commit) none, and read again next time."""
        states: list[FileState] = []
        with self._tx() as db:
            for key, size, mtime_ns, outcome in outcomes:
                if isinstance(outcome, FileError):
                    self._put_file(db, key, size, mtime_ns, outcome.sha256, FileStatus.ERROR, None,
                                   outcome.reason, outcome.offset, None, now)  # fmt: skip
                    states.append(FileState(key, size, mtime_ns, FileStatus.ERROR, None, outcome.reason, None))
                else:
                    states.append(self._record(db, key, size, mtime_ns, outcome, now))
        return states

    @guarded
    def container_done(self, key: str, size: int, mtime_ns: int) -> bool:
        row = self._db.execute("SELECT size, mtime_ns FROM containers WHERE key = ?", (db_key(key),)).fetchone()
        return row is not None and row["size"] == size and row["mtime_ns"] == mtime_ns

    @guarded
    def mark_container(self, key: str, size: int, mtime_ns: int, now: dt.datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO containers (key, size, mtime_ns, done_utc) VALUES (?, ?, ?, ?)",
                (db_key(key), size, mtime_ns, iso(now)),
            )

    @guarded
    def record_error(
        self,
        key: str,
        size: int,
        mtime_ns: int,
        reason: str,
        offset: int | None,
        now: dt.datetime,
        sha256: str | None = None,
    ) -> None:
        """Remember that ``key`` is unreadable, so it is not retried until it changes."""
        with self._tx() as db:
            self._put_file(db, key, size, mtime_ns, sha256, FileStatus.ERROR, None, reason, offset, None, now)

    def _record(
        self,
        db: sqlite3.Connection,
        key: str,
        size: int,
        mtime_ns: int,
        summary: ActivitySummary,
        now: dt.datetime,
    ) -> FileState:
        """Store what was read from ``key``; returns the file's new state.

        A non-activity file is remembered as ``other``; an activity already held
        (same bytes, or same manufacturer + serial + time_created) as ``duplicate``.
        """
        activity_id: int | None = None
        if summary.file_type != "activity":
            status = FileStatus.OTHER
        else:
            activity_id = self._find_activity(db, summary)
            if activity_id is not None:
                status = FileStatus.DUPLICATE
            else:
                status = FileStatus.NEW
                activity_id = insert_activity(db, key, summary, now)
        self._put_file(db, key, size, mtime_ns, summary.sha256, status, summary.file_type, None, None, activity_id, now)
        return FileState(key, size, mtime_ns, status, summary.file_type, None, activity_id)

    @staticmethod
    def _put_file(
        db: sqlite3.Connection,
        key: str,
        size: int,
        mtime_ns: int,
        sha256: str | None,
        status: FileStatus,
        file_type: str | None,
        reason: str | None,
        offset: int | None,
        activity_id: int | None,
        now: dt.datetime,
    ) -> None:
        db.execute(
            """INSERT OR REPLACE INTO files
               (key, size, mtime_ns, sha256, status, file_type, reason, error_offset, activity_id, seen_utc)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (db_key(key), size, mtime_ns, sha256, status.value, file_type, reason, offset, activity_id, iso(now)),
        )

    @staticmethod
    def _find_activity(db: sqlite3.Connection, s: ActivitySummary) -> int | None:
        row = db.execute("SELECT id FROM activities WHERE sha256 = ?", (s.sha256,)).fetchone()
        if row is None and s.serial_number is not None and s.time_created is not None:
            row = db.execute(
                "SELECT id FROM activities WHERE manufacturer IS ? AND serial_number = ? AND time_created = ?",
                (s.manufacturer, s.serial_number, iso(s.time_created)),
            ).fetchone()
        return int(row["id"]) if row else None

    # --- activities -------------------------------------------------------------

    @guarded
    def activities(
        self, since: dt.datetime | None = None, *, categories: Collection[str] | None = None
    ) -> list[StoredActivity]:
        """The activities held, in order of start (the first session's), then id.

        ``since``: only those with a session starting at or after it (found through
        the indexes on start times, so the cost follows what is loaded, not the
        whole history). ``categories``: only those with a set of one of these
        Garmin exercise categories.
        """
        return [activity_of(r, sessions, sets) for r, sessions, sets in self._load(since, categories, stored=True)]

    def _load(
        self, since: dt.datetime | None, categories: Collection[str] | None, *, stored: bool
    ) -> list[tuple[Sequence[Any], list[ActivitySession], Sequence[SetRecord]]]:
        """The chosen activities' rows with their sessions and sets, in order of start (the first session's)
        then id; ``stored``: with where and when each was stored (the rule needs neither). Rows are plain
        tuples, read by position (the row functions of :mod:`.rows` name the columns)."""
        where, params = ["1"], list[Any]()
        if since is not None:
            where.append("(a.start_utc >= ? OR a.id IN (SELECT activity_id FROM sessions WHERE start_utc >= ?))")
            params += [iso(since), iso(since)]
        if categories is not None:
            marks = ", ".join("?" * len(categories))
            where.append(f"a.id IN (SELECT activity_id FROM sets WHERE category IN ({marks}))")
            params += sorted(categories)
        chosen = f"SELECT a.id FROM activities a WHERE {' AND '.join(where)}"
        cursor = self._db.cursor()
        cursor.row_factory = None  # plain tuples: cheaper than sqlite3.Row read by name
        sessions: dict[int, list[ActivitySession]] = {}
        for r in cursor.execute(
            "SELECT activity_id, sport, sub_sport, start_utc, utc_offset_s, elapsed_s, timer_s, distance_m, "
            f"avg_hr FROM sessions WHERE activity_id IN ({chosen}) ORDER BY activity_id, idx",
            params,
        ):
            sessions.setdefault(r[0], []).append(session_of(r))
        sets: dict[int, list[SetRecord]] = {}
        for r in cursor.execute(
            "SELECT activity_id, start_utc, set_type, repetitions, weight_kg, category, exercise_name, "
            f"duration_s, wkt_step_index FROM sets WHERE activity_id IN ({chosen}) ORDER BY activity_id, idx",
            params,
        ):
            sets.setdefault(r[0], []).append(set_of(r))
        stored_columns = ", first_key, added_utc" if stored else ""
        rows = cursor.execute(
            "SELECT id, sha256, file_type, manufacturer, product, serial_number, time_created, workout_name"
            f"{stored_columns} FROM activities WHERE id IN ({chosen})",
            params,
        ).fetchall()
        out = [(r, sessions.get(r[0], []), sets.get(r[0], [])) for r in rows]
        return sorted(out, key=lambda o: (o[1][0].start_utc if o[1] else FIT_EPOCH, o[0][0]))

    @guarded
    def history(
        self, since: dt.datetime | None = None, *, categories: Collection[str] | None = None
    ) -> list[ActivitySummary]:
        """The activities' summaries, in order of start: the due rule's input (see :meth:`activities`)."""
        return [summary_of(r, sessions, sets) for r, sessions, sets in self._load(since, categories, stored=False)]

    @guarded
    def first_start(self) -> dt.datetime | None:
        """When the earliest activity held started (``None``: there is none)."""
        return sane.time(from_iso(self._db.execute("SELECT min(start_utc) AS t FROM activities").fetchone()["t"]))

    # --- done marks ---------------------------------------------------------------

    @guarded
    @journaled
    def add_done(self, at_utc: dt.datetime, now: dt.datetime, item_key: str | None = None) -> DoneMark:
        with self._tx() as db:
            db.execute(
                "INSERT INTO done_marks (at_utc, item_key, created_utc) VALUES (?, ?, ?)",
                (iso(at_utc), item_key, iso(now)),
            )
        return DoneMark(at_utc.astimezone(UTC).replace(microsecond=0), item_key)

    @guarded
    @journaled
    def restore_done_marks(self, marks: Sequence[tuple[dt.datetime, str | None, str]]) -> None:
        """Put back ``(at_utc, item_key, created_utc text)`` marks saved from another store (a rebuild)."""
        with self._tx() as db:
            db.executemany(
                "INSERT INTO done_marks (at_utc, item_key, created_utc) VALUES (?, ?, ?)",
                [(iso(at), key, created) for at, key, created in marks],
            )

    @guarded
    def done_marks(self, since: dt.datetime | None = None) -> list[DoneMark]:
        """The ``fitplug done`` marks in time order; ``since``: only those at or after it."""
        return [
            DoneMark(sane.time(from_iso(r["at_utc"])) or FIT_EPOCH, text(r["item_key"]))
            for r in self._db.execute(
                "SELECT at_utc, item_key FROM done_marks WHERE at_utc >= ? ORDER BY at_utc, id",
                (iso(since) if since is not None else "",),
            )
        ]

    # --- sets logged by hand (`fitplug log`) -----------------------------------------

    @guarded
    @journaled
    def set_log(self, entry: LoggedSets | None, day: dt.date, exercise: str) -> LoggedSets | None:
        """Log ``entry`` for ``exercise`` on ``day`` (``None``: remove it); what was logged there before."""
        with self._tx() as db:
            before = logs.take(db, day, exercise)
            if entry is not None:
                logs.put(db, entry)
        return before

    @guarded
    def logs(self) -> list[LoggedSets]:
        return logs.read(self._db)  # by day, then exercise

    # --- due items (the feed's memory) --------------------------------------------

    @guarded
    def save_due(self, items: Sequence[DueItem], now: dt.datetime) -> list[DueItem]:
        """Remember ``items``; each comes back with ``updated_utc`` and ``sequence`` set.

        An item keeps its sequence while it stays the same, and gets the next
        one, with ``updated_utc = now``, whenever its kind, times or text change.
        """
        if self.read_only:
            return self.preview_due(items, now)
        with self._tx() as db:
            return save_due(db, items, now)

    @guarded
    def preview_due(self, items: Sequence[DueItem], now: dt.datetime) -> list[DueItem]:
        """What :meth:`save_due` would return, writing nothing (for queries)."""
        return preview_due(self._db, items, now)

    # --- the rule's settled answer (a cache) ---------------------------------------

    @guarded
    def kept_past(self, programme_id: str) -> tuple[dt.datetime, dt.datetime, str, str, str] | None:
        """The kept answer's ``(until, now, key, held, text)`` (:mod:`.kept`)."""
        return kept.read(self._db, programme_id)

    @guarded
    def keep_past(
        self, programme_id: str, until: dt.datetime, now: dt.datetime, key: str, held: str, text: str
    ) -> None:
        if not self.read_only:
            with self._tx() as db:
                kept.write(db, programme_id, until, now, key, held, text)

    @guarded
    def fingerprint(self, until: dt.datetime, now: dt.datetime, held: str | None = None) -> tuple[str, str] | None:
        return kept.fingerprint(self._db, until, now, held)

    # --- meta -----------------------------------------------------------------------

    @guarded
    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row["value"]) if row else None

    @guarded
    @journaled
    def set_meta(self, name: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))


@contextlib.contextmanager
def reading(path: Path | None) -> Iterator[Store | None]:
    """``with reading(path) as store``: the store opened read-only, or ``None`` when there is none."""
    store = Store.for_reading(path) if path is not None else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()
