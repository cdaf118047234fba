"""Every exception fitplug raises on purpose.

The CLI turns any :class:`FitplugError` into ``Error: <message>`` and exit 1;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def printable(text: str) -> str:
    """``text`` with control and formatting characters escaped (``\\x1b``, ``\\u202e``).

    File names from zips and keys from programme files reach the terminal in
    messages; an escape sequence or a right-to-left override there could
    recolour, hide or reorder what the user reads.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class FitplugError(Exception):
    """Base of every error fitplug raises for bad input or a failed operation."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding in a programme file: where it is and what is wrong."""

    #: key path in the document, e.g. ``exercises.pigeon_pose.hold_s``
    key_path: str
    #: what is wrong, written for the person who edits the file
    message: str
    #: 1-based line in the file, when known
    line: int | None = None

    def format(self, source: str | None) -> str:
        where = ":".join(p for p in (source, str(self.line) if self.line else None) if p)
        head = f"{printable(where)}: " if where else ""
        key = f"{printable(self.key_path)}: " if self.key_path else ""
        return f"{head}{key}{printable(self.message)}"


class ProgrammeError(FitplugError):
    """A programme file is unreadable or invalid; carries every problem found."""

    def __init__(self, source: str | Path | None, problems: Sequence[Problem]) -> None:
        self.source = str(source) if source is not None else None
        self.problems = tuple(problems)
        super().__init__("\n".join(p.format(self.source) for p in self.problems))


class ActivityError(FitplugError):
    """An activity file could not be read; keeps the path and the byte offset."""

    def __init__(self, path: str | Path | None, reason: str, offset: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.reason = reason
        self.offset = offset
        where = self.path or "<bytes>"
        at = f" @ byte {offset}" if offset is not None else ""
        super().__init__(f"{printable(where)}{at}: {printable(reason)}")


class WorkoutFileError(FitplugError):
    """A FIT file is not a workout fitplug can show or encode."""


class StoreError(FitplugError):
    """The SQLite store is unusable (locked, corrupt, from a newer fitplug)."""


class DeviceError(FitplugError):
    """A folder is not a mounted Garmin device, or writing to it failed."""


class OutputError(FitplugError):
    """An output file could not be written (disk full, no permission)."""


class FeedError(FitplugError):
    """The calendar feed cannot be served (a bad token file, an address in use)."""
