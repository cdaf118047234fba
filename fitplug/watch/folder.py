"""A watch mounted as a folder (USB mass storage, or an MTP mount the desktop made), as a
:class:`~fitplug.watch.target.Target`; and the stale-file sweep of ``fitplug build``'s output folder.

- **Hostile trees.** Nothing is written outside the device: a ``GARMIN``,
  ``NewFiles`` or target that is a symlink out of it is refused, as is a
  ``NewFiles`` that is a file; links are listed as links and never read.
- **A batch is staged.** Every file is written in ``.fitplug-partial`` at the
  device's root first (never in ``NewFiles``, where the watch would import a
  half-written file), then renamed in; ones left by a killed run are removed
  on the next. Where the mount cannot rename (some MTP mounts), the file is
  written in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from fitplug.errors import DeviceError
from fitplug.watch.devices import Device, child_folder
from fitplug.watch.fileid import read_file_id
from fitplug.watch.install import Owner, stale_names
from fitplug.watch.manifest import Manifest
from fitplug.watch.target import NEWFILES, Kind, WatchFile

#: where temporary files go, at the device's root
PARTIAL_DIR = ".fitplug-partial"
#: temporary names fitplug's atomic writes used to leave in NewFiles (``.name.fit.1a2b3c4d.tmp``)
_OLD_TEMP = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.fit\.[0-9a-f]{8}\.tmp$")
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
#: a rename a desktop's MTP mount may not do; the file is then written in place
_NO_RENAME = {errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EPERM, errno.EIO}


class FolderTarget:
    """The ``GARMIN`` folder of a mounted watch."""

    def __init__(self, device: Device) -> None:
        self.device = device

    @property
    def name(self) -> str:
        return self.device.name

    def location(self, folder: str) -> str:
        return str(child_folder(self.device.garmin_dir, folder))

    def manifest(self) -> Manifest | None:
        return self.device.manifest()

    def list_files(self, folder: str) -> list[WatchFile]:
        root = check_tree(self.device)
        path = child_folder(self.device.garmin_dir, folder)
        if not path.is_dir() or not _inside(path, root):  # a folder the watch imported into, linked out
            return []
        return list_folder(path)

    def read_file(self, folder: str, name: str) -> bytes | None:
        check_tree(self.device)
        return _read(child_folder(self.device.garmin_dir, folder) / name)

    def write_batch(self, folder: str, files: Mapping[str, bytes]) -> None:
        check_tree(self.device)
        clean_partial(self.device)
        if not files:
            return
        target = child_folder(self.device.garmin_dir, folder)
        target.mkdir(parents=True, exist_ok=True)
        check_tree(self.device)  # again, now that it exists
        _write_batch(self.device, target, files)

    def delete_file(self, folder: str, name: str) -> None:
        check_tree(self.device)
        with contextlib.suppress(FileNotFoundError):
            (child_folder(self.device.garmin_dir, folder) / name).unlink()

    def free_bytes(self) -> int:
        try:
            return shutil.disk_usage(self.device.root).free
        except OSError as exc:
            raise DeviceError(f"{self.device.root}: cannot read free space: {exc.strerror}") from exc


def list_folder(folder: Path) -> list[WatchFile]:
    """What a real folder holds, links as links (never followed); ``[]`` when it cannot be read."""
    found: list[WatchFile] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        kind = Kind.LINK if stat.S_ISLNK(st.st_mode) else Kind.FILE if stat.S_ISREG(st.st_mode) else Kind.OTHER
        found.append(WatchFile(entry.name, st.st_size, kind, st.st_mtime))
    return found


def remove_stale_outputs(folder: Path, keep: Iterable[str], owner: Owner) -> list[Path]:
    """Remove fitplug's own ``.fit`` files of this programme in an output folder that ``keep`` lacks."""
    removed: list[Path] = []
    for name in stale_names(list_folder(folder), keep, owner, lambda n: read_file_id(folder / n)):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
            removed.append(folder / name)
    return removed


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
    target = child_folder(device.garmin_dir, NEWFILES)
    if target.is_symlink() and not _inside(target, root):
        raise DeviceError(f"{target}: points outside the device; refusing to write there")
    if target.exists() and not target.is_dir():
        raise DeviceError(
            f"{target} is a file, not a folder; the watch cannot import from it. Move it away and run install again"
        )
    return root


def _read(path: Path) -> bytes | None:
    """A plain file's bytes (not through a link), or ``None``."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            return f.read()
    except OSError:
        return None


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
    """Every file written in ``.fitplug-partial`` first, then renamed into ``target``."""
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
