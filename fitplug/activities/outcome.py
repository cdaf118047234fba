"""What reading one file gives: its summary, or a :class:`FileError` saying why not.

Shared by the reader (:mod:`fitplug.activities.pool`) and the store, which
keeps it: a module of its own, so that a reader never imports the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from fitplug.model import ActivitySummary

__all__ = ["FileError", "Outcome"]


@dataclass(frozen=True, slots=True)
class FileError:
    """Why a file could not be read (what :meth:`Store.record_batch` keeps for it)."""

    reason: str
    offset: int | None = None
    sha256: str | None = None


#: the outcome of reading one file
Outcome: TypeAlias = ActivitySummary | FileError
