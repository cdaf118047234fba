"""Watch commands: ``build`` (workouts, schedule and feed into a folder), ``install``, ``show``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fitplug import settings
from fitplug.app.calendar import calendar_feed, read_previous, recorded_due_items
from fitplug.app.programme import programme_for
from fitplug.atomic import write_all_atomic
from fitplug.errors import DeviceError
from fitplug.model import InstallResult, PlannedSession, Programme
from fitplug.programme.schedule import upcoming
from fitplug.programme.watch_limits import MAX_SCHEDULE_ENTRIES, all_workouts
from fitplug.watch.devices import Device, open_device, pick_device
from fitplug.watch.install import Owner, install_files, remove_stale_outputs
from fitplug.watch.mtp.usb import (
    connect_usb_watch,  # pyusb itself is imported only when a watch is opened
)
from fitplug.watch.mtp.watch import install_over_mtp
from fitplug.watch.view import WorkoutView, read_workout
from fitplug.watch.workout import (
    ScheduleEntry,
    WorkoutFile,
    build_schedule,
    build_workout,
    check_unique_serials,
)

#: the schedules file's name
SCHEDULE_FILE = "schedule.fit"


@dataclass(frozen=True, slots=True)
class WorkoutSet:
    """Everything ``fitplug build`` and ``fitplug install`` put out, built in memory."""

    programme: Programme
    workouts: tuple[WorkoutFile, ...]
    #: the schedules file's bytes, or ``None`` when no session has weekdays
    schedule: bytes | None
    #: the sessions the schedule lists, in date order
    scheduled: tuple[PlannedSession, ...]

    def files(self) -> dict[str, bytes]:
        """File name → bytes: one workout per session and post-run variant, then ``schedule.fit``."""
        files = {w.file_name: w.data for w in self.workouts}
        if self.schedule is not None:
            files[SCHEDULE_FILE] = self.schedule
        return files

    def together(self) -> dict[str, list[str]]:
        """``schedule.fit`` → the workouts it names: they go to the watch in one batch."""
        if self.schedule is None:
            return {}
        by_id = {w.session.id: w.file_name for w in self.workouts}
        return {SCHEDULE_FILE: list(dict.fromkeys(by_id[p.session.id] for p in self.scheduled))}

    def owner(self) -> Owner:
        return Owner(self.programme.id)


def workout_files(programme: Programme, *, created: dt.datetime | None = None) -> tuple[WorkoutFile, ...]:
    """Every session and post-run variant encoded, with the names the watch tells apart."""
    workouts = tuple(build_workout(s, programme_id=programme.id, created=created) for s in all_workouts(programme))
    check_unique_serials(workouts)
    return workouts


def workout_set(programme: Programme, *, now: dt.datetime, created: dt.datetime | None = None) -> WorkoutSet:
    """Encode every session and post-run variant, and the schedule of the next sessions after ``now``.

    ``created`` fixes every file's time_created; without it each is derived from the
    file's content (:mod:`fitplug.watch.workout`), so the same programme gives the same bytes.
    """
    workouts = workout_files(programme, created=created)
    by_id = {w.session.id: w for w in workouts}
    planned = tuple(upcoming(programme, now, limit=MAX_SCHEDULE_ENTRIES))
    schedule = None
    if planned:
        entries = [ScheduleEntry(by_id[p.session.id], p.start) for p in planned]
        schedule = build_schedule(entries, programme_id=programme.id, created=created)
    return WorkoutSet(programme=programme, workouts=workouts, schedule=schedule, scheduled=planned)


@dataclass(frozen=True, slots=True)
class Built:
    """What ``fitplug build`` wrote, and whether the programme became the remembered one."""

    paths: list[Path]
    programme: Path
    remembered: bool
    #: fitplug's own workouts of this programme the folder no longer needed
    removed: list[Path]
    #: files of those names fitplug did not write: left as they were
    conflicts: list[Path]


def build_outputs(
    programme_file: Path | None,
    output_dir: Path,
    *,
    now: dt.datetime,
    created: dt.datetime | None = None,
    db_path: Path | None = None,
) -> Built:
    """`fitplug build`: the workouts, ``schedule.fit`` and ``<programme id>.ics`` in ``output_dir``.

    Everything is made in memory first, then written through temporary names:
    when one file cannot be written, none is changed. A ``.fit`` of the same
    name that fitplug did not write is left alone (a conflict); fitplug's own
    workouts of this programme that it no longer has (a shrunk rotation) are
    removed. The programme is remembered for later commands.
    """
    loaded = programme_for(programme_file)
    programme = loaded.programme
    built = workout_set(programme, now=now, created=created)
    due = recorded_due_items(programme, now=now, db_path=db_path)
    # the feed it replaces carries each session's SEQUENCE on (a changed one gets the next)
    feed = calendar_feed(programme, now=now, due_items=due,
                         previous=read_previous(output_dir / f"{programme.id}.ics"))
    owner = built.owner()
    targets: dict[Path, bytes] = {}
    conflicts: list[Path] = []
    for name, data in built.files().items():
        path = output_dir / name
        if path.is_symlink() or (path.exists() and not path.is_dir() and not owner.owns(path)
                                 and path.read_bytes() != data):
            conflicts.append(path)
        else:
            targets[path] = data
    targets[output_dir / f"{programme.id}.ics"] = feed.body
    write_all_atomic(targets)
    removed = remove_stale_outputs(output_dir, built.files(), owner)
    return Built(list(targets), loaded.path, settings.remember(programme=loaded.path), removed, conflicts)


@dataclass(frozen=True, slots=True)
class MtpPlace:
    """Where an install over USB MTP went (what the CLI prints for a mounted :class:`Device`)."""

    name: str
    newfiles_dir: str


def wants_mtp(device_root: Path | None) -> bool:
    """``--device mtp``, or no ``--device`` and the remembered watch is the one over MTP."""
    if device_root is not None:
        return settings.is_mtp(device_root)
    return settings.is_mtp(settings.remembered().device)


def the_watch(device_root: Path | None, *, remember: bool = True) -> tuple[Device, bool]:
    """The watch named, else the remembered one, else the one mounted; and whether it became remembered.

    A remembered watch that is not plugged in is named in the error: install
    and sync share one remembered watch (``settings.json`` ``device``).
    """
    if device_root is not None:
        device = pick_device(device_root)
        return device, remember and settings.remember(device=device.root)
    known = settings.remembered().device
    if known is None:
        return pick_device(None), False
    try:
        return open_device(known), False
    except DeviceError:
        raise DeviceError(f"the remembered watch at {known} is not plugged in (or not mounted); plug it in, "
                          "or name another with --device") from None


def install_workouts(
    programme_file: Path | None,
    device_root: Path | None,
    *,
    now: dt.datetime,
    created: dt.datetime | None = None,
    dry_run: bool = False,
) -> tuple[Device | MtpPlace, list[InstallResult]]:
    """Build the workouts and schedule in memory and copy them into the watch's ``GARMIN/NewFiles``
    as one batch (:mod:`fitplug.watch.install`).

    ``device_root`` is the watch's mount point, or ``None`` for the remembered
    watch, else the one mounted (a named one is remembered). fitplug's own
    earlier files are replaced; a file of the same name it did not write is
    left alone (status ``conflict``) and the rest still goes; the schedule
    takes every workout it names along.
    """
    if wants_mtp(device_root):
        return _install_over_mtp(programme_file, now=now, created=created, dry_run=dry_run,
                                 remember=device_root is not None and not dry_run)
    device, _ = the_watch(device_root, remember=not dry_run)
    built = workout_set(programme_for(programme_file).programme, now=now, created=created)
    results = install_files(device, built.files(), owner=built.owner(), together=built.together(),
                            complete=True, dry_run=dry_run)
    return device, results


def _install_over_mtp(programme_file: Path | None, *, now: dt.datetime, created: dt.datetime | None,
                      dry_run: bool, remember: bool) -> tuple[MtpPlace, list[InstallResult]]:
    """`install --device mtp`: the same batch, over USB MTP (the optional extra)."""
    built = workout_set(programme_for(programme_file).programme, now=now, created=created)
    watch = connect_usb_watch()
    try:
        results = install_over_mtp(watch, built.files(), owner=built.owner(), together=built.together(),
                                   complete=True, dry_run=dry_run)
    finally:
        watch.session.close()
    if remember:
        settings.remember(device=Path(settings.MTP))
    return MtpPlace(watch.name, watch.where("NewFiles")), results



def show_workout(path: Path) -> WorkoutView:
    """`fitplug show`: any FIT workout file, read back as steps."""
    return read_workout(path)
