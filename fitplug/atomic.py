"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file is written to a temporary name in the destination folder, flushed
to the disk, and renamed over the old one. Files people share (workouts, the
calendar feed, settings) get the usual ``0666`` less the umask, like any file
an editor saves; secrets (the feed token) are created ``0600``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from fitplug.errors import OutputError
from fitplug.processes import running

#: a temporary name :func:`stage` makes: ``.NAME.xxxxxxxx-PID.tmp`` (``.NAME.xxxxxxxx.tmp`` before 0.x)
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{8}(?:-([0-9]{1,10}))?\.tmp")
#: a temporary file older than this was left by a killed run (a write takes seconds)
STALE_AFTER_S = 600.0

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def stage(path: Path, data: bytes, *, private: bool = False, fsync: bool = True) -> str:
    """Write ``data`` to a new temporary file beside ``path``; return its name (not renamed yet).

    The file is created ``0600`` when ``private``, else ``0666`` less the umask
    (``tempfile.mkstemp`` would make every output ``0600``). The caller renames
    it into place or unlinks it; on an error here it is already removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        name = os.path.join(path.parent, f".{path.name}.{os.urandom(4).hex()}-{os.getpid()}.tmp")
        try:
            fd = os.open(name, _FLAGS, 0o600 if private else 0o666)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 random names taken
        raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return name


def clean_stale(folders: Iterable[Path], *, now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed run left in ``folders`` (those of :func:`stage` whose writer is
    no longer running here, or old enough that no running write can own them); what was removed. Every
    write calls it for its folder."""
    cutoff = (time.time() if now is None else now) - STALE_AFTER_S
    removed: list[Path] = []
    for folder in set(folders):
        try:
            with os.scandir(folder) as it:
                stale = []
                for e in it:
                    match = _TEMP_NAME.fullmatch(e.name)
                    if match is None or not e.is_file(follow_symlinks=False):
                        continue
                    pid = int(match.group(1)) if match.group(1) else None
                    if (pid is not None and not running(pid)) or e.stat(follow_symlinks=False).st_mtime < cutoff:
                        stale.append(e.path)
        except OSError:
            continue
        for name in stale:
            with contextlib.suppress(OSError):
                os.unlink(name)
                removed.append(Path(name))
    return removed


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the renames) to the disk, where the system allows it."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _reason(exc: OSError) -> str:
    return "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))


def write_atomic(path: Path, data: bytes, *, fsync: bool = True, private: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    On any failure (a full disk, no permission) the temporary file is removed,
    the previous ``path`` is left as it was, and :class:`OutputError` says why.
    ``private`` creates the file readable by its owner only.
    """
    path = Path(path)
    try:
        tmp = stage(path, data, private=private, fsync=fsync)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise OutputError(f"{path}: could not write: {_reason(exc)}") from exc
    clean_stale([path.parent])
    if fsync:
        sync_folder(path.parent)


def write_all_atomic(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary name beside it, then rename them all into place.

    Nothing is renamed until every file is written, so a full disk or a
    missing permission leaves every previous file as it was; a folder where
    a file must go is refused before anything is written.
    """
    for path in files:
        if path.is_dir():
            raise OutputError(f"{path} is a folder; move it away or write somewhere else (-o)")
    staged: list[tuple[str, Path]] = []
    current: Path | None = None
    try:
        for path, data in files.items():
            current = path
            staged.append((stage(path, data), path))
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{current}: could not write: {_reason(exc)}") from exc
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # only those not renamed are still there
    clean_stale(path.parent for path in files)
    for folder in {path.parent for path in files}:
        sync_folder(folder)


def private_folder(path: Path) -> None:
    """Create ``path`` (and its parents) readable by its owner only, if it is not there."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the data folder: {exc.strerror or exc}") from exc
