"""``fitplug sync``: read activity files (named and remembered sources, the watch) into the store,
decide what is due, and put the due post-run workout on the watch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from fitplug import settings
from fitplug.activities.files.sources import count_bytes
from fitplug.activities.ingest import sync
from fitplug.activities.store.rebuild import rebuild
from fitplug.activities.store.sqlfile import StoreDamaged, seal, sealed
from fitplug.activities.store.store import Store
from fitplug.app.programme import programme_for
from fitplug.errors import DeviceError, FitplugError
from fitplug.model import Programme, SyncResult

if TYPE_CHECKING:
    from fitplug.app.watch import ChosenWatch
    from fitplug.watch.mtp.watch import Meter


class Progress(Protocol):
    """What a sync reports as it goes: the bytes on disk of its sources first, then the share of them each
    piece of work stands for as it is done (a zip's members share its bytes; a nested zip's spooling too)."""

    def start(self, total: int) -> None: ...

    def advance(self, key: str, weight: float) -> None: ...


@dataclass(frozen=True, slots=True)
class Plan:
    """Sources, watch and programme for a sync, after the remembered settings are applied."""

    sources: list[Path]
    #: the watch, chosen once (a mounted one, or over USB MTP with its session open until the sync ends)
    watch: ChosenWatch | None
    programme: Programme | None
    notes: list[str]


def plan_sync(
    sources: Sequence[Path], programme_path: Path | None, device_root: Path | None, transfer: Meter | None = None
) -> Plan:
    """Merge the command line with what was remembered, and remember the result.

    Named sources join the remembered ones; a named watch and programme are
    remembered too. A remembered source or watch that is not there now is
    left out with a note.
    """
    known = settings.remembered()
    notes: list[str] = []
    added = settings.add_sources(sources)
    if added:
        notes.append(
            f"Remembered {', '.join(map(str, added))} as {'a source' if len(added) == 1 else 'sources'} "
            "for later syncs."
        )
    # the sources named here always, whoever remembered them first (another sync at the same moment may
    # have added them after `known` was read: then `added` is empty)
    merged = list(dict.fromkeys([*known.sources, *(Path(p).resolve() for p in sources), *added]))
    # with no watch named or remembered there is none (a sync never looks for one by itself)
    watch, missing = (
        watch_half().sync_watch(device_root, notes, transfer) if device_root or known.device else (None, None)
    )
    try:
        present = _present(merged, notes)
        activity = watch.activity_folder(notes) if watch is not None else None
        if activity is not None and activity not in present:
            present.append(activity)
        if not present and watch is None:
            if missing is not None:
                raise DeviceError(missing)
            raise FitplugError("no sources: name a folder, a watch, a FIT file or an export zip (fitplug sync PATH)")
        programme: Programme | None = None
        if programme_path is not None or known.programme is not None:
            loaded = programme_for(programme_path, remember=True)
            programme = loaded.programme
            if loaded.remembered:
                notes.append(f"Remembered {loaded.path} as the programme for later commands.")
    except BaseException:
        if watch is not None:
            watch.close()
        raise
    return Plan(present, watch, programme, notes)


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
    transfer: Meter | None = None,
) -> SyncResult:
    """`fitplug sync`: read new files from the sources (named and remembered) into the store,
    decide what is due, and put the due post-run workout on the watch. ``progress`` shows the reading,
    ``transfer`` a copy from a watch over USB MTP."""
    plan = plan_sync(sources, programme_file, device_root, transfer)
    try:
        advance: Callable[[str, float], None] | None = None
        if progress is not None:
            progress.start(count_bytes(plan.sources))
            advance = progress.advance
        try:
            with Store(db_path) as store:
                if not sealed(db_path):  # every page, so damage no query of this sync meets is found too
                    store.check()
                result = sync(store, plan.sources, programme=plan.programme, now=now, progress=advance)
        except StoreDamaged:  # found, or met while reading or writing it: rebuild, then the same sync again
            _rebuild(db_path, now, plan.notes)
            with Store(db_path) as store:
                result = sync(store, plan.sources, programme=plan.programme, now=now, progress=advance)
        seal(db_path)  # checked (or rebuilt) and closed: the next sync skips the check if nothing changes it
        result.notes[:0] = plan.notes
        if plan.programme is not None and plan.watch is not None:
            watch_half().after_sync(plan.watch.target, plan.programme, result, now)
    finally:
        if plan.watch is not None:
            plan.watch.close()
    return result


def _rebuild(db_path: Path, now: dt.datetime, notes: list[str]) -> None:
    """A damaged store moved aside and a fresh one started (:func:`rebuild`), with a note.

    Damage is found by SQLite's quick check at the start of every sync (about 6 µs per stored
    activity: 30 ms at 5,000), skipped only when the file is byte for byte as the last sync left it
    (:func:`sealed`), and whenever a command meets it; queries only report it.
    """
    rebuilt = rebuild(db_path, now)
    notes.append(
        f"The store was damaged: moved to {rebuilt.damaged}; reading every source again into a "
        f"fresh one ({rebuilt.marks_kept} done mark{'s' if rebuilt.marks_kept != 1 else ''}"
        f"{f' and {rebuilt.logs_kept} logged' if rebuilt.logs_kept else ''} kept"
        f"{', some could not be read' if rebuilt.marks_lost else ''})."
    )


def watch_half() -> ModuleType:
    """The watch half of a sync (:mod:`fitplug.app.watch`: choosing a watch, reading it, putting the
    due post-run workout on it), loaded only by a sync that has a watch named or remembered.

    It is most of what a sync would import otherwise (the MTP and install code, the workout and feed
    writers): a sync of folders alone starts without it.
    """
    from fitplug.app import watch  # deferred: see above, and tests/test_architecture.py

    return watch
