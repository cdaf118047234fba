"""Mounted Garmin watches: finding them and their folders (writing to them: :mod:`fitplug.watch.install`).

A watch in USB mass-storage mode shows up as a volume with a ``GARMIN``
folder at its root: under ``/Volumes`` on macOS, as a drive letter on
Windows, under ``/media/$USER`` or ``/run/media/$USER`` on Linux. Watches
that only speak MTP (most recent ones on macOS) need an MTP client to mount
them first; fitplug then works on the folder that client shows.
"""

from __future__ import annotations

import os
import re
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fitplug.errors import DeviceError


@dataclass(frozen=True, slots=True)
class Device:
    """A mounted Garmin device."""

    root: Path
    garmin_dir: Path

    @property
    def newfiles_dir(self) -> Path:
        return _child(self.garmin_dir, "NewFiles")

    @property
    def activity_dir(self) -> Path:
        return _child(self.garmin_dir, "Activity")

    @property
    def name(self) -> str:
        """The model from ``GarminDevice.xml`` when there is one, else the volume name."""
        xml = self.garmin_dir / "GarminDevice.xml"
        try:
            text = xml.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            return self.root.name or str(self.root)
        match = re.search(r"<Description>([^<]{1,80})</Description>", text)
        return match.group(1).strip() if match else (self.root.name or str(self.root))


def _child(parent: Path, name: str) -> Path:
    """``parent/name``, reusing an existing folder whose name differs only in case."""
    try:
        for entry in parent.iterdir():
            if entry.name.lower() == name.lower() and entry.is_dir():
                return entry
    except OSError:
        pass
    return parent / name


def garmin_dir(root: Path) -> Path | None:
    """The ``GARMIN`` folder at ``root`` (any case), or ``None``."""
    try:
        with os.scandir(root) as it:  # no Path per entry: an archive folder holds thousands
            for entry in it:
                if entry.name.lower() == "garmin" and entry.is_dir():
                    return Path(root, entry.name)
    except OSError:
        return None
    return None


def open_device(root: Path) -> Device:
    """The device mounted at ``root``; :class:`DeviceError` when it is not one."""
    root = Path(root)
    if not root.is_dir():
        raise DeviceError(f"{root}: no such folder")
    found = garmin_dir(root)
    if found is None:
        raise DeviceError(f"{root}: not a Garmin device (no GARMIN folder at its root)")
    return Device(root=root, garmin_dir=found)


def mount_points(platform: str | None = None, base: Path | None = None) -> list[Path]:
    """Folders where removable volumes appear on ``platform`` (``sys.platform`` style).

    ``base`` roots the search elsewhere than ``/`` (tests use fake device trees).
    """
    platform = platform or sys.platform
    if platform.startswith("win"):
        letters = [f"{c}:" for c in string.ascii_uppercase if c not in "AB"]
        if base is not None:
            return [base / c[0] for c in letters]
        return [Path(f"{c}\\") for c in letters]
    root = base or Path("/")
    parents: list[Path]
    if platform == "darwin":
        parents = [root / "Volumes"]
    else:
        user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
        parents = [root / "run" / "media" / user, root / "media" / user, root / "media", root / "mnt"]
        if not user:
            parents = parents[2:]
    points: list[Path] = []
    for parent in parents:
        try:
            points += sorted(p for p in parent.iterdir() if p.is_dir())
        except OSError:
            continue
    return points


def find_devices(points: Iterable[Path] | None = None) -> list[Device]:
    """Every mounted Garmin device among ``points`` (default: this system's mount points)."""
    seen: set[Path] = set()
    devices: list[Device] = []
    for point in mount_points() if points is None else points:
        try:
            if not point.is_dir():
                continue
            real = point.resolve()
        except OSError:
            continue
        if real in seen:
            continue
        found = garmin_dir(point)
        if found is not None:
            seen.add(real)
            devices.append(Device(root=point, garmin_dir=found))
    return devices


def pick_device(root: Path | None, points: Iterable[Path] | None = None) -> Device:
    """The device at ``root``, or the only mounted one; a clear error otherwise."""
    if root is not None:
        return open_device(root)
    devices = find_devices(points)
    if not devices:
        raise DeviceError(
            "no Garmin device found; plug the watch in (USB storage mode) or name it with --device"
        )
    if len(devices) > 1:
        names = ", ".join(str(d.root) for d in devices)
        raise DeviceError(f"several Garmin devices are mounted ({names}); choose one with --device")
    return devices[0]
