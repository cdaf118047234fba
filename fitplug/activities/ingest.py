"""Read activity files into the store, then decide what is due.

:func:`sync` walks the sources, skips what the store already holds, reads
the rest (:mod:`fitplug.activities.read.pool`) and records every outcome; with a
programme it then applies the due rule (:mod:`fitplug.activities.tracking`).
It returns a :class:`~fitplug.model.SyncResult`; putting the due workout on a
watch is the application layer's job (:mod:`fitplug.app.sync`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from fitplug.activities.files.events import Candidate, ContainerDone, ContainerStart, Event, Refused, Tick
from fitplug.activities.files.folders import Known
from fitplug.activities.files.sources import scan
from fitplug.activities.files.spools import Spools
from fitplug.activities.read.outcome import Crc, FileError, Outcome, shown
from fitplug.activities.rule.classify import classify
from fitplug.activities.rule.legs import legs
from fitplug.activities.store.store import Store
from fitplug.activities.tracking import record
from fitplug.model import ActivityKind, DoneBy, NewActivity, Programme, RunStretch, SkippedFile, State, SyncResult

if TYPE_CHECKING:
    from fitplug.activities.read.pool import Job, Reader


def sync(
    store: Store,
    sources: Sequence[Path],
    *,
    programme: Programme | None,
    now: dt.datetime,
    progress: Callable[[str, float], None] | None = None,
    processes: int | None = None,
    crc: Crc = Crc.CHECK,
) -> SyncResult:
    """Read every new or changed FIT file under ``sources`` into ``store``, then decide.

    Files are read with the fast scanner, every CRC checked (natively: it
    costs a few per cent; ``crc=Crc.SKIP`` is for benchmarks that measure
    that), and whatever it refuses with fitdecode, which decides.
    A file whose CRC does not match is reported as unreadable ("bad CRC") and
    remembered as such until it changes. Many files are read
    in a process pool (``processes``, default one per core). Outcomes are
    committed in file order, a small batch per transaction, so a killed sync
    loses only what it had not committed and the next one reads that again;
    an unreadable file is recorded with its reason and the sync goes on. ``progress(key, weight)`` is
    called as work is done: ``weight`` bytes of :func:`~fitplug.activities.files.sources.count_bytes`.
    """
    result = SyncResult()
    paths = [p for p in sources if Path(p).exists()]
    result.notes += [f"Source {p} is not there now; skipped." for p in sources if not Path(p).exists()]
    result.sources = [str(p) for p in paths]
    run = _Run(store, now, result, progress, store.file_index(), programme)  # one query; no SQL round trip per file
    # a nested zip is inflated once, into a spool every worker reads its members from; each spool is
    # removed once its members are stored, and all of them when the sync ends, however it ends
    with Spools() as run.spools, _Reading(run.store_batch, crc, processes) as reader:
        known = Known(run.known, run.left_out)  # a folder's unchanged files: passed over in the walk, counted
        for event in scan(paths, skip_container=run.skip_container, known=known, spools=run.spools):
            run.dispatch(event, reader)
    if programme is not None:
        result.status = record(store, programme, now)
        result.completed = completed(result)
    return result


def reader_half() -> ModuleType:
    """The reader (:mod:`fitplug.activities.read.pool`: the FIT readers, the process pool, the zip
    members' reading), loaded by the first file a sync has to read: a sync with nothing new loads none."""
    from fitplug.activities.read import pool  # deferred: see above, and tests/test_architecture.py

    return pool


class _Reading:
    """A sync's :class:`~fitplug.activities.read.pool.Reader`, started for the first file to read.

    Until then, an action :meth:`then` is given has nothing before it to wait for, and is done at once.
    """

    def __init__(self, store_batch: Callable[[list[tuple[Job, Outcome]]], None], crc: Crc, processes: int | None):
        self._args: tuple[Any, ...] = (store_batch, crc, processes)
        self._stack = contextlib.ExitStack()
        self._reader: Reader | None = None

    def __enter__(self) -> _Reading:
        return self

    def __exit__(self, *exc: object) -> bool | None:
        return self._stack.__exit__(*exc)  # type: ignore[arg-type]  # the reader's own exit, however it ends

    def reader(self) -> Reader:
        if self._reader is None:
            store_batch, crc, processes = self._args
            self._reader = self._stack.enter_context(reader_half().Reader(store_batch, crc=crc, processes=processes))
        return self._reader

    def then(self, action: Callable[[], None]) -> None:
        if self._reader is None:
            action()
        else:
            self._reader.then(action)


def completed(result: SyncResult) -> tuple[RunStretch, ...]:
    """The post-run sets that activities read in this sync completed (by a workout or stretching, not a mark)."""
    if result.status is None:
        return ()
    starts = {a.start_utc for a in result.new if a.start_utc is not None}
    if not starts:
        return ()  # nothing new: no set to look at (a kept answer's are made only when looked at)
    return tuple(
        r
        for r in result.status.decision.runs
        if r.state is State.DONE and r.done_by is not DoneBy.MARK and r.done_utc in starts
    )


@dataclass
class _Run:
    """One sync's state: what the store knew, and the result it fills in."""

    store: Store
    now: dt.datetime
    result: SyncResult
    progress: Callable[[str, float], None] | None
    #: key -> (size, mtime_ns, unreadable) of every file the store has seen
    known: dict[str, tuple[int, int, bool]]
    #: classifies what was read (a fitplug post-run workout is a stretch, whatever its sport)
    programme: Programme | None = None
    #: key -> the share of the sources' bytes its event stands for, until it is done (progress)
    weights: dict[str, float] = field(default_factory=dict)
    #: the nested zips inflated for this sync
    spools: Spools | None = None

    def done(self, key: str, weight: float | None = None) -> None:
        share = self.weights.pop(key, 0.0) if weight is None else weight
        if self.progress:
            self.progress(key, share)

    def unchanged(self, key: str, size: int, mtime_ns: int) -> bool:
        """The store has ``key`` at this size and mtime: count it and skip it."""
        seen = self.known.get(key)
        if seen is None or seen[0] != size or seen[1] != mtime_ns:
            return False
        if seen[2]:
            self.result.known_bad += 1
        else:
            self.result.unchanged += 1
        # a folder's file skipped before any event was made for it stands for its own size
        share = self.weights.pop(key, float(size))
        if self.progress:
            self.progress(key, share)
        return True

    def left_out(self, folder: str, files: int, unreadable: int, size: int) -> None:
        """A folder had ``files`` the store has at their size and mtime (``unreadable`` of them as
        unreadable), of ``size`` bytes: the walk passed over them, they are counted here."""
        self.result.unchanged += files - unreadable
        self.result.known_bad += unreadable
        if self.progress:
            self.progress(folder, float(size))

    def skip_container(self, start: ContainerStart) -> bool:
        if self.store.container_done(start.key, start.size, start.mtime_ns):
            self.result.unchanged += 1
            if self.progress:
                self.progress(start.key, start.weight)
            return True
        return False

    def dispatch(self, event: Event, reading: _Reading) -> None:
        """Hand one event to the reader: a file to read, or an action after what came before it."""
        if isinstance(event, Tick):
            if self.progress:
                self.progress("", event.weight)
            return
        if isinstance(event, ContainerStart):
            return
        if isinstance(event, Candidate) and event.ahead:  # a member read while its zip is spooled: no file yet
            reader = reading.reader()
            reader.add(reader.job(event))
            return
        if not isinstance(event, ContainerDone):
            self.weights[event.key] = event.weight
        if isinstance(event, ContainerDone):
            reading.then(functools.partial(self.container_done, event))
        elif self.unchanged(event.key, event.size, event.mtime_ns):
            return
        elif isinstance(event, Refused):
            reading.then(functools.partial(self.refused, event))
        else:
            reader = reading.reader()
            reader.add(reader.job(event))

    def store_batch(self, batch: list[tuple[Job, Outcome]]) -> None:
        for job, put_off in batch:  # not remembered: the next sync reads them again
            if isinstance(put_off, FileError) and put_off.deferred:
                self.result.deferred.append(SkippedFile(shown(job.key), put_off.reason))
                self.done(job.key)
        batch = [(j, o) for j, o in batch if not (isinstance(o, FileError) and o.deferred)]
        states = self.store.record_batch([(j.key, j.size, j.mtime_ns, o) for j, o in batch], self.now)
        for (job, outcome), state in zip(batch, states, strict=True):
            if isinstance(outcome, FileError):
                self.result.skipped.append(SkippedFile(shown(job.key), outcome.reason, outcome.offset))
                self.done(job.key)
                continue
            if outcome.notes:
                self.result.notes += [f"{shown(job.key)}: {note}" for note in outcome.notes]
            if state.status == "new":
                for n, leg in enumerate(legs(outcome)):
                    kind = classify(leg, self.programme).kind if leg.sessions else ActivityKind.OTHER
                    start = leg.start_utc if leg.sessions else None
                    self.result.new.append(NewActivity(shown(job.key), kind, start, n))
            elif state.status == "duplicate":
                self.result.duplicates += 1
            else:
                self.result.other[outcome.file_type] += 1
            self.done(job.key)

    def container_done(self, event: ContainerDone) -> None:
        if self.spools is not None:  # every member of it is stored: its spool is not needed again
            self.spools.discard(event.key)
        if not self.store.container_done(event.key, event.size, event.mtime_ns):
            self.store.mark_container(event.key, event.size, event.mtime_ns, self.now)
        self.done(event.key)

    def refused(self, event: Refused) -> None:
        self.store.record_error(event.key, event.size, event.mtime_ns, event.reason, None, self.now)
        self.result.skipped.append(SkippedFile(shown(event.key), event.reason))
        self.done(event.key)
