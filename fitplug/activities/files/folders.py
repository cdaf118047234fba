"""The folder walk of :func:`~.sources.scan`: the FIT files and zips under a folder, with their stat.

:func:`walk` lists one folder at a time, with :func:`list_folder` or the same listing in C
(``_folders``, an optional extension built at install; POSIX only), which also leaves out the
files a caller already has (:class:`Known`) before any Python object is made for them but their
paths. The C listing is used where it is built, the file system encoding is UTF-8 with
surrogateescape (the only one it decodes names as) and ``FITPLUG_PURE_PYTHON=1`` is not set.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from fitplug.activities.files.events import is_zip_name

try:  # one folder's listing in C, built at install when a compiler is there (setup.py)
    from fitplug.activities.files import _folders
except ImportError:  # pragma: no cover - exercised by installs without a compiler
    _folders = None  # type: ignore[assignment]

__all__ = ["FileStat", "Known", "list_folder", "native", "walk"]


class FileStat(NamedTuple):
    """What the walk tells of a file, by ``os.stat_result``'s names: its type and mode, size and mtime."""

    st_mode: int
    st_size: int
    st_mtime_ns: int


@dataclass(frozen=True, slots=True)
class Known:
    """The folders' files a caller already has (a sync's store), for the walk to leave out.

    A regular FIT file (not a zip) that ``files`` holds at its size and mtime is not given;
    ``left_out(folder, count, unreadable, size)`` is told so, once for each folder that had any:
    how many, how many of them ``files`` marks unreadable, and their bytes on disk.
    """

    #: key -> (size, mtime_ns, unreadable)
    files: dict[str, tuple[int, int, bool]]
    left_out: Callable[[str, int, int, int], None]


#: one folder's files (a path with its stat, or the ``OSError`` stat raised), subfolders (paths), and how many
#: files were left out as known, how many of those known as unreadable, and their bytes
Listing = tuple[list[tuple[str, FileStat | OSError]], list[str], int, int, int]


def _native() -> Any:
    """The C listing's function, where it is built and may be used; else None."""
    if os.environ.get("FITPLUG_PURE_PYTHON") == "1" or _folders is None:
        return None
    if (sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()) != ("utf-8", "surrogateescape"):
        return None
    return getattr(_folders, "list_folder", None)  # Windows: not there


#: the C listing, or None: :func:`list_folder` (the tests set this to run each walk test both ways)
native: Any = _native()
#: for the tests: called with a folder once :func:`list_folder` has listed it, before any of its files is
#: stat'ed (``_folders._test_hooks`` sets the C listing's)
_between: Callable[[str], object] | None = None


def walk(
    root: Path, seen: set[str] | None = None, known: Known | None = None
) -> Iterator[tuple[str, FileStat | OSError]]:
    """Files under ``root`` whose names look like FIT files or zips (paths), with their stat.

    A folder's files come first, sorted, then its subfolders, sorted; links to
    folders are not followed (``os.walk``'s order, in one listing per folder).
    A file that cannot be stat'ed comes with its ``OSError``; a folder that
    cannot be listed is passed over, as ``os.walk`` does.
    ``seen``: paths already given (left out), to which each path given is added;
    ``known``: the files to leave out, and whom to tell (a sync's unchanged files cost no more).
    """
    listing = native if native is not None else list_folder
    files_known = known.files if known is not None else None
    stack = [str(root.resolve())]
    while stack:
        folder = stack.pop()
        try:
            files, subfolders, left_out, unreadable, size = listing(folder, seen, files_known, FileStat)
        except OSError:
            continue
        if left_out and known is not None:
            known.left_out(folder, left_out, unreadable, size)
        yield from files
        stack.extend(reversed(subfolders))


def list_folder(
    folder: str,
    seen: set[str] | None,
    known: dict[str, tuple[int, int, bool]] | None,
    make_stat: Callable[[int, int, int], FileStat],
) -> Listing:
    """One folder of :func:`walk`, in one ``os.scandir`` pass; the C listing says the same, in C.

    Its files named ``.fit``, ``.fit.gz`` or ``.zip`` (in any case) that ``seen`` does not hold
    (each added to it before it is stat'ed), sorted, stat'ed through a link; its subfolders, sorted,
    links to folders neither; a regular FIT file that ``known`` holds at its size and mtime is only
    counted. Raises the ``OSError`` of a folder that cannot be listed.
    """
    names: list[tuple[str, os.DirEntry[str]]] = []
    dirs: list[str] = []
    with os.scandir(folder) as it:
        for entry in it:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.is_symlink():
                    dirs.append(name)
            elif name.lower().endswith((".fit", ".fit.gz", ".zip")):
                names.append((name, entry))
    if _between is not None:
        _between(folder)
    names.sort()
    files: list[tuple[str, FileStat | OSError]] = []
    left_out = unreadable = size = 0
    for name, entry in names:
        key = entry.path
        if seen is not None:
            if key in seen:
                continue
            seen.add(key)
        try:
            st = entry.stat()
        except OSError as exc:
            files.append((key, exc))
            continue
        if known is not None and stat.S_ISREG(st.st_mode) and not is_zip_name(name):
            had = known.get(key)
            if not (had is None or had[0] != st.st_size or had[1] != st.st_mtime_ns):
                left_out += 1
                unreadable += bool(had[2])
                size += st.st_size
                continue
        files.append((key, make_stat(st.st_mode, st.st_size, st.st_mtime_ns)))
    dirs.sort()
    return files, [os.path.join(folder, d) for d in dirs], left_out, unreadable, size
