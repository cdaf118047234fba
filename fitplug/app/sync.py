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
from fitplug.activities.sources import count_files
from fitplug.activities.store import Store
from fitplug.app.programme import load_programme
from fitplug.app.watch import workout_files
from fitplug.errors import DeviceError, FitplugError
from fitplug.model import Programme, Session
from fitplug.watch.devices import Device, open_device, pick_device
from fitplug.watch.install import InstallResult, Owner, install_files


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
        if known.device is not None and device_root is None:
            raise DeviceError(f"the remembered watch at {known.device} is not plugged in (or not mounted) and "
                              "there are no other sources; plug it in, or name a folder, a watch, a FIT file "
                              "or an export zip (fitplug sync PATH)")
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
    with Store(db_path) as store:
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
    """The post-run workout as ``{file name: FIT bytes}``.

    Taken from the set `fitplug build` and `fitplug install` make (same name
    on the watch, time_created derived from the content), so the file already
    on the watch from `fitplug install` is recognised, not copied twice.
    """
    return {w.file_name: w.data for w in workout_files(programme) if w.session.id == session.id}


def put_post_run_workout(
    device: Device, session: Session, programme: Programme
) -> tuple[list[InstallResult], str | None]:
    """Copy the due post-run workout into the watch's ``GARMIN/NewFiles`` unless it is there.

    It goes as its own batch through the one install path: fitplug's earlier
    copy waiting in ``NewFiles`` is replaced, a stranger's file is left alone,
    and the other workouts waiting there are not touched (it is no schedule's workout).
    """
    try:
        files = post_run_files(session, programme)
        return install_files(device, files, owner=Owner(programme.id)), None
    except FitplugError as exc:
        return [], f"The post-run workout was not put on the watch: {exc}"
