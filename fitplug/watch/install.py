"""Putting files onto a mounted watch: into ``GARMIN/NewFiles``, where it imports them when unplugged."""

from __future__ import annotations

import enum
import hashlib
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fitplug.atomic import write_atomic
from fitplug.errors import DeviceError
from fitplug.watch.devices import Device

#: folders on the watch where it moves imported files (checked for copies)
_IMPORTED_DIRS = ("Workouts", "Schedules", "WORKOUTS", "SCHEDULES")
#: names fitplug writes are generated; anything else is refused
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.fit$")
#: keep this much free beside what is copied
_HEADROOM_BYTES = 64 * 1024


class Install(enum.StrEnum):
    """What happened to one file put on the watch (the words the CLI and JSON show)."""

    COPIED = "copied"
    WOULD_COPY = "would copy"
    ALREADY_THERE = "already there"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What happened to one file put on the watch."""

    name: str
    status: Install
    path: Path


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def install_files(device: Device, files: Mapping[str, bytes], *, dry_run: bool = False) -> list[InstallResult]:
    """Put ``files`` (name → bytes) into the device's ``GARMIN/NewFiles``.

    Never overwrites a different file, never writes outside the device, checks
    free space first, writes each file atomically. A file whose bytes already
    sit in ``NewFiles`` or where the watch files imported ones is not copied again.
    """
    for name in files:
        if not _SAFE_NAME.match(name):
            raise DeviceError(f"{name!r}: refusing a file name that is not a plain .fit name")
    target = device.newfiles_dir
    if target.exists() and not target.resolve().is_relative_to(device.root.resolve()):
        raise DeviceError(f"{target}: points outside the device; refusing to write there")
    imported = _imported_digests(device)
    results = [_plan(target / name, data, imported, dry_run) for name, data in files.items()]
    to_copy = {r.path: files[r.name] for r in results if r.status is Install.COPIED}
    if to_copy:
        _check_space(device, sum(len(d) for d in to_copy.values()))
        target.mkdir(parents=True, exist_ok=True)
        for dest, data in to_copy.items():
            write_atomic(dest, data)
    return results


def _imported_digests(device: Device) -> set[str]:
    """SHA-256 of every file the watch has imported (moved out of ``NewFiles``)."""
    digests: set[str] = set()
    for sub in _IMPORTED_DIRS:
        folder = device.garmin_dir / sub
        if folder.is_dir():
            digests.update(d for d in map(_digest, folder.glob("*.[fF][iI][tT]")) if d)
    return digests


def _plan(dest: Path, data: bytes, imported: set[str], dry_run: bool) -> InstallResult:
    """What to do with one file: copy it, or why not."""
    digest = hashlib.sha256(data).hexdigest()
    if dest.exists():
        status = Install.ALREADY_THERE if _digest(dest) == digest else Install.CONFLICT
    elif digest in imported:
        status = Install.ALREADY_THERE
    else:
        status = Install.WOULD_COPY if dry_run else Install.COPIED
    return InstallResult(name=dest.name, status=status, path=dest)


def _check_space(device: Device, size: int) -> None:
    need = size + _HEADROOM_BYTES
    try:
        free = shutil.disk_usage(device.root).free
    except OSError as exc:
        raise DeviceError(f"{device.root}: cannot read free space: {exc.strerror}") from exc
    if free < need:
        raise DeviceError(f"{device.root}: only {free} bytes free, {need} needed; nothing was copied")
