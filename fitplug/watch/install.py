"""Putting files onto a mounted watch: one batch into ``GARMIN/NewFiles``, which it imports when unplugged.

- **fitplug owns its files.** A file already in ``NewFiles`` under a name in
  the batch is replaced when its ``file_id`` says fitplug wrote it for this
  programme (:class:`Owner`); anyone else's file is a conflict, left as it is,
  and the rest still goes. With ``complete=True`` (the whole programme),
  fitplug's own files of this programme that are no longer in it are removed
  from ``NewFiles`` before the watch imports them.
- **A batch travels whole.** ``together`` maps a file (``schedule.fit``) to
  the files it names: when it is copied, they are copied with it even when
  the watch has imported them before, because a watch binds a schedule only
  to workouts in the same ``NewFiles`` batch. When one of them cannot go (a
  conflict), the schedule is held back too.
- **Hostile trees.** Nothing is written outside the device: a ``GARMIN``,
  ``NewFiles`` or target that is a symlink out of it is refused, as is a
  ``NewFiles`` that is a file. Temporary files are written in
  ``.fitplug-partial`` at the device's root (never in ``NewFiles``, where the
  watch would import a half-written file) and renamed in; ones left by a
  killed run are removed on the next.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fitplug.errors import DeviceError
from fitplug.model import WRITES, Install, InstallResult
from fitplug.watch.devices import Device
from fitplug.watch.fileid import FileId, read_file_id
from fitplug.watch.workout import serial_number

#: folders on the watch where it moves imported files (checked for copies)
_IMPORTED_DIRS = ("Workouts", "Schedules", "Schedule")
#: names fitplug writes are generated; anything else is refused
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.fit$")
#: keep this much free beside what is copied
_HEADROOM_BYTES = 64 * 1024
#: where temporary files go, at the device's root
PARTIAL_DIR = ".fitplug-partial"
#: temporary names fitplug's atomic writes used to leave in NewFiles (``.name.fit.1a2b3c4d.tmp``)
_OLD_TEMP = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.fit\.[0-9a-f]{8}\.tmp$")
#: ``garmin`` / ``connect``: the file_id fitplug writes (:mod:`fitplug.watch.workout`)
_MANUFACTURER, _PRODUCT = 1, 65534


@dataclass(frozen=True, slots=True)
class Owner:
    """Recognises the files fitplug wrote for one programme by their ``file_id``."""

    programme_id: str

    def owns_id(self, name: str, fid: FileId | None) -> bool:
        return (fid is not None and fid.manufacturer == _MANUFACTURER and fid.product == _PRODUCT
                and fid.serial_number == serial_number(self.programme_id, Path(name).stem))

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is a plain file fitplug wrote under this name for this programme."""
        if path.is_symlink() or not path.is_file():
            return False
        return self.owns_id(path.name, read_file_id(path))


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop
        return False


def check_tree(device: Device) -> Path:
    """The device's real root, after refusing a tree that leads outside it; :class:`DeviceError` says why."""
    root = device.root.resolve()
    if not _inside(device.garmin_dir, root):
        raise DeviceError(f"{device.garmin_dir}: points outside the device; refusing to write there")
    target = device.newfiles_dir
    if target.is_symlink() and not _inside(target, root):
        raise DeviceError(f"{target}: points outside the device; refusing to write there")
    if target.exists() and not target.is_dir():
        raise DeviceError(f"{target} is a file, not a folder; the watch cannot import from it. "
                          "Move it away and run install again")
    return root


