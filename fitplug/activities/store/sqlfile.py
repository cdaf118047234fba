"""The store's SQLite file itself: opening it privately, naming what went wrong with it, odd keys.

Kept apart from :mod:`fitplug.activities.store.store` (the tables and what they
mean): how a SQLite error becomes a :class:`~fitplug.errors.StoreError` that
names the file and the way out, how a store is created readable by its owner
only and opened for queries when it cannot be written, and how a file name
that is not UTF-8 is kept exactly.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fitplug.errors import StoreError, printable

__all__ = [
    "StoreDamaged",
    "connect_for_reading",
    "create_private",
    "db_key",
    "failed",
    "guarded",
    "is_damage",
    "key_of",
    "seal",
    "sealed",
    "wal",
]


def db_key(key: str) -> str | bytes:
    """A file's key as SQLite keeps it: text, or (a name that is not UTF-8) its bytes, exactly."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return key.encode("utf-8", "surrogateescape")
    return key


def key_of(value: object) -> str:
    """A key as :func:`db_key` stored it."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


class StoreDamaged(StoreError):
    """The store's file is damaged: `fitplug sync` rebuilds it (:func:`rebuild`)."""

    def __init__(self, path: Path, cause: object) -> None:
        self.path = path
        super().__init__(
            f"{printable(str(path))} is damaged ({cause}). Run `fitplug sync` to rebuild it: the damaged "
            "file is kept beside it, your remembered sources are read again into a fresh store, and your "
            "`fitplug done` marks are kept where they can still be read"
        )


def is_damage(exc: sqlite3.Error) -> bool:
    """A SQLite error that means the file is damaged (not: locked, read-only, full)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
    text = str(exc).lower()
    # a damaged page read as text ("Could not decode to UTF-8 column …") is damage too
    return "malformed" in text or "not a database" in text or "could not decode to utf-8" in text


def failed(path: Path, exc: sqlite3.Error) -> StoreError:
    """The :class:`StoreError` to raise for ``exc``, saying what happened and what to do."""
    if is_damage(exc):
        return StoreDamaged(path, exc)
    text = str(exc)
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == 13 or "disk is full" in text:  # SQLITE_FULL
        return StoreError(f"{printable(str(path))}: could not write: the disk is full; nothing was changed")
    if code in (5, 6) or "locked" in text:  # SQLITE_BUSY, SQLITE_LOCKED
        return StoreError(f"{printable(str(path))}: {text} (is another fitplug running?)")
    if code == 8 or "readonly" in text:  # SQLITE_READONLY
        return StoreError(f"{printable(str(path))}: cannot write: the store is read-only")
    if code == 10 or "disk i/o error" in text.lower():  # SQLITE_IOERR: often a full disk, said so when it is
        if _nearly_full(path):
            return StoreError(f"{printable(str(path))}: could not write: the disk is full; nothing was changed")
        return StoreError(f"{printable(str(path))}: the disk failed to read or write ({text}); nothing was changed")
    if code == 14 or "unable to open" in text:  # SQLITE_CANTOPEN: a folder it cannot write, mostly
        folder = path.parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            return StoreError(
                f"{printable(str(path))}: cannot open the store: its folder {printable(str(folder))} is read-only"
            )
        return StoreError(f"{printable(str(path))}: cannot open the store ({text})")
    return StoreError(f"{printable(str(path))}: {text}")


def _nearly_full(path: Path) -> bool:
    """The disk holding ``path`` has under 1 MiB free (what a failed write there most likely ran into)."""
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < 1 << 20
    except OSError:
        return False


_F = TypeVar("_F", bound=Callable[..., Any])


def guarded(method: _F) -> _F:
    """A store method whose SQLite errors become a :class:`StoreError` that names the file and the way out."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise failed(self.path, exc) from exc
        except (UnicodeDecodeError, OverflowError) as exc:  # a damaged page read as text or a number
            raise StoreDamaged(self.path, sqlite3.DatabaseError(f"database disk image is malformed ({exc})")) from exc

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature


def create_private(path: Path) -> None:
    """The store's file readable by its owner only: created ``0600`` (SQLite would make it 0644), and an
    older store that others could read is made so (its -wal and -shm files follow its mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        with contextlib.suppress(OSError):
            st = path.stat()
            if st.st_mode & 0o077 and st.st_uid == getattr(os, "getuid", lambda: st.st_uid)():
                path.chmod(st.st_mode & 0o700)
        return
    os.close(fd)


def connect_for_reading(path: Path, timeout_s: float) -> sqlite3.Connection:
    """A connection for queries: read-write (so WAL files are tidied on close) when the file allows it.

    mode=rw, not ro: a read-only connection leaves its -wal and -shm files
    behind; this one removes them on close (``query_only`` refuses any write).
    A store the user cannot write (a read-only file or folder, a backup on a
    read-only disk) is opened read-only, and as immutable when even SQLite's
    shared-memory file cannot be made.
    """
    base = path.absolute().as_uri()
    last: sqlite3.Error | None = None
    for query in ("mode=rw", "mode=ro", "mode=ro&immutable=1"):
        try:
            db = sqlite3.connect(f"{base}?{query}", uri=True, timeout=timeout_s, isolation_level=None)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.Error as exc:
            last = exc
            with contextlib.suppress(UnboundLocalError, sqlite3.Error):
                db.close()
            if is_damage(exc):
                raise
    assert last is not None
    raise last


def wal(db: sqlite3.Connection, timeout_s: float) -> None:
    """Switch to WAL; another fitplug opening the same new store at once makes SQLite answer
    "locked" at once (the busy timeout does not cover it): try again until the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _fingerprint(path: Path) -> str | None:
    """The store file as it is now: inode, size, mtime in ns and SQLite's file change counter (header
    bytes 24–27, raised by every write); ``None`` when a -wal or -journal file holds changes not in it."""
    try:
        for suffix in ("-wal", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path.with_name(path.name + suffix)).st_size:
                    return None
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            counter = f.read(28)[24:28]
    except OSError:
        return None
    return f"{st.st_ino} {st.st_size} {st.st_mtime_ns} {counter.hex()}"


def _seal_path(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def seal(path: Path) -> None:
    """Record the store file as a sync that checked it leaves it (``<store>.checked`` beside it), so the
    next sync can skip the quick check when not a byte of it changed since (:func:`sealed`)."""
    mark = _fingerprint(path)
    seal_path = _seal_path(path)
    with contextlib.suppress(OSError):
        if mark is None:
            seal_path.unlink(missing_ok=True)
            return
        fd = os.open(seal_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(mark)


def sealed(path: Path) -> bool:
    """The store file is as the last checked sync left it (same inode, size, mtime and change counter,
    no pending -wal or -journal): its quick check (~6 µs per activity) can be skipped. Any write since,
    by fitplug or anything else, or a copy put in its place, makes this false."""
    mark = _fingerprint(path)
    if mark is None:
        return False
    try:
        with _seal_path(path).open("rb") as f:
            sealed_at = os.fstat(f.fileno()).st_mtime_ns
            same = f.read(200) == mark.encode("ascii")
    except OSError:
        return False
    # a write in the same clock tick as the seal (file times are coarse: ~4 ms) would keep the mtime
    # it recorded: trusted only when the seal is from a later tick than the file's last write
    return same and int(mark.split()[2]) < sealed_at
