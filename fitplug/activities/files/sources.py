"""Where activity files come from: folders, a mounted watch, single files, export zips.

:func:`scan` walks the sources and yields one event per file it finds,
without reading any file's content: a :class:`Candidate` carries a ``read``
function, so a caller that already knows the file (same size and mtime) never
pays for reading it. Zip members are read as streams, nested zips are spooled
to anonymous temporary files, and nothing is ever extracted to the disk
(:mod:`.zips`, which refuses what must not be read). A member also says where
it is (its archive's path and the member names down to it), so another
process can read it by itself (:class:`~.zips.Archives`). Folders are walked
by :mod:`.folders`, one listing per folder (in C where it is built), which
passes over the files a sync already has before any event is made for them.
"""

from __future__ import annotations

import functools
import gzip
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

from fitplug.activities.files.events import (
    Candidate,
    ContainerDone,
    ContainerStart,
    Event,
    Refused,
    is_fit_name,
    is_zip_name,
)
from fitplug.activities.files.fitfile import MAX_FIT_BYTES, open_fit
from fitplug.activities.files.folders import FileStat, Known, walk
from fitplug.activities.files.spools import Spools
from fitplug.errors import ActivityError
from fitplug.watch.devices import garmin_dir


def resolve_source(path: Path) -> Path:
    """A watch's mount point becomes its ``GARMIN/Activity``; anything else stays."""
    if path.is_dir():
        found = garmin_dir(path)
        if found is not None:
            for entry in found.iterdir():
                if entry.name.lower() == "activity" and entry.is_dir():
                    return entry
            return found / "Activity"
    return path


def scan(
    sources: Sequence[Path],
    *,
    skip_container: Callable[[ContainerStart], bool] | None = None,
    known: Known | None = None,
    spools: Spools | None = None,
) -> Iterator[Event]:
    """Every FIT file under ``sources``, in a stable order.

    ``skip_container(start)`` is asked before a zip is opened; when it says
    yes, the zip's members are not listed (its ``ContainerDone`` still comes).
    ``known``: the FIT files of the folders that the caller already has, at
    their size and mtime; no event is made for them, and ``known.left_out``
    is told how many a folder had (a sync that already has a file pays its
    stat and a dict lookup, in C where the folder listing is built).
    ``spools``: nested zips are inflated into these (for the caller to remove
    once their members are read), and their members are read from there.
    A missing source raises :class:`ActivityError`.
    """
    seen: set[str] = set()
    for source in sources:
        path = resolve_source(Path(source))
        if not path.exists():
            raise ActivityError(path, "no such file or folder")
        if path.is_dir():
            for key, st in walk(path, seen, known):
                yield from _file_events(Path(key), skip_container, st=st, spools=spools)
        else:
            key = str(path.resolve())
            if key not in seen:
                seen.add(key)
                yield from _file_events(path.resolve(), skip_container, explicit=True, spools=spools)


def _file_events(
    path: Path,
    skip_container: Callable[[ContainerStart], bool] | None,
    *,
    explicit: bool = False,
    st: FileStat | os.stat_result | OSError | None = None,
    spools: Spools | None = None,
) -> Iterator[Event]:
    key = str(path)
    if st is None:
        try:
            st = path.stat()
        except OSError as exc:
            st = exc
    if isinstance(st, OSError):
        yield Refused(key, 0, 0, f"cannot read: {st.strerror or st}")
        return
    if not stat.S_ISREG(st.st_mode):
        yield Refused(key, 0, st.st_mtime_ns, "not a regular file")
        return
    name = path.name
    if is_zip_name(name):
        start = ContainerStart(key, st.st_size, st.st_mtime_ns, float(st.st_size))
        yield start
        if skip_container is None or not skip_container(start):
            zips = zip_half()
            try:
                with zips.open_zip(path) as archive:
                    yield from zips.zip_events(archive, key, st.st_mtime_ns, (path, ()), skip_container, st.st_size,
                                               spools=spools)  # fmt: skip
            except ActivityError as exc:
                # its bytes are done with (a progress bar stops at its end, should some members have come)
                yield Refused(key, st.st_size, st.st_mtime_ns, exc.reason, float(st.st_size))
        yield ContainerDone(key, st.st_size, st.st_mtime_ns)
        return
    if not is_fit_name(name) and not explicit:
        return
    gz = name.lower().endswith(".gz")
    read = functools.partial(read_path, path, gz)
    yield Candidate(key, st.st_size, st.st_mtime_ns, read, path, gz, weight=float(st.st_size))


def zip_half() -> ModuleType:
    """The zip reader (:mod:`.zips`, with :mod:`zipfile` and the inflater), loaded by the first zip or
    gzipped file a sync meets: a sync of folders of FIT files loads none of it."""
    from fitplug.activities.files import zips  # deferred: see above, and tests/test_architecture.py

    return zips


def read_path(path: Path, gz: bool) -> bytes:
    """The FIT bytes of a file on disk (gunzipped); :class:`ActivityError` with a reason."""
    if not gz:
        with open_fit(path) as fit:  # not FIT: its first bytes only, which say so
            return fit.whole()
    try:
        with gzip.open(path, "rb") as f:
            data: bytes = zip_half().read_capped(f, MAX_FIT_BYTES, str(path), compressed=path.stat().st_size)
            return data
    except ActivityError:
        raise
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ActivityError(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from exc


def count_bytes(sources: Sequence[Path]) -> int:
    """The bytes on disk of the FIT files and zips the sources hold (a progress bar's whole: the events'
    ``weight`` adds up to it)."""
    total = 0
    for source in sources:
        path = resolve_source(Path(source))
        if path.is_dir():
            total += sum(st.st_size for _, st in walk(path) if not isinstance(st, OSError) and stat.S_ISREG(st.st_mode))
        elif path.is_file():
            total += path.stat().st_size
    return total
