"""``fitplug sync``: read activity files (named and remembered sources, the watch) into the store,
decide what is due, and put the due post-run workout on the watch."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fitplug import settings
from fitplug.activities.files.sources import count_files
from fitplug.activities.ingest import sync
from fitplug.activities.store.rebuild import rebuild
from fitplug.activities.store.sqlfile import StoreDamaged
from fitplug.activities.store.store import Store
from fitplug.app.programme import programme_for
from fitplug.app.watch import wants_mtp, workout_files
from fitplug.errors import DeviceError, FitplugError
from fitplug.model import InstallResult, Programme, Session, SyncResult
from fitplug.watch.devices import Device, open_device, pick_device
from fitplug.watch.install import Owner, install_files
from fitplug.watch.mtp.usb import connect_usb_watch
from fitplug.watch.mtp.watch import MtpWatch, copy_activities, install_over_mtp


class Progress(Protocol):
    """What a sync reports as it goes: the number of files first, then each file done."""

    def start(self, total: int) -> None: ...

    def advance(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Plan:
    """Sources, watch and programme for a sync, after the remembered settings are applied."""

    sources: list[Path]
    device: Device | None
    programme: Programme | None
    notes: list[str]
    #: the watch over USB MTP (``--device mtp``), its session open until the sync ends
    mtp: MtpWatch | None = None


def plan_sync(sources: Sequence[Path], programme_path: Path | None, device_root: Path | None) -> Plan:
    """Merge the command line with what was remembered, and remember the result.

    Named sources join the remembered ones; a named watch and programme are
    remembered too. A remembered source or watch that is not there now is
    left out with a note.
    """
    known = settings.remembered()
    notes: list[str] = []
    added = settings.add_sources(sources)
    if added:
        notes.append(f"Remembered {', '.join(map(str, added))} as {'a source' if len(added) == 1 else 'sources'} "
                     "for later syncs.")
    merged = list(dict.fromkeys([*known.sources, *added]))
    mtp: MtpWatch | None = None
    device: Device | None = None
    if wants_mtp(device_root):
        mtp = _mtp_watch(device_root is not None, notes)
    else:
        device = _watch(device_root, known.device, notes)
    present = _present(merged, notes)
    if mtp is not None:
        present.append(_mtp_activities(mtp, notes))
    if not present and device is None:
        if settings.is_mtp(known.device) and device_root is None:
            raise DeviceError("the remembered watch over USB MTP is not connected and there are no other "
                              "sources; plug it in, or name a folder, a watch, a FIT file or an export zip")
        if known.device is not None and device_root is None:
            raise DeviceError(f"the remembered watch at {known.device} is not plugged in (or not mounted) and "
                              "there are no other sources; plug it in, or name a folder, a watch, a FIT file "
                              "or an export zip (fitplug sync PATH)")
        raise FitplugError("no sources: name a folder, a watch, a FIT file or an export zip (fitplug sync PATH)")
    programme: Programme | None = None
    if programme_path is not None or known.programme is not None:
        loaded = programme_for(programme_path, remember=True)
        programme = loaded.programme
        if loaded.remembered:
            notes.append(f"Remembered {loaded.path} as the programme for later commands.")
    if device is not None and device.activity_dir.is_dir() and device.activity_dir not in present:
        present.append(device.activity_dir)
    return Plan(present, device, programme, notes, mtp)


def _mtp_watch(named: bool, notes: list[str]) -> MtpWatch | None:
    """The watch over USB MTP; a remembered one that is not connected is left out with a note."""
    try:
        watch = connect_usb_watch()
    except DeviceError as exc:
        if named:
            raise
        notes.append(f"The remembered watch over USB MTP is not connected ({exc}); reading the other sources.")
        return None
    if named and settings.remember(device=Path(settings.MTP)):
        notes.append("Remembered the watch over USB MTP for later syncs.")
    return watch


def _mtp_activities(watch: MtpWatch, notes: list[str]) -> Path:
    """Copy the watch's new activity files into the data folder; that folder, to read like any other."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", watch.name).strip("-.") or "watch"
    cache = settings.data_dir() / "mtp" / slug / "Activity"
    try:
        copied = copy_activities(watch, cache)
    except FitplugError:
        watch.session.close()
        raise
    if copied:
        notes.append(f"Copied {len(copied)} activity file{'s' if len(copied) != 1 else ''} from {watch.name} "
                     f"over MTP into {cache}.")
    return cache


