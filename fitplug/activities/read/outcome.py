"""What reading one file gives: its summary, or a :class:`FileError` saying why not.

Shared by the reader (:mod:`fitplug.activities.read.pool`) and the store, which
keeps it: a module of its own, so that a reader never imports the store.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from fitplug.model import ActivitySummary

__all__ = ["FileError", "Outcome", "internal_error", "shown"]


@dataclass(frozen=True, slots=True)
class FileError:
    """Why a file could not be read (what :meth:`Store.record_batch` keeps for it)."""

    reason: str
    offset: int | None = None
    sha256: str | None = None
    #: not read for want of time in this sync: not remembered, read again next time
    deferred: bool = False


#: the outcome of reading one file
Outcome: TypeAlias = ActivitySummary | FileError


def internal_error(exc: BaseException) -> FileError:
    """A :class:`FileError` for an error fitplug did not expect while reading a file: a bug to report.

    The file is remembered as unreadable like any other (not retried until it
    changes), so one such file never stops a sync, this one or the next.
    """
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return FileError(
        f"internal error: {text[:300]} (a bug in fitplug: please report it, with the file if you can share it)"
    )


def shown(key: str) -> str:
    """A file's key as text to show: bytes of a name that are not UTF-8 become ``\\xff`` escapes.

    A file system may name a file with any bytes; Python gives them as lone
    surrogates (``os.fsdecode``), which no terminal or JSON reader takes.
    """
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return key.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return key


class Crc(enum.Enum):
    """What :func:`read_activity` checks of the FIT CRCs."""

    #: check every header and file CRC (the default, and what ``fitplug sync`` does)
    CHECK = "check"
    #: the fast scanner does not check them; a file it refuses goes to fitdecode, which does
    #: (for benchmarks: with a native CRC the check costs a few per cent)
    SKIP = "skip"
