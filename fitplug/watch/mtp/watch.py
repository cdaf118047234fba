"""A Garmin watch over MTP: its ``GARMIN`` folders as a :class:`~fitplug.watch.target.Target`, and
the activity copy ``sync --device mtp`` reads.

What goes in a batch is decided as on a mounted watch (:mod:`fitplug.watch.install`).
What differs is the medium: MTP has no rename, so a file is sent straight
into ``NewFiles`` (an object whose data never completes is dropped by the
watch, and by :meth:`Session.send_object` when it can still talk), and
replacing fitplug's own file deletes it first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fitplug.atomic import write_atomic
from fitplug.errors import DeviceError
from fitplug.watch.manifest import ACTIVITY, MAX_MANIFEST_BYTES, Manifest, parse_manifest
from fitplug.watch.mtp.ptp import ObjectInfo
from fitplug.watch.mtp.session import Session
from fitplug.watch.target import NEWFILES, Kind, WatchFile


@dataclass(frozen=True, slots=True)
class Entry:
    handle: int
    info: ObjectInfo


#: the largest activity file copied from a watch (what the reader takes: ``activities.files.fitfile.MAX_FIT_BYTES``)
MAX_ACTIVITY_BYTES = 128 * 1024 * 1024
#: the activity file names copied from a watch: plain names, no path, no control character
_SAFE_ACTIVITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,120}\.[Ff][Ii][Tt]")


class Meter(Protocol):
    """What shows a long transfer as it goes (``fitplug.cli.meter.Meter``): its bytes first, then each part."""

    def start(self, total: int) -> None: ...

    def advance(self, key: str, weight: float) -> None: ...

    def close(self) -> None: ...


class MtpWatch:
    """The ``GARMIN`` folder of a watch on an open MTP session."""

    #: shows each batch written and each copy of activities as it goes (``None``: nothing shown)
    meter: Meter | None = None

    def __init__(self, session: Session, name: str, storage: int, garmin: int) -> None:
        self.session = session
        self.name = name
        self.storage = storage
        self.garmin = garmin
        #: what ``GARMIN`` holds, listed once: fitplug makes the only folder that appears there (``NewFiles``)
        self._garmin: dict[str, Entry] | None = None
        #: the last listing of each folder (lower-cased name), so a read does not list the folder again
        self._listed: dict[str, dict[str, Entry]] = {}
        #: the manifest, once read (a 1-tuple: it may be ``None``, no manifest)
        self._manifest: tuple[Manifest | None] | None = None

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
        try:
            manifest = self.manifest()
        except DeviceError:
            return ""
        return (manifest.model or "") if manifest is not None else ""

    def manifest(self) -> Manifest | None:
        """The watch's ``GarminDevice.xml`` (``None``: none), read once a session; :class:`DeviceError` when
        it is not one."""
        if self._manifest is None:
            entry = self._garmin_entries().get("garmindevice.xml")
            if entry is None:
                self._manifest = (None,)
            elif entry.info.size > MAX_MANIFEST_BYTES:
                raise DeviceError(f"GarminDevice.xml: {entry.info.size} bytes is no watch's manifest; not read")
            else:
                self._manifest = (parse_manifest(self.read(entry), "GarminDevice.xml"),)
        return self._manifest[0]

    def children(self, folder: int) -> dict[str, Entry]:
        """Lower-cased name → entry, for the objects in ``folder``."""
        found: dict[str, Entry] = {}
        for handle in self.session.object_handles(self.storage, folder):
            info = self.session.object_info(handle)
            found.setdefault(info.name.lower(), Entry(handle, info))
        return found

    def _garmin_entries(self) -> dict[str, Entry]:
        if self._garmin is None:
            self._garmin = self.children(self.garmin)
        return self._garmin

    def folder(self, name: str, *, create: bool = False) -> int | None:
        entry = self._garmin_entries().get(name.lower())
        if entry is not None:
            if not entry.info.is_folder:
                raise _not_a_folder(entry)
            return entry.handle
        if not create:
            return None
        handle = self.session.make_folder(self.storage, self.garmin, name)
        self._garmin = None  # listed again when next asked
        return handle

    def read(self, entry: Entry) -> bytes:
        return self.session.get_object(entry.handle, entry.info.size)

    def where(self, folder: str) -> str:
        return f"mtp://{self.name}/GARMIN/{folder}"

    # --- the Target (fitplug.watch.target) --------------------------------------------------

    def location(self, folder: str) -> str:
        return self.where(folder)

    def _entries(self, folder: str) -> dict[str, Entry]:
        """Lower-cased name → entry in ``GARMIN/<folder>``; ``{}`` when it is not there.

        ``NewFiles`` that is a file is an error (the watch cannot import from it); any other such name holds nothing.
        """
        entry = self._garmin_entries().get(folder.lower())
        if entry is None:
            return {}
        if not entry.info.is_folder:
            if folder.lower() == NEWFILES.lower():
                raise _not_a_folder(entry)
            return {}
        return self.children(entry.handle)

    def list_files(self, folder: str) -> list[WatchFile]:
        entries = self._entries(folder)
        self._listed[folder.lower()] = entries
        return [
            WatchFile(e.info.name, e.info.size, Kind.OTHER if e.info.is_folder else Kind.FILE, _when(e.info.modified))
            for e in entries.values()
        ]

    def _entry(self, folder: str, name: str) -> Entry | None:
        listed = self._listed.get(folder.lower())
        if listed is None or name.lower() not in listed:
            listed = self._listed[folder.lower()] = self._entries(folder)
        return listed.get(name.lower())

    def read_file(self, folder: str, name: str) -> bytes | None:
        entry = self._entry(folder, name)
        if entry is None or entry.info.is_folder:
            return None
        return self.read(entry)

    def write_batch(self, folder: str, files: Mapping[str, bytes]) -> None:
        if not files:
            return
        handle = self.folder(folder, create=True)
        assert handle is not None
        present = self._listed.pop(folder.lower(), None)  # the plan's listing, when it made one
        if present is None:
            present = self.children(handle)
        if self.meter is not None:
            self.meter.start(sum(len(d) for d in files.values()))
        try:
            for name, data in files.items():
                old = present.get(name.lower())
                if old is not None:  # fitplug's own earlier file (the plan checked): MTP has no rename
                    self.session.delete_object(old.handle)
                self.session.send_object(self.storage, handle, name, data)
                if self.meter is not None:
                    self.meter.advance(name, len(data))
        finally:
            if self.meter is not None:
                self.meter.close()

    def delete_file(self, folder: str, name: str) -> None:
        entry = self._entry(folder, name)
        if entry is not None:
            self.session.delete_object(entry.handle)
            self._listed.pop(folder.lower(), None)

    def free_bytes(self) -> int:
        return self.session.storage_info(self.storage).free_bytes


def _when(text: str) -> float | None:
    """An MTP date (``20261121T070000``, perhaps with a zone or tenths) as seconds since the epoch (UTC
    when it names no zone: the watch's clock, close enough to order files by)."""
    import datetime as dt

    match = re.match(r"(\d{8}T\d{6})", text or "")
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        return None


def _not_a_folder(entry: Entry) -> DeviceError:
    return DeviceError(
        f"GARMIN/{entry.info.name} on the watch is a file, not a folder; the watch cannot import from it"
    )


def copy_activities(watch: MtpWatch, cache: Path) -> list[Path]:
    """Copy ``GARMIN/Activity`` files not yet in ``cache`` (same name and size) there; the new ones.

    ``sync --device mtp`` then reads ``cache`` like any folder of FIT files.
    A transfer that breaks off leaves nothing in ``cache`` (written atomically).
    """
    try:
        manifest = watch.manifest()
    except DeviceError:
        manifest = None
    # the folder the watch's manifest names for its activities, else the usual one
    folder = watch.folder(manifest.folder(ACTIVITY, "Activity") if manifest is not None else "Activity")
    if folder is None:
        return []
    todo: list[tuple[Entry, Path]] = []
    for entry in watch.children(folder).values():
        name = entry.info.name
        if entry.info.is_folder or not _SAFE_ACTIVITY.fullmatch(name) or entry.info.size > MAX_ACTIVITY_BYTES:
            continue  # not a FIT file, a name no file here should get (a NUL, a path, ..), or larger than any
        dest = cache / name
        try:
            if dest.stat().st_size == entry.info.size:
                continue
        except OSError:
            pass
        todo.append((entry, dest))
    meter = watch.meter if todo else None
    if meter is not None:
        meter.start(sum(max(0, e.info.size) for e, _ in todo))
    copied: list[Path] = []
    try:
        for entry, dest in todo:
            write_atomic(dest, watch.read(entry))
            copied.append(dest)
            if meter is not None:
                meter.advance(dest.name, max(0, entry.info.size))
    finally:
        if meter is not None:
            meter.close()
    return copied
