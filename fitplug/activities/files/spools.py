"""Where a sync inflates nested zips: private temporary files, read by path, removed when it ends.

A Garmin Connect export holds its FIT files in a zip inside the zip. A sync
inflates that inner zip once, into a spool file of :class:`Spools`, and every
process reading its members (the pool's workers) opens that file by path.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Final, Self

from fitplug.processes import running

__all__ = ["Spools"]


class Spools:
    """The nested zips one sync has inflated, each into a private temporary file, read by path.

    A sync's workers read a nested zip's members from its spool, so it is
    inflated once however many processes read it. :meth:`discard` removes one
    once its members are read; :meth:`close` (leaving the ``with`` block, on an
    error or Ctrl-C too) removes them all. The files are named after this
    process: a sync killed outright leaves its spools behind, and the next one
    removes those whose process is gone.
    """

    #: the spools' names in the temporary folder: ``fitplug-spool-<pid>-<random>.zip``
    PREFIX: Final = "fitplug-spool-"

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._paths: dict[str, Path] = {}
        self._swept = False

    def __enter__(self) -> Self:
        return self

    @property
    def folder(self) -> Path:
        """Where the spools are: the given folder, else the temporary folder (looked up when first asked:
        a sync with no nested zip never needs it, nor :mod:`tempfile`)."""
        if self._folder is None:
            import tempfile

            self._folder = Path(tempfile.gettempdir())
        return Path(self._folder)

    def __exit__(self, *exc: object) -> None:
        self.close()

    def new(self, key: str, size: int = 0) -> tuple[Path, IO[bytes]]:
        """A new private (0600) spool file for the nested zip ``key``: its path and a handle to write it.

        ``size``: what the zip says it inflates to, reserved on the disk up front where the platform can
        (the writer truncates the file to what it wrote): a file system that allocates as it goes spends
        more time in the kernel than the inflating takes."""
        if not self._swept:
            self._swept = True
            self.sweep()
        import tempfile  # here: a sync of folders never spools

        fd, name = tempfile.mkstemp(prefix=f"{self.PREFIX}{os.getpid()}-", suffix=".zip", dir=self.folder)
        path = Path(name)
        self.discard(key)
        self._paths[key] = path
        if size > 0 and hasattr(os, "posix_fallocate"):
            with contextlib.suppress(OSError):  # not on this file system, or no room: writing says so
                os.posix_fallocate(fd, 0, size)
        return path, os.fdopen(fd, "w+b")

    def discard(self, key: str) -> None:
        """Remove the spool of ``key`` (when there is one): its members are read."""
        path = self._paths.pop(key, None)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def close(self) -> None:
        for key in list(self._paths):
            self.discard(key)

    def __len__(self) -> int:
        return len(self._paths)

    def sweep(self) -> None:
        """Remove this user's spools left by a process that is gone (a sync killed outright)."""
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        for entry in entries:
            if not entry.name.startswith(self.PREFIX):
                continue
            pid = entry.name[len(self.PREFIX) :].split("-", 1)[0]
            with contextlib.suppress(OSError, ValueError):
                mine = entry.stat(follow_symlinks=False).st_uid == getattr(os, "getuid", lambda: 0)()
                if mine and not running(int(pid)):
                    os.unlink(entry.path)
