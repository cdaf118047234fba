"""What fitplug needs of a watch to put a batch on it: the one interface both transports offer.

A :class:`Target` is a watch's ``GARMIN`` folder; folders are named as they
are under it (``NewFiles``, ``Workouts``), in any case. Two implementations:

- :class:`fitplug.watch.folder.FolderTarget`, a watch mounted as a folder
  (USB mass storage, or an MTP mount the desktop made): a batch is staged in
  ``.fitplug-partial`` and renamed in, and trees that lead out of the device
  are refused;
- :class:`fitplug.watch.mtp.watch.MtpWatch`, a watch over USB MTP: MTP has
  no rename, so a batch is sent straight into the folder (an object whose
  data never completes is dropped by the watch).

What goes and what stays is decided once, for both, by
:mod:`fitplug.watch.install`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from fitplug.watch.manifest import Manifest

#: where the watch looks for new files; it imports them when it is unplugged
NEWFILES = "NewFiles"
#: folders the watch moves imported workouts and schedules into
IMPORTED = ("Workouts", "Schedules", "Schedule")


class Kind(enum.Enum):
    """What a name in a folder on the watch is."""

    #: a plain file
    FILE = "file"
    #: a symbolic link (only a mounted tree has them): never read, written through or counted as fitplug's
    LINK = "link"
    #: a folder, or anything else that is not a plain file
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class WatchFile:
    """One name in a folder on the watch."""

    name: str
    size: int
    kind: Kind = Kind.FILE
    #: when it was last changed (seconds since the epoch; the watch's clock over MTP), when known
    mtime: float | None = None


class Target(Protocol):
    """A watch's ``GARMIN`` folder, as fitplug reads and writes it."""

    @property
    def name(self) -> str:
        """What the watch is called (its model, else its volume)."""
        ...

    def location(self, folder: str) -> str:
        """Where ``folder`` is, in words a runner can find it by (a path, or ``mtp://<watch>/GARMIN/…``)."""
        ...

    def list_files(self, folder: str) -> list[WatchFile]:
        """What ``folder`` holds; ``[]`` when it is not there.

        A ``NewFiles`` that cannot take files (a file, or a link out of the device) is a :class:`DeviceError`.
        """
        ...

    def read_file(self, folder: str, name: str) -> bytes | None:
        """The bytes of a plain file, or ``None`` when it cannot be read; a lost watch is a :class:`DeviceError`."""
        ...

    def write_batch(self, folder: str, files: Mapping[str, bytes]) -> None:
        """Put ``files`` (name → bytes) into ``folder``, replacing files of those names, as one batch.

        All or nothing as far as the medium allows; ``folder`` is made when it is not there.
        An empty batch writes nothing (a folder still tidies what a killed run left).
        """
        ...

    def delete_file(self, folder: str, name: str) -> None:
        """Remove a file; one that is already gone is no error."""
        ...

    def manifest(self) -> Manifest | None:
        """The watch's ``GarminDevice.xml`` (``None``: it has none); :class:`DeviceError` when it is not one."""
        ...

    def free_bytes(self) -> int:
        """Free space on the watch's storage."""
        ...