def install_files(
    device: Device,
    files: Mapping[str, bytes],
    *,
    owner: Owner | None = None,
    together: Mapping[str, Iterable[str]] | None = None,
    complete: bool = False,
    dry_run: bool = False,
) -> list[InstallResult]:
    """Put ``files`` (name → bytes) into the device's ``GARMIN/NewFiles`` as one batch (see the module).

    Without ``owner`` no file on the watch counts as fitplug's: none is replaced or removed.
    """
    for name in files:
        if not _SAFE_NAME.match(name):
            raise DeviceError(f"{name!r}: refusing a file name that is not a plain .fit name")
    root = check_tree(device)
    target = device.newfiles_dir
    if not dry_run:
        clean_partial(device)
    imported = _imported_digests(device, root)
    plans = {name: _plan(target / name, data, imported, owner, dry_run) for name, data in files.items()}
    keep_together(plans, files, together or {}, dry_run)
    stale = _stale(target, files, owner, dry_run) if complete and owner is not None else []
    writes = {name: files[name] for name, r in plans.items() if r.status in WRITES}
    if writes and not dry_run:
        _check_space(device, sum(len(d) for d in writes.values()))
        target.mkdir(parents=True, exist_ok=True)
        check_tree(device)  # again, now that it exists
        _write_batch(device, target, writes)
    if not dry_run:
        for r in stale:
            with contextlib.suppress(FileNotFoundError):
                r.path.unlink()
    return [*plans.values(), *stale]


def _plan(dest: Path, data: bytes, imported: set[str], owner: Owner | None, dry_run: bool) -> InstallResult:
    """What to do with one file: copy it, replace fitplug's own, or why not."""
    digest = hashlib.sha256(data).hexdigest()
    if dest.is_symlink():
        return InstallResult(dest.name, Install.CONFLICT, dest, "a link, not a file fitplug wrote")
    if dest.exists():
        if _digest(dest) == digest:
            return InstallResult(dest.name, Install.ALREADY_THERE, dest)
        if owner is None or not owner.owns(dest):
            return InstallResult(dest.name, Install.CONFLICT, dest, "a file fitplug did not write")
        return InstallResult(dest.name, Install.WOULD_REPLACE if dry_run else Install.REPLACED, dest)
    if digest in imported:
        return InstallResult(dest.name, Install.ALREADY_THERE, dest, "imported by the watch")
    return InstallResult(dest.name, Install.WOULD_COPY if dry_run else Install.COPIED, dest)


def keep_together(plans: dict[str, InstallResult], files: Mapping[str, bytes],
                   together: Mapping[str, Iterable[str]], dry_run: bool) -> None:
    """A file that goes takes the files it names along; it stays behind when one of them cannot go."""
    for lead, members in together.items():
        plan = plans.get(lead)
        if plan is None or plan.status not in WRITES:
            continue
        names = [m for m in dict.fromkeys(members) if m in files]
        blocked = [m for m in names if plans[m].status is Install.CONFLICT]
        if blocked:
            plans[lead] = InstallResult(lead, Install.HELD_BACK, plan.path,
                                        f"it names {', '.join(blocked)}, which cannot be copied")
            continue
        for m in names:
            if plans[m].status is Install.ALREADY_THERE and plans[m].reason:  # imported, not in NewFiles
                plans[m] = InstallResult(m, Install.WOULD_COPY if dry_run else Install.COPIED, plans[m].path,
                                         f"again, to travel with {lead}")


def _stale(target: Path, files: Mapping[str, bytes], owner: Owner, dry_run: bool) -> list[InstallResult]:
    """fitplug's own files of this programme in ``NewFiles`` that the batch no longer has."""
    if not target.is_dir():
        return []
    status = Install.WOULD_REMOVE if dry_run else Install.REMOVED
    wanted = {n.lower() for n in files}
    return [InstallResult(p.name, status, p, "no longer in the programme")
            for p in sorted(target.iterdir())
            if p.suffix.lower() == ".fit" and p.name.lower() not in wanted and owner.owns(p)]


