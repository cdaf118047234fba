"""A progress bar on stderr for long work, drawn only on a terminal (:class:`fitplug.app.sync.Progress`).

It counts the work that is really there: the bytes of the sources on disk, each zip's bytes shared
out among its members as they are read. The time left is worked out from the work done so far and
shown only once it means something (a twentieth of the work, and a second, behind it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

#: the time left is shown only once this share of the work is done ...
ETA_AFTER_SHARE = 0.05
#: ... and this many seconds have passed
ETA_AFTER_S = 1.0
#: redraw at most this often (seconds), unless the whole percent changed
_REDRAW_S = 0.2
_WIDTH = 30


def duration(seconds: float) -> str:
    """``4 s``, ``1 min 20 s``, ``2 h 05 min``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Meter:
    """``Reading  42% [############..................] about 6 s left``, redrawn in place."""

    def __init__(
        self, label: str = "Reading", stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.total = 1.0
        self.done = 0.0
        self._start = 0.0
        self._shown: tuple[int, float] | None = None  # (percent, when) of the last draw
        self.drawn: list[str] = []  # every line drawn, for whoever wants to look back (tests)

    def start(self, total: int) -> None:
        self.total, self.done, self._start = float(max(1, total)), 0.0, self.clock()
        self._draw(force=True)

    def advance(self, key: str, weight: float) -> None:
        self.done = min(self.total, self.done + max(0.0, weight))
        if self.total - self.done < 0.5:  # shares of a zip's bytes add up to it within a rounding error
            self.done = self.total
        self._draw()

    def eta(self) -> float | None:
        """Seconds left, from the pace so far; ``None`` until it means something."""
        share = self.done / self.total
        elapsed = self.clock() - self._start
        if share < ETA_AFTER_SHARE or elapsed < ETA_AFTER_S or share >= 1.0:
            return None
        return elapsed * (1.0 - share) / share

    def line(self) -> str:
        share = self.done / self.total
        percent = int(share * 100)
        filled = int(share * _WIDTH)
        text = f"{self.label} {percent:3d}% [{'#' * filled}{'.' * (_WIDTH - filled)}]"
        left = self.eta()
        return text + (f" about {duration(left)} left" if left is not None else "")

    def _draw(self, force: bool = False) -> None:
        now = self.clock()
        percent = int(self.done / self.total * 100)
        if not force and self._shown is not None and self._shown[0] == percent and now - self._shown[1] < _REDRAW_S:
            return
        self._shown = (percent, now)
        text = self.line()
        self.drawn.append(text)
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()

    def close(self) -> None:
        """The last line, as it stands, then a new line (the rest of the output goes below it)."""
        if self._shown is not None:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
