"""Mounted Garmin watches: finding them and their folders (writing to them: :mod:`fitplug.watch.install`).

A watch in USB mass-storage mode shows up as a volume with a ``GARMIN``
folder at its root: under ``/Volumes`` on macOS, as a drive letter on
Windows, under ``/media/$USER`` or ``/run/media/$USER`` on Linux.

Most recent watches speak only MTP. Where the desktop mounts them they are
found the same way, one level deeper (the MTP storage, "Internal Storage"
or "Primary", holds ``GARMIN``):

- GNOME (gvfs): ``$XDG_RUNTIME_DIR/gvfs/mtp:host=…/<storage>/GARMIN``;
- KDE (kio-fuse over kio-mtp): ``$XDG_RUNTIME_DIR/kio-fuse-*/mtp/<device>/<storage>/GARMIN``;
- jmtpfs, simple-mtpfs, go-mtpfs: wherever they were mounted, read from the
  system's mount table (``/proc/self/mounts``), with or without a storage level.

None of these paths has met a real watch: they are modelled on what those
programs document and tested on fake trees.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fitplug.errors import DeviceError
from fitplug.watch.manifest import ACTIVITY, MAX_MANIFEST_BYTES, Manifest, parse_manifest


@dataclass(frozen=True, slots=True)
class Device:
    """A mounted Garmin device."""

    root: Path
    garmin_dir: Path

    @property
    def newfiles_dir(self) -> Path:
        return child_folder(self.garmin_dir, "NewFiles")

    @property
    def activity_dir(self) -> Path:
        """Where the watch keeps its activities: the folder its manifest names for FIT activities, else
        ``GARMIN/Activity``."""
        try:
            manifest = self.manifest()
        except DeviceError:
            manifest = None
        return child_folder(self.garmin_dir, manifest.folder(ACTIVITY, "Activity") if manifest else "Activity")

    @property
    def name(self) -> str:
        """The model from ``GarminDevice.xml`` when there is one (and it reads), else the volume name."""
        try:
            manifest = self.manifest()
        except DeviceError:
            manifest = None
        return (manifest.model if manifest is not None else None) or self._volume_name()

    def manifest(self) -> Manifest | None:
        """``GARMIN/GarminDevice.xml`` read (:func:`parse_manifest`); ``None`` when there is none, a
        :class:`DeviceError` when it is not one."""
        xml = child_folder(self.garmin_dir, "GarminDevice.xml")
        try:
            with xml.open("rb") as f:
                data = f.read(MAX_MANIFEST_BYTES + 1)
        except OSError:
            return None
        return parse_manifest(data, str(xml))

    def _volume_name(self) -> str:
        """The volume's name; for an MTP storage ("Internal Storage"), the device folder's (gvfs: its host)."""
        parent = self.root.parent.name
        if parent.startswith("mtp:host="):
            return parent.removeprefix("mtp:host=")
        return self.root.name or str(self.root)


def child_folder(parent: Path, name: str) -> Path:
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
        names = os.listdir(root)  # names only: an archive folder holds thousands
    except OSError:
        return None
    for name in names:
        # six letters first: no other name is lowered (no non-ASCII letter lowers to one of "garmin")
        if len(name) == 6 and name.lower() == "garmin" and os.path.isdir(os.path.join(root, name)):
            return Path(root, name)
    return None


def open_device(root: Path) -> Device:
    """The device mounted at ``root``; :class:`DeviceError` when it is not one."""
    root = Path(root)
    if not root.is_dir():
        raise DeviceError(f"{root}: no such folder")
    found = garmin_dir(root)
    if found is None:
        storages = device_roots(root)  # an MTP mount: the GARMIN folder is in one of its storages
        if len(storages) == 1:
            return Device(root=storages[0], garmin_dir=garmin_dir(storages[0]) or storages[0] / "GARMIN")
        raise DeviceError(
            f"{root}: not a Garmin device (no GARMIN folder at its root"
            f"{' or in one of its storages' if not storages else '; several storages have one'})"
        )
    return Device(root=root, garmin_dir=found)


#: file systems in the mount table that are MTP devices mounted through FUSE
_MTP_FUSE_TYPES = ("fuse.jmtpfs", "fuse.simple-mtpfs", "fuse.go-mtpfs", "fuse.mtpfs", "fuse.android-file-transfer")


def _children(parent: Path) -> list[Path]:
    try:
        return sorted(p for p in parent.iterdir() if p.is_dir())
    except OSError:
        return []


def desktop_mtp_points(runtime_dir: Path | None = None, mounts: Path | None = None) -> list[Path]:
    """Folders where a desktop or a FUSE program mounted an MTP device (see the module docstring)."""
    if runtime_dir is None:
        env = os.environ.get("XDG_RUNTIME_DIR")
        runtime_dir = Path(env) if env else None
    points: list[Path] = []
    if runtime_dir is not None:
        points += [p for p in _children(runtime_dir / "gvfs") if p.name.startswith("mtp:")]
        try:
            kio = sorted(p for p in runtime_dir.iterdir() if p.name.startswith("kio-fuse-"))
        except OSError:
            kio = []
        for mount in kio:
            points += _children(mount / "mtp")
    points += _fuse_mtp_mounts(mounts or Path("/proc/self/mounts"))
    return points


def _fuse_mtp_mounts(table: Path) -> list[Path]:
    """Mount points of MTP FUSE file systems in a ``/proc/mounts``-style table."""
    try:
        lines = table.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[2] in _MTP_FUSE_TYPES:
            # the table escapes spaces and the like as octal (\040)
            found.append(Path(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])))
    return found


def device_roots(point: Path) -> list[Path]:
    """The folders under a mount point that hold ``GARMIN``: the point itself, or its MTP storages."""
    if garmin_dir(point) is not None:
        return [point]
    return [child for child in _children(point) if garmin_dir(child) is not None]


def mount_points(platform: str | None = None, base: Path | None = None) -> list[Path]:
    """Folders where removable volumes appear on ``platform`` (``sys.platform`` style).

    ``base`` roots the search elsewhere than ``/`` (tests use fake device trees);
    on Linux the desktop's MTP mounts follow (:func:`desktop_mtp_points`).
    """
    platform = platform or sys.platform
    if platform.startswith("win"):
        letters = [f"{c}:" for c in "CDEFGHIJKLMNOPQRSTUVWXYZ"]
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
        points += _children(parent)
    if platform.startswith("linux") and base is None:
        points += desktop_mtp_points()
    return points


def find_devices(points: Iterable[Path] | None = None) -> list[Device]:
    """Every mounted Garmin device among ``points`` (default: this system's mount points)."""
    seen: set[Path] = set()
    devices: list[Device] = []
    for point in mount_points() if points is None else points:
        try:
            if not point.is_dir():
                continue
        except OSError:
            continue
        for root in device_roots(point):
            try:
                real = root.resolve()
            except OSError:
                continue
            found = garmin_dir(root)
            if real in seen or found is None:
                continue
            seen.add(real)
            devices.append(Device(root=root, garmin_dir=found))
    return devices


def pick_device(root: Path | None, points: Iterable[Path] | None = None) -> Device:
    """The device at ``root``, or the only mounted one; a clear error otherwise."""
    if root is not None:
        return open_device(root)
    devices = find_devices(points)
    if not devices:
        raise DeviceError(
            "no Garmin device found; plug the watch in (mounted as a drive, or over MTP by the desktop: "
            "GNOME Files, KDE Dolphin, jmtpfs, simple-mtpfs) or name its folder with --device"
        )
    if len(devices) > 1:
        names = ", ".join(str(d.root) for d in devices)
        raise DeviceError(f"several Garmin devices are mounted ({names}); choose one with --device")
    return devices[0]
