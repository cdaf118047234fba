"""Read activity files into the store, then decide what is due.

:func:`sync` walks the sources, skips what the store already holds, reads
the rest (:mod:`fitplug.activities.pool`) and records every outcome; with a
programme it then applies the due rule (:mod:`fitplug.activities.history`).
It returns a :class:`SyncResult`; putting the due workout on a watch is the
application layer's job (:mod:`fitplug.app.activities`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fitplug.activities.due import Decision, activity_kind
from fitplug.activities.history import decide_and_save
from fitplug.activities.pool import Job, Reader
from fitplug.activities.sources import ContainerDone, ContainerStart, Refused, scan
from fitplug.activities.store import FileError, Store
from fitplug.errors import ActivityError
from fitplug.model import ActivitySummary, DueItem, Programme

if TYPE_CHECKING:
    from fitplug.watch.install import InstallResult

_UTC = dt.UTC
Outcome = ActivitySummary | FileError


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file that could not be read, and why."""

    key: str
    reason: str
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class NewActivity:
    key: str
    kind: str
    start_utc: dt.datetime | None


@dataclass
class SyncResult:
    """What one sync did and decided."""

    sources: list[str] = field(default_factory=list)
    new: list[NewActivity] = field(default_factory=list)
    duplicates: int = 0
    unchanged: int = 0
    #: files that are not activities (workouts, settings, monitoring…), by FIT file type
    other: Counter[str] = field(default_factory=Counter)
    #: unreadable files found in this sync
    skipped: list[SkippedFile] = field(default_factory=list)
    #: unreadable files remembered from earlier syncs and not retried
    known_bad: int = 0
    decision: Decision | None = None
    items: list[DueItem] = field(default_factory=list)
    installed: list[InstallResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def new_by_kind(self) -> Counter[str]:
        return Counter(a.kind for a in self.new)


def sync(
    store: Store,
    sources: Sequence[Path],
    *,
    programme: Programme | None,
    now: dt.datetime,
    progress: Callable[[str], None] | None = None,
    verify: bool = False,
    processes: int | None = None,
) -> SyncResult:
    """Read every new or changed FIT file under ``sources`` into ``store``, then decide.

    Files are read with the fast scanner (``verify``: with its CRC checks),
    and whatever it refuses with fitdecode, which decides; many files are read
    in a process pool (``processes``, default one per core). Outcomes are
    committed in file order, a small batch per transaction, so a killed sync
    loses only what it had not committed and the next one reads that again;
    an unreadable file is recorded with its reason and the sync goes on.
    """
    result = SyncResult()
    paths = [p for p in sources if Path(p).exists()]
    result.notes += [f"Source {p} is not there now; skipped." for p in sources if not Path(p).exists()]
    result.sources = [str(p) for p in paths]
    known = store.file_index()  # one query; no SQL round trip per unchanged file

    def skip_container(start: ContainerStart) -> bool:
        if store.container_done(start.key, start.size, start.mtime_ns):
            result.unchanged += 1
            return True
        return False

    def skip_file(key: str, size: int, mtime_ns: int) -> bool:
        seen = known.get(key)
        if seen is None or seen[0] != size or seen[1] != mtime_ns:
            return False
        if seen[2]:
            result.known_bad += 1
        else:
            result.unchanged += 1
        if progress:
            progress(key)
        return True

    def store_batch(batch: list[tuple[Job, Outcome]]) -> None:
        states = store.record_batch([(j.key, j.size, j.mtime_ns, o) for j, o in batch], now)
        for (job, outcome), state in zip(batch, states, strict=True):
            if isinstance(outcome, FileError):
                result.skipped.append(SkippedFile(job.key, outcome.reason, outcome.offset))
            elif state.status == "new":
                start = min((s.start_utc for s in outcome.sessions), default=None)
                result.new.append(NewActivity(job.key, activity_kind(outcome), start))
            elif state.status == "duplicate":
                result.duplicates += 1
            else:
                result.other[outcome.file_type] += 1
            if progress:
                progress(job.key)

    def container_done(event: ContainerDone) -> None:
        if not store.container_done(event.key, event.size, event.mtime_ns):
            store.mark_container(event.key, event.size, event.mtime_ns, now)
        if progress:
            progress(event.key)

    with Reader(store_batch, verify=verify, processes=processes) as reader:
        for event in scan(paths, skip_container=skip_container, skip_file=skip_file):
            if isinstance(event, ContainerStart):
                continue
            if isinstance(event, ContainerDone):
                reader.then(functools.partial(container_done, event))
                continue
            seen = known.get(event.key)
            if seen is not None and seen[0] == event.size and seen[1] == event.mtime_ns:
                if seen[2]:
                    result.known_bad += 1
                else:
                    result.unchanged += 1
                if progress:
                    progress(event.key)
                continue
            if isinstance(event, Refused):
                reader.then(functools.partial(_refused, store, event, now, result, progress))
                continue
            if event.path is not None:  # on disk: a worker opens it by itself
                reader.add(Job(event.key, event.size, event.mtime_ns, str(event.path), event.gz))
                continue
            try:
                data = event.read()  # a zip member: only readable while its zip is open
            except ActivityError as exc:
                reader.then(functools.partial(_refused, store, Refused(event.key, event.size, event.mtime_ns,
                                                                       exc.reason), now, result, progress))
                continue
            reader.add(Job(event.key, event.size, event.mtime_ns, data=data))

    if programme is not None:
        result.decision, result.items = decide_and_save(store, programme, now)
    return result


def _refused(
    store: Store, event: Refused, now: dt.datetime, result: SyncResult, progress: Callable[[str], None] | None
) -> None:
    store.record_error(event.key, event.size, event.mtime_ns, event.reason, None, now)
    result.skipped.append(SkippedFile(event.key, event.reason))
    if progress:
        progress(event.key)


