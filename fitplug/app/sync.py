"""``fitplug sync``: read activity files (named and remembered sources, the watch) into the store,
decide what is due, and put the due post-run workout on the watch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fitplug import settings
from fitplug.activities.files.sources import count_bytes
from fitplug.activities.ingest import sync
from fitplug.activities.store.rebuild import rebuild
from fitplug.activities.store.sqlfile import StoreDamaged, seal, sealed
from fitplug.activities.store.store import Store
from fitplug.app.programme import programme_for
from fitplug.app.watch import ChosenWatch, Missing, choose_watch, watch_findings, workout_files
from fitplug.errors import DeviceError, FitplugError
from fitplug.model import InstallResult, Programme, Session, SyncResult
from fitplug.watch.install import Owner, install_files
from fitplug.watch.mtp.watch import Meter, MtpWatch
from fitplug.watch.target import Target


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
    chosen = choose_watch(device_root, optional=True, notes=notes)
    watch = chosen if isinstance(chosen, ChosenWatch) else None
    try:
        present = _present(merged, notes)
        if watch is not None and isinstance(watch.target, MtpWatch):
            watch.target.meter = transfer  # copying the watch's activities over USB can take a while
        activity = watch.activity_folder(notes) if watch is not None else None
        if activity is not None and activity not in present:
            present.append(activity)
        if not present and watch is None:
            if isinstance(chosen, Missing):
                raise DeviceError(chosen.error)
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
        if plan.programme is not None and plan.watch is not None:  # what the watch did with the programme's files
            result.watch = watch_findings(plan.watch.target, plan.programme, now)
        if plan.programme is not None and plan.watch is not None and result.status is not None:
            due = result.status.decision.due
            if due and due[-1].session is not None:
                result.installed, note = put_post_run_workout(plan.watch.target, due[-1].session, plan.programme)
                if note:
                    result.notes.append(note)
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


def post_run_files(session: Session, programme: Programme) -> dict[str, bytes]:
    """The post-run workout as ``{file name: FIT bytes}``.

    Taken from the set `fitplug build` and `fitplug install` make (same name
    on the watch, time_created derived from the content), so the file already
    on the watch from `fitplug install` is recognised, not copied twice.
    """
    return {w.file_name: w.data for w in workout_files(programme, record=True) if w.session.id == session.id}


def put_post_run_workout(
    watch: Target, session: Session, programme: Programme
) -> tuple[list[InstallResult], str | None]:
    """Copy the due post-run workout into the watch's ``GARMIN/NewFiles`` unless it is there.

    It goes as its own batch through the one install path: fitplug's earlier
    copy waiting in ``NewFiles`` is replaced, a stranger's file is left alone,
    and the other workouts waiting there are not touched (it is no schedule's workout).
    """
    try:
        files = post_run_files(session, programme)
        return install_files(watch, files, owner=Owner(programme.id)), None
    except FitplugError as exc:
        return [], f"The post-run workout was not put on the watch: {exc}"
