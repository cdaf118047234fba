"""A value made from files and the clock, kept until they change: what `fitplug serve` answers from memory.

:class:`Kept` holds the last good value of ``make(now)`` and the key it was made for
(``key(now)``: the stamps of the files it reads, the day, ...). It looks at the key at
most every ``check_every_s``; a call in between costs a comparison. One build at a time:

- inline (the feed): the caller that saw the change builds, the others go on with the
  previous value (only while there is none yet do they wait);
- in the background (the page): a thread of its own builds, and callers wait for it, at
  most ``waiters`` of them at once and each at most ``wait_s``; any other caller gets the
  last good value at once. So a slow build holds few of the server's threads.

A build that fails keeps the last good value and logs one line while the trouble lasts
(:attr:`Kept.trouble`); it is tried again when the key changes, not before.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
#: a file's mtime (ns), size and inode; ``None`` when it is not there or empty
Stamp = tuple[int, int, int] | None


def stamp(path: Path) -> Stamp:
    """What tells a file's change cheaply: its mtime, size and inode (``None``: it cannot be read, or is empty).

    An empty file holds nothing, so it stamps as no file: every reader of the store
    (the page's own render among them) makes SQLite create an empty WAL and remove it
    when done, and that must not look like a sync. A WAL with commits in it is never
    empty, and one emptied by a checkpoint has moved them into the database, whose
    stamp changes.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_size == 0:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def stamps(paths: Iterable[Path]) -> tuple[Stamp, ...]:
    return tuple(stamp(p) for p in paths)


class Kept(Generic[T]):
    """The last good ``make(now)``, made again only when ``key(now)`` changed; thread-safe."""

    def __init__(
        self,
        key: Callable[[dt.datetime], Hashable],
        make: Callable[[dt.datetime], T],
        *,
        clock: Callable[[], dt.datetime],
        trouble: Callable[[Exception], str],
        log: Callable[[str], None],
        check_every_s: float,
        background: bool = False,
        wait_s: float = 0.0,
        waiters: int = 0,
    ) -> None:
        self.key, self.make, self.clock, self.log = key, make, clock, log
        self.check_every_s = check_every_s
        self._worded = trouble
        self.background, self.wait_s = background, wait_s
        self._seats = threading.BoundedSemaphore(max(1, waiters))
        self._look = threading.Lock()
        self._next_check = 0.0
        self._value: T | None = None
        self._made = False
        self._key: Hashable = None
        self._failed: Hashable = None
        self._building: threading.Event | None = None
        self._trouble: str | None = None
        self._closed = False

    @property
    def value(self) -> T | None:
        """The last good value (``None`` before the first)."""
        return self._value

    @property
    def made(self) -> bool:
        """Whether a good value was ever made."""
        return self._made

    @property
    def busy(self) -> bool:
        """Whether a build is under way in the background."""
        return self._building is not None

    @property
    def trouble(self) -> str | None:
        """The warning of the last build, when it failed."""
        return self._trouble

    def warn(self, line: str) -> None:
        """Log ``line`` once while the trouble lasts."""
        if line != self._trouble:
            self._trouble = line
            self.log(f"warning: {line}")

    def close(self) -> None:
        """No more builds nor warnings (the server stopped; a build under way is left to end alone)."""
        self._closed = True

    def fill(self) -> None:
        """Make the first value now, in this thread; errors are raised (fail early)."""
        now = self.clock()
        key = self.key(now)
        self._keep(key, self.make(now))
        self._next_check = time.monotonic() + self.check_every_s

    def start(self) -> None:
        """Look at the key now (a background build starts if it changed), without waiting."""
        self._look_now(force=True)

    def current(self) -> T | None:
        """The value as it stands now, else the last good one (``None``: none yet)."""
        if self._made and self._building is None and time.monotonic() < self._next_check:
            return self._value
        self._look_now(force=False)
        building = self._building
        if building is not None and self._seats.acquire(blocking=False):
            try:
                building.wait(self.wait_s)
            finally:
                self._seats.release()
        return self._value

    def _look_now(self, *, force: bool) -> None:
        if not self._look.acquire(blocking=not self._made and not self.background):
            return  # another thread is looking (or building inline): go on with what there is
        try:
            if not force and self._made and time.monotonic() < self._next_check:
                return
            self._next_check = time.monotonic() + self.check_every_s
            if self._building is not None or self._closed:
                return  # one build at a time; the next look sees what changed meanwhile
            now = self.clock()
            try:
                key = self.key(now)
            except Exception as exc:  # noqa: BLE001  # keep serving the last good value
                self.warn(self._worded(exc))
                return
            if (self._made and key == self._key) or key == self._failed:
                return
            if not self.background:
                self._build(key, now)
                return
            self._building = threading.Event()
            threading.Thread(target=self._build_aside, args=(key, now), name="fitplug-build", daemon=True).start()
        finally:
            self._look.release()

    def _build_aside(self, key: Hashable, now: dt.datetime) -> None:
        done = self._building
        try:
            self._build(key, now)
        finally:
            self._building = None
            if done is not None:
                done.set()

    def _build(self, key: Hashable, now: dt.datetime) -> None:
        try:
            value = self.make(now)
        except Exception as exc:  # noqa: BLE001  # the programme or the store turned bad: the last good value
            self._failed = key
            if not self._closed:
                self.warn(self._worded(exc))
            return
        self._keep(key, value)

    def _keep(self, key: Hashable, value: T) -> None:
        self._value, self._key, self._made, self._failed, self._trouble = value, key, True, None, None