def _imported_digests(device: Device, root: Path) -> set[str]:
    """SHA-256 of every file the watch has imported (moved out of ``NewFiles``)."""
    digests: set[str] = set()
    wanted = {d.lower() for d in _IMPORTED_DIRS}
    try:
        folders = [p for p in device.garmin_dir.iterdir() if p.name.lower() in wanted]
    except OSError:
        return digests
    for folder in folders:
        if folder.is_dir() and _inside(folder, root):
            digests.update(d for d in map(_digest, folder.glob("*.[fF][iI][tT]")) if d)
    return digests


def clean_partial(device: Device) -> list[Path]:
    """Remove the temporary files a killed run left (in ``.fitplug-partial``, and old-style ones in NewFiles)."""
    removed: list[Path] = []
    partial = device.root / PARTIAL_DIR
    if partial.is_dir() and not partial.is_symlink():
        for p in partial.iterdir():
            if p.is_file() and not p.is_symlink():
                with contextlib.suppress(OSError):
                    p.unlink()
                    removed.append(p)
        with contextlib.suppress(OSError):
            partial.rmdir()
    target = device.newfiles_dir
    if target.is_dir() and not target.is_symlink():
        for p in target.iterdir():
            if _OLD_TEMP.match(p.name) and p.is_file() and not p.is_symlink():
                with contextlib.suppress(OSError):
                    p.unlink()
                    removed.append(p)
    return removed


def _partial_dir(device: Device) -> Path:
    partial = device.root / PARTIAL_DIR
    if partial.is_symlink() or (partial.exists() and not partial.is_dir()):
        raise DeviceError(f"{partial}: not fitplug's folder for partial copies; move it away and run again")
    try:
        partial.mkdir(exist_ok=True)
    except OSError as exc:
        raise DeviceError(f"{device.root}: cannot write to the watch: {exc.strerror or exc}") from exc
    return partial


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
#: a rename a desktop's MTP mount may not do; the file is then written in place
_NO_RENAME = {errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EPERM, errno.EIO}


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, _FLAGS, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            with contextlib.suppress(OSError):  # FUSE mounts may not fsync
                os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def _write_batch(device: Device, target: Path, writes: Mapping[str, bytes]) -> None:
    """Every file written in ``.fitplug-partial`` first, then renamed into ``NewFiles``."""
    partial = _partial_dir(device)
    staged: dict[str, Path] = {}
    try:
        for name, data in writes.items():
            tmp = partial / f"{name}.{secrets.token_hex(4)}"
            _write_file(tmp, data)
            staged[name] = tmp
        for name, tmp in staged.items():
            _move_in(tmp, target / name, writes[name])
    except OSError as exc:
        reason = "the watch is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise DeviceError(f"{target}: could not write: {reason}") from exc
    finally:
        for tmp in staged.values():
            with contextlib.suppress(OSError):
                tmp.unlink()
        with contextlib.suppress(OSError):
            partial.rmdir()


def _move_in(tmp: Path, dest: Path, data: bytes) -> None:
    """Rename ``tmp`` over ``dest``; where the mount cannot rename (some MTP mounts), write ``dest`` itself."""
    try:
        os.replace(tmp, dest)
        return
    except OSError as exc:
        if exc.errno not in _NO_RENAME:
            raise
    with contextlib.suppress(FileNotFoundError):
        dest.unlink()
    _write_file(dest, data)


def _check_space(device: Device, size: int) -> None:
    need = size + _HEADROOM_BYTES
    try:
        free = shutil.disk_usage(device.root).free
    except OSError as exc:
        raise DeviceError(f"{device.root}: cannot read free space: {exc.strerror}") from exc
    if free < need:
        raise DeviceError(f"{device.root}: only {free} bytes free, {need} needed; nothing was copied")


def remove_stale_outputs(folder: Path, keep: Iterable[str], owner: Owner) -> list[Path]:
    """Remove fitplug's own ``.fit`` files of this programme in an output folder that ``keep`` lacks."""
    wanted = {n.lower() for n in keep}
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() == ".fit" and p.name.lower() not in wanted and owner.owns(p):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
    return removed