def _watch(named: Path | None, remembered: Path | None, notes: list[str]) -> Device | None:
    """The watch named (and then remembered), or the remembered one if it is mounted."""
    if named is not None:
        device = pick_device(named)
        if settings.remember(device=device.root):
            notes.append(f"Remembered the watch at {device.root} for later syncs.")
        return device
    if remembered is None:
        return None
    try:
        return open_device(remembered)
    except DeviceError:
        notes.append(f"The watch at {remembered} is not mounted; reading the other sources.")
        return None


def _present(sources: list[Path], notes: list[str]) -> list[Path]:
    """The sources that are there now; a note for each that is not."""
    present = [p for p in sources if p.exists()]
    notes += [f"Source {p} is not there now; skipped." for p in sources if p not in present]
    return present


def sync_activities(
    sources: Sequence[Path],
    *,
    programme_file: Path | None,
    device_root: Path | None,
    db_path: Path,
    now: dt.datetime,
    progress: Progress | None = None,
) -> SyncResult:
    """`fitplug sync`: read new files from the sources (named and remembered) into the store,
    decide what is due, and put the due post-run workout on the watch."""
    plan = plan_sync(sources, programme_file, device_root)
    try:
        advance: Callable[[str], None] | None = None
        if progress is not None:
            progress.start(count_files(plan.sources))
            advance = progress.advance
        try:
            with Store(db_path) as store:
                result = sync(store, plan.sources, programme=plan.programme, now=now, progress=advance)
        except StoreDamaged:  # met while reading or writing it: rebuild, then the same sync again
            _rebuild(db_path, now, plan.notes)
            with Store(db_path) as store:
                result = sync(store, plan.sources, programme=plan.programme, now=now, progress=advance)
        result.notes[:0] = plan.notes
        watch = plan.device or plan.mtp
        if plan.programme is not None and watch is not None and result.status is not None:
            due = result.status.decision.due
            if due and due[-1].session is not None:
                result.installed, note = put_post_run_workout(watch, due[-1].session, plan.programme)
                if note:
                    result.notes.append(note)
    finally:
        if plan.mtp is not None:
            plan.mtp.session.close()
    return result


def _rebuild(db_path: Path, now: dt.datetime, notes: list[str]) -> None:
    """A damaged store moved aside and a fresh one started (:func:`rebuild`), with a note.

    Damage is found when a command meets it (SQLite reports it), not by checking the
    whole file on every sync: that would cost a warm sync time that grows with the store.
    """
    rebuilt = rebuild(db_path, now)
    notes.append(f"The store was damaged: moved to {rebuilt.damaged}; reading every source again into a "
                 f"fresh one ({rebuilt.marks_kept} done mark{'s' if rebuilt.marks_kept != 1 else ''} kept"
                 f"{', some could not be read' if rebuilt.marks_lost else ''}).")


def post_run_files(session: Session, programme: Programme) -> dict[str, bytes]:
    """The post-run workout as ``{file name: FIT bytes}``.

    Taken from the set `fitplug build` and `fitplug install` make (same name
    on the watch, time_created derived from the content), so the file already
    on the watch from `fitplug install` is recognised, not copied twice.
    """
    return {w.file_name: w.data for w in workout_files(programme) if w.session.id == session.id}


def put_post_run_workout(
    device: Device | MtpWatch, session: Session, programme: Programme
) -> tuple[list[InstallResult], str | None]:
    """Copy the due post-run workout into the watch's ``GARMIN/NewFiles`` unless it is there.

    It goes as its own batch through the one install path: fitplug's earlier
    copy waiting in ``NewFiles`` is replaced, a stranger's file is left alone,
    and the other workouts waiting there are not touched (it is no schedule's workout).
    """
    try:
        files = post_run_files(session, programme)
        if isinstance(device, MtpWatch):
            return install_over_mtp(device, files, owner=Owner(programme.id)), None
        return install_files(device, files, owner=Owner(programme.id)), None
    except FitplugError as exc:
        return [], f"The post-run workout was not put on the watch: {exc}"
