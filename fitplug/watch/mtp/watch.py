"""A Garmin watch over MTP: its ``GARMIN`` folders, and the install and activity-reading fitplug does there.

The same rules as on a mounted watch (:mod:`fitplug.watch.install`): one
batch, fitplug's own files replaced, strangers' files never touched, stale
own files removed. What differs is the medium: MTP has no rename, so a file
is sent straight into ``NewFiles`` (an object whose data never completes is
dropped by the watch, and by :meth:`Session.send_object` when it can still
talk), and replacing fitplug's own file deletes it first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fitplug.atomic import write_atomic
from fitplug.errors import DeviceError
from fitplug.model import WRITES, Install, InstallResult
from fitplug.watch.fileid import parse_file_id
from fitplug.watch.install import Owner, keep_together
from fitplug.watch.mtp.ptp import ObjectInfo
from fitplug.watch.mtp.session import Session

_IMPORTED = ("workouts", "schedules", "schedule")


@dataclass(frozen=True, slots=True)
class Entry:
    handle: int
    info: ObjectInfo


class MtpWatch:
    """The ``GARMIN`` folder of a watch on an open MTP session."""

    def __init__(self, session: Session, name: str, storage: int, garmin: int) -> None:
        self.session = session
        self.name = name
        self.storage = storage
        self.garmin = garmin

    @classmethod
    def connect(cls, session: Session) -> MtpWatch:
        """Open ``session`` and find the storage holding ``GARMIN``."""
        model = session.device_info().model
        session.open()
        for storage in session.storage_ids():
            for handle in session.object_handles(storage):
                obj = session.object_info(handle)
                if obj.is_folder and obj.name.lower() == "garmin":
                    watch = cls(session, model or "Garmin watch", storage, handle)
                    watch.name = watch._model() or watch.name
                    return watch
        session.close()
        raise DeviceError("the watch on USB has no GARMIN folder in any storage; is it a Garmin watch?")

    def _model(self) -> str:
        entry = self.children(self.garmin).get("garmindevice.xml")
        if entry is None:
            return ""
        text = self.read(entry).decode("utf-8", errors="replace")
        match = re.search(r"<Description>([^<]{1,80})</Description>", text)
        return match.group(1).strip() if match else ""

    def children(self, folder: int) -> dict[str, Entry]:
        """Lower-cased name → entry, for the objects in ``folder``."""
        found: dict[str, Entry] = {}
        for handle in self.session.object_handles(self.storage, folder):
            info = self.session.object_info(handle)
            found.setdefault(info.name.lower(), Entry(handle, info))
        return found

    def folder(self, name: str, *, create: bool = False) -> int | None:
        entry = self.children(self.garmin).get(name.lower())
        if entry is not None:
            if not entry.info.is_folder:
                raise DeviceError(f"GARMIN/{entry.info.name} on the watch is a file, not a folder; "
                                  "the watch cannot import from it")
            return entry.handle
        return self.session.make_folder(self.storage, self.garmin, name) if create else None

    def read(self, entry: Entry) -> bytes:
        return self.session.get_object(entry.handle, entry.info.size)

    def where(self, folder: str) -> str:
        return f"mtp://{self.name}/GARMIN/{folder}"


def install_over_mtp(
    watch: MtpWatch,
    files: Mapping[str, bytes],
    *,
    owner: Owner,
    together: Mapping[str, Iterable[str]] | None = None,
    complete: bool = False,
    dry_run: bool = False,
) -> list[InstallResult]:
    """:func:`fitplug.watch.install.install_files`, over MTP."""
    base = Path(watch.where("NewFiles"))
    newfiles = watch.folder("NewFiles")
    present = watch.children(newfiles) if newfiles is not None else {}
    imported: set[str] = set()
    for key, entry in watch.children(watch.garmin).items():
        if key in _IMPORTED and entry.info.is_folder:
            for sub in watch.children(entry.handle).values():
                if sub.info.name.lower().endswith(".fit"):
                    imported.add(hashlib.sha256(watch.read(sub)).hexdigest())
    plans: dict[str, InstallResult] = {}
    for name, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        here = present.get(name.lower())
        path = base / name
        if here is not None:
            theirs = watch.read(here)
            if hashlib.sha256(theirs).hexdigest() == digest:
                plans[name] = InstallResult(name, Install.ALREADY_THERE, path)
            elif owner.owns_id(name, parse_file_id(theirs)):
                plans[name] = InstallResult(name, Install.WOULD_REPLACE if dry_run else Install.REPLACED, path)
            else:
                plans[name] = InstallResult(name, Install.CONFLICT, path, "a file fitplug did not write")
        elif digest in imported:
            plans[name] = InstallResult(name, Install.ALREADY_THERE, path, "imported by the watch")
        else:
            plans[name] = InstallResult(name, Install.WOULD_COPY if dry_run else Install.COPIED, path)
    keep_together(plans, files, together or {}, dry_run)
    stale: list[InstallResult] = []
    if complete:
        wanted = {n.lower() for n in files}
        for key, entry in sorted(present.items()):
            if key.endswith(".fit") and key not in wanted and owner.owns_id(entry.info.name,
                                                                            parse_file_id(watch.read(entry))):
                stale.append(InstallResult(entry.info.name, Install.WOULD_REMOVE if dry_run else Install.REMOVED,
                                           base / entry.info.name, "no longer in the programme"))
    if dry_run:
        return [*plans.values(), *stale]
    writes = {n: files[n] for n, r in plans.items() if r.status in WRITES}
    if writes:
        free = watch.session.storage_info(watch.storage).free_bytes
        need = sum(len(d) for d in writes.values())
        if free < need:
            raise DeviceError(f"the watch has {free} bytes free, {need} needed; nothing was copied")
        folder = newfiles if newfiles is not None else watch.folder("NewFiles", create=True)
        assert folder is not None
        for name, data in writes.items():
            old = present.get(name.lower())
            if old is not None:  # fitplug's own earlier file (checked above): MTP has no rename
                watch.session.delete_object(old.handle)
            watch.session.send_object(watch.storage, folder, name, data)
    for r in stale:
        entry = present[r.name.lower()]
        watch.session.delete_object(entry.handle)
    return [*plans.values(), *stale]


def copy_activities(watch: MtpWatch, cache: Path) -> list[Path]:
    """Copy ``GARMIN/Activity`` files not yet in ``cache`` (same name and size) there; the new ones.

    ``sync --device mtp`` then reads ``cache`` like any folder of FIT files.
    A transfer that breaks off leaves nothing in ``cache`` (written atomically).
    """
    folder = watch.folder("Activity")
    if folder is None:
        return []
    copied: list[Path] = []
    for entry in watch.children(folder).values():
        name = entry.info.name
        if entry.info.is_folder or not name.lower().endswith(".fit") or "/" in name or name.startswith("."):
            continue
        dest = cache / name
        try:
            if dest.stat().st_size == entry.info.size:
                continue
        except OSError:
            pass
        write_atomic(dest, watch.read(entry))
        copied.append(dest)
    return copied
