"""Read many activity files, on every core when it pays.

:func:`read_one` reads one :class:`Job` with the one reader
(:func:`fitplug.activities.read.read_activity`) and turns its
:class:`ActivityError` into a :class:`FileError` outcome. :class:`Reader` runs
it over a stream of files: the first ones in this process (a small sync never
pays for starting processes), the rest in a process pool of one worker per
core. Every file goes to the workers as a place, never as bytes: a path, or
for a zip member its archive's path and member names, which the worker opens
and reads itself (:class:`fitplug.activities.files.sources.Archives`), with the same
checks the listing makes. Outcomes come back in the order the files were
added, in batches the caller stores in one transaction each.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self, TypeAlias

from fitplug.activities.files.events import Candidate
from fitplug.activities.files.sources import read_path
from fitplug.activities.files.zips import Archives
from fitplug.activities.read.outcome import FileError, Outcome, internal_error
from fitplug.activities.read.reader import Crc, DecodeDeferred, ReadError, read_activity, set_sync_budget
from fitplug.errors import ActivityError

if TYPE_CHECKING:
    import concurrent.futures
    import concurrent.futures.process

#: files read in this process before a pool is started for the rest ...
POOL_AFTER: Final = 64
#: ... or seconds spent reading them, whichever comes first (about what starting the pool costs: a sync of
#: big files does not keep a core idle while this process reads dozens of them alone)
POOL_AFTER_S: Final = 0.03
#: tasks in flight per worker: enough that a worker never waits for this process to send the next
IN_FLIGHT: Final = 3
#: files per task sent to a worker (and per transaction), and their (uncompressed) bytes
CHUNK_FILES: Final = 16
CHUNK_BYTES: Final = 8 << 20
#: outcomes stored per transaction when reading in this process
BATCH_FILES: Final = 32
#: zip members read ahead and not yet claimed by their files, at most (their outcomes, some hundreds of
#: bytes each, wait in memory for the listing; a Garmin export of ten years holds fewer)
AHEAD_FILES: Final = 8192


@dataclass(frozen=True, slots=True)
class Job:
    """One file to read, by where it is: any process can read it by itself.

    A file on disk by ``path`` (``gz``: gzipped); a zip member by ``archive``
    (the outermost zip on disk) and ``members``, the member names from it down
    to the file (one per zip level).
    """

    key: str
    size: int
    mtime_ns: int
    path: str | None = None
    gz: bool = False
    archive: str | None = None
    members: tuple[str, ...] = ()
    #: a member of a spooled zip, where its listing confirmed its local header (see ``ahead``)
    entry: tuple[int, int, int, int, int, int] | None = None
    #: to read ahead, while its zip is spooled, by that ``entry`` (``members``: its name as the header says):
    #: its outcome is taken for the job of the same ``key`` and ``entry`` if one comes, else dropped
    ahead: bool = False


def read_one(job: Job, crc: Crc, archives: Archives) -> Outcome:
    """The summary of one file, or why it cannot be read (never raises for a bad file)."""
    try:
        if job.ahead and job.archive is not None and job.entry is not None:
            source: str | bytes = archives.read_ahead(Path(job.archive), job.members[0], job.entry, job.key)
        elif job.archive is not None:
            source = archives.read(Path(job.archive), job.members, job.key)
        elif job.gz:
            source = read_path(Path(job.path or ""), gz=True)
        else:
            assert job.path is not None
            source = job.path  # big files are mapped, not read whole
        return read_activity(source, name=job.key, crc=crc)
    except DecodeDeferred as exc:
        return FileError(exc.reason, deferred=True)
    except ActivityError as exc:
        return FileError(exc.reason, exc.offset, exc.sha256 if isinstance(exc, ReadError) else None)
    except Exception as exc:  # noqa: BLE001  # one file never stops a sync; the reason says it is a bug
        return internal_error(exc)


#: a worker's open zips (made new in each worker: never shared across a fork)
_worker_archives: Archives | None = None


def _read_chunk(jobs: Sequence[Job], crc: Crc) -> list[Outcome]:
    global _worker_archives
    if _worker_archives is None:
        _worker_archives = Archives()
    return [read_one(job, crc, _worker_archives) for job in jobs]


def _worker_init(parent: int) -> None:
    """In a worker: leave Ctrl-C to the parent, exit when the parent is gone, start the sync's decode budget.

    The parent stops the pool on Ctrl-C; a killed parent (SIGKILL) cannot, so
    each worker watches for it and leaves no process behind.
    """
    global _worker_archives
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_sync_budget()
    _worker_archives = Archives()  # the parent's open zips stay the parent's
    _die_with_parent()
    if os.getppid() != parent:  # gone before the line above took effect
        os._exit(1)

    def watch() -> None:  # elsewhere than Linux, or a parent thread that ends: within half a second
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker the moment its parent dies (``PR_SET_PDEATHSIG``)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the watch thread does it
        pass


def workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


Batch: TypeAlias = list[tuple[Job, Outcome]]


class Reader:
    """Read added files in order; ``store_batch`` gets their outcomes a batch at a time.

    ``then(action)`` runs ``action`` once every file added before it has been
    handed to ``store_batch`` (a zip is marked done after its members). Use as
    a context manager: leaving the block waits for everything (or, on an
    exception, stops the workers without storing what they had not returned).
    """

    def __init__(
        self,
        store_batch: Callable[[Batch], None],
        *,
        crc: Crc = Crc.CHECK,
        pool_after: int | None = None,
        processes: int | None = None,
    ) -> None:
        self._store = store_batch
        self._crc = crc
        set_sync_budget()  # this process's share of the sync's decoding time (each worker gets its own)
        self._archives = Archives()  # zips read in this process
        self._pool_after = POOL_AFTER if pool_after is None else pool_after
        self._processes = processes or workers()
        self._added = 0
        self._read_s = 0.0  # spent reading files in this process before the pool
        self._batch: Batch = []
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._chunk: list[Job] = []
        self._chunk_bytes = 0
        #: in order: jobs sent to workers, with where each one's outcome comes (a task, its index in it),
        #: or an action to run after them
        self._steps: collections.deque[tuple[list[Job], list[tuple[Any, int]]] | Callable[[], None]] = (
            collections.deque()
        )
        self._in_flight = 0
        #: jobs read ahead (``Job.ahead``), by key and entry: the task reading each and its index in it
        self._ahead: dict[tuple[str, object], tuple[Any, int]] = {}
        self._ahead_chunk: list[Job] = []
        self._unsettled = False  # jobs were sent ahead since the listing last came

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                self.finish()
            elif self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        finally:
            self._archives.close()

    @staticmethod
    def job(candidate: Candidate) -> Job:
        """Where a worker finds ``candidate``: its path, or its zip's path and member names."""
        path = str(candidate.path) if candidate.path is not None else None
        archive = str(candidate.archive) if candidate.archive is not None else None
        return Job(candidate.key, candidate.size, candidate.mtime_ns, path, candidate.gz, archive, candidate.members,
                   candidate.entry, candidate.ahead)  # fmt: skip

    def add(self, job: Job) -> None:
        if job.ahead:
            self._read_ahead(job)
            return
        self._settle_ahead()
        self._added += 1
        if (
            self._pool is None
            and self._processes > 1
            and (self._added > self._pool_after or self._read_s > POOL_AFTER_S)
        ):
            self._start_pool()
        if self._pool is None:
            self._catch_up()
            started = time.perf_counter()
            self._batch.append((job, self._read(job)))
            self._read_s += time.perf_counter() - started
            if len(self._batch) >= BATCH_FILES:
                self._flush_batch()
            return
        self._chunk.append(job)
        self._chunk_bytes += job.size
        if len(self._chunk) >= CHUNK_FILES or self._chunk_bytes >= CHUNK_BYTES:
            self._submit()

    def then(self, action: Callable[[], None]) -> None:
        self._settle_ahead()
        if self._pool is None:
            self._catch_up()
            self._flush_batch()
            action()
            return
        self._submit()
        if not self._steps:
            action()
        else:
            self._steps.append(action)

    def finish(self) -> None:
        self._settle_ahead()
        self._flush_batch()
        self._submit()
        self._drain(0)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # --- inside -----------------------------------------------------------------

    def _read_ahead(self, job: Job) -> None:
        """Send ``job`` (read ahead) to a worker, starting the pool for it: a zip is being spooled, and its
        members will be many. Not on one core, nor once the pool broke, nor past :data:`AHEAD_FILES`."""
        if self._processes <= 1 or len(self._ahead) + len(self._ahead_chunk) >= AHEAD_FILES:
            return
        if self._pool is None:
            self._start_pool()
        self._ahead_chunk.append(job)
        if len(self._ahead_chunk) >= CHUNK_FILES:
            self._submit_ahead()

    def _settle_ahead(self) -> None:
        """The listing has come (a file or an action after it): what was read ahead, or is being read, is
        kept for the files that come; what waits for a worker yet is not read ahead (a file of it is read in
        its turn, and one the store has already is not read at all)."""
        self._ahead_chunk.clear()
        if not self._unsettled:
            return
        self._unsettled = False
        for future in {id(f): f for f, _ in self._ahead.values()}.values():
            future.cancel()  # a task a worker has started, or finished, goes on
        self._ahead = {k: v for k, v in self._ahead.items() if not v[0].cancelled()}

    def _submit_ahead(self) -> None:
        jobs, self._ahead_chunk = self._ahead_chunk, []
        if not jobs or self._pool is None:
            return
        import concurrent.futures.process  # imported already when there is a pool

        try:
            future = self._pool.submit(_read_chunk, jobs, self._crc)
        except concurrent.futures.process.BrokenProcessPool:
            return  # read again when their files come, as the pool's breaking says
        for i, job in enumerate(jobs):
            self._ahead[(job.key, job.entry)] = (future, i)
        self._unsettled = True

    def _read(self, job: Job) -> Outcome:
        return read_one(job, self._crc, self._archives)

    def _catch_up(self) -> None:
        """After a broken pool: store what was sent or gathered for it, in order."""
        if self._steps or self._chunk:
            self._submit()
            self._drain(0)

    def _flush_batch(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._store(batch)

    def _start_pool(self) -> None:
        import concurrent.futures  # here: a sync with nothing new never pays for them
        import multiprocessing

        self._flush_batch()
        # fork where it is the platform's safe default: workers start in
        # milliseconds with the FIT profile tables already built
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
        self._pool = concurrent.futures.ProcessPoolExecutor(
            self._processes, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
        )

    def _submit(self) -> None:
        if not self._chunk:
            return
        jobs, self._chunk, self._chunk_bytes = self._chunk, [], 0
        if self._pool is None:  # the pool broke: read them here, after what is in flight
            self._drain(0)
            self._store([(j, self._read(j)) for j in jobs])
            return
        import concurrent.futures.process  # imported already when there is a pool

        # a job read ahead by the same key and entry is not read again: its outcome is taken from there
        sources: list[tuple[Any, int] | None] = [
            self._ahead.pop((j.key, j.entry), None) if j.entry is not None else None for j in jobs
        ]
        rest = [j for j, source in zip(jobs, sources, strict=True) if source is None]
        try:
            future = self._pool.submit(_read_chunk, rest, self._crc) if rest else None
        except concurrent.futures.process.BrokenProcessPool:
            # a worker died before its task came back: finish in this process
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool, self._processes = None, 1
            self._drain(0)
            self._store([(j, self._read(j)) for j in jobs])
            return
        fresh = iter(range(len(rest)))
        self._steps.append((jobs, [s if s is not None else (future, next(fresh)) for s in sources]))
        self._in_flight += 1
        # a few tasks a worker keep every core busy and the bytes in flight bounded
        self._drain(IN_FLIGHT * self._processes)

    def _drain(self, keep: int) -> None:
        if not self._steps:
            return  # nothing sent to a worker: no need for the pool's modules
        import concurrent.futures.process  # imported already when there is a pool

        while self._steps and (self._in_flight > keep or callable(self._steps[0])):
            step = self._steps.popleft()
            if callable(step):
                step()
                continue
            jobs, sources = step
            self._in_flight -= 1
            try:
                outcomes = [future.result()[i] for future, i in sources]
            except (concurrent.futures.process.BrokenProcessPool, concurrent.futures.CancelledError):
                # a worker died (killed, out of memory): read its files here,
                # and every file after them, rather than lose the sync
                outcomes = [self._read(j) for j in jobs]
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool, self._processes = None, 1
            self._store(list(zip(jobs, outcomes, strict=True)))
