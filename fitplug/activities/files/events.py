"""What walking the sources yields, one event per file: read it, it was refused, a zip starts or ends.

Each event carries its ``weight``: the share of the sources' bytes on disk it stands for, so a
progress bar moves with the work (a zip's bytes shared out among its members by their sizes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Candidate:
    """A FIT file found in a source, not read yet."""

    #: stable identity: an absolute path, or ``archive.zip!member`` (``!`` per zip level)
    key: str
    size: int
    #: modification time of the file, or of the outermost zip for a member
    mtime_ns: int
    #: returns the FIT bytes (gunzipped); raises :class:`ActivityError` with a reason.
    #: Call it before asking :func:`scan` for the next event: a zip member can only
    #: be read while its archive is open.
    read: Callable[[], bytes]
    #: the file on disk (``.fit`` or ``.fit.gz``), which any process can read
    #: later by itself; ``None`` for a zip member
    path: Path | None = None
    #: the file (or member) is gzipped
    gz: bool = False
    #: a zip member: the zip on disk to open (the outermost, or the spool a sync
    #: inflated a nested zip into), and the member names from it down to the
    #: file (one per zip level), for :meth:`Archives.read`
    archive: Path | None = None
    members: tuple[str, ...] = ()
    #: the share of the sources' bytes on disk this file stands for (a progress bar's unit)
    weight: float = 0.0
    #: a member of a spooled zip: where it starts, its compressed and stated sizes, CRC-32, method and flag
    #: bits (:data:`~.ahead.Entry`), when its zip's listing says what its local header said (so a reading
    #: of it made ahead, from that header, reads the same bytes the same way); else ``None``
    entry: tuple[int, int, int, int, int, int] | None = None
    #: not a file to store but a member to read ahead, while its zip is still being spooled: the
    #: listing may yet name it (a :class:`Candidate` with the same ``key`` and ``entry``) or not;
    #: ``members`` says its name as its local header does, ``size`` is -1 (no store has it)
    ahead: bool = False


@dataclass(frozen=True, slots=True)
class Refused:
    """A file or zip member that was not read, and why."""

    key: str
    size: int
    mtime_ns: int
    reason: str
    weight: float = 0.0


@dataclass(frozen=True, slots=True)
class ContainerStart:
    """A zip is about to be opened; ``skip`` it when the caller already has all of it."""

    key: str
    size: int
    mtime_ns: int
    #: its share of the sources' bytes: done at once when it is skipped, else by its members
    weight: float = 0.0


@dataclass(frozen=True, slots=True)
class ContainerDone:
    """Every member of a zip has been yielded."""

    key: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class Tick:
    """Part of the work is done (a nested zip spooled this far): ``weight`` of the sources' bytes."""

    weight: float


Event = Candidate | Refused | ContainerStart | ContainerDone | Tick


def is_fit_name(name: str) -> bool:
    return name.lower().endswith((".fit", ".fit.gz"))


def is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")
