"""``fitplug sync``: read activity files (named and remembered sources, the watch) into the store,
decide what is due, and put the due post-run workout on the watch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fitplug import settings
from fitplug.activities.ingest import SyncResult, sync
from fitplug.activities.rebuild import rebuild
from fitplug.activities.sources import count_files
from fitplug.activities.sqlfile import StoreDamaged
from fitplug.activities.store import Store
from fitplug.app.programme import load_programme
from fitplug.errors import DeviceError, FitplugError
from fitplug.model import Programme, Session
from fitplug.watch.devices import Device, open_device, pick_device
from fitplug.watch.install import InstallResult, install_files
from fitplug.watch.workout import build_workout


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
    device = _watch(device_root, known.device, notes)
    present = _present(merged, notes)
    if not present and device is None:
        raise FitplugError("no sources: name a folder, a watch, a FIT file or an export zip (fitplug sync PATH)")
    programme: Programme | None = None
    if programme_path is not None or known.programme is not None:
        loaded = load_programme(programme_path, remember=True)
        programme = loaded.programme
        if loaded.remembered:
            notes.append(f"Remembered {loaded.path} as the programme for later commands.")
    if device is not None and device.activity_dir.is_dir() and device.activity_dir not in present:
        present.append(device.activity_dir)
    return Plan(present, device, programme, notes)


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
    verify: bool = False,
    progress: Progress | None = None,
) -> tuple[SyncResult, Programme | None]:
    """`fitplug sync`: read new files from the sources (named and remembered) into the store,
    decide what is due, and put the due post-run workout on the watch."""
    plan = plan_sync(sources, programme_file, device_root)
    advance: Callable[[str], None] | None = None
    if progress is not None:
        progress.start(count_files(plan.sources))
        advance = progress.advance
    store: Store | None = None
    try:
        store = Store(db_path)
        store.check()
    except StoreDamaged:
        if store is not None:
            store.close()
        rebuilt = rebuild(db_path, now)
        plan.notes.append(f"The store was damaged: moved to {rebuilt.damaged}; reading every source again into a "
                          f"fresh one ({rebuilt.marks_kept} done mark{'s' if rebuilt.marks_kept != 1 else ''} kept"
                          f"{', some could not be read' if rebuilt.marks_lost else ''}).")
        store = Store(db_path)
    with store:
        result = sync(store, plan.sources, programme=plan.programme, now=now, progress=advance, verify=verify)
    result.notes[:0] = plan.notes
    if plan.programme is not None and plan.device is not None and result.decision is not None:
        due = result.decision.due
        if due and due[-1].session is not None:
            result.installed, note = put_post_run_workout(plan.device, due[-1].session, plan.programme)
            if note:
                result.notes.append(note)
    return result, plan.programme


def post_run_files(session: Session, programme: Programme) -> dict[str, bytes]:
    """The post-run workout as ``{file name: FIT bytes}``; the one place that encodes it.

    Built as `fitplug build` builds it (time_created derived from the content),
    so the file already on the watch from `fitplug install` is recognised, not copied twice.
    """
    built = build_workout(session, programme_id=programme.id)
    return {built.file_name: built.data}


def put_post_run_workout(
    device: Device, session: Session, programme: Programme
) -> tuple[list[InstallResult], str | None]:
    """Copy the due post-run workout into the watch's ``GARMIN/NewFiles`` unless it is there."""
    try:
        return install_files(device, post_run_files(session, programme)), None
    except FitplugError as exc:
        return [], f"The post-run workout was not put on the watch: {exc}"
