"""Watch commands: ``build`` (workouts, schedule and feed into a folder), ``install``, ``show``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fitplug import settings
from fitplug.app.calendar import calendar_feed, recorded_due_items
from fitplug.app.programme import load_programme
from fitplug.atomic import write_all_atomic
from fitplug.model import PlannedSession, Programme
from fitplug.programme.schedule import post_run_variants, upcoming
from fitplug.watch.devices import Device, pick_device
from fitplug.watch.install import InstallResult, install_files
from fitplug.watch.view import WorkoutView, read_workout
from fitplug.watch.workout import (
    MAX_SCHEDULE_ENTRIES,
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


def workout_set(programme: Programme, *, now: dt.datetime, created: dt.datetime | None = None) -> WorkoutSet:
    """Encode every session and post-run variant, and the schedule of the next sessions after ``now``.

    ``created`` fixes every file's time_created; without it each is derived from the
    file's content (:mod:`fitplug.watch.workout`), so the same programme gives the same bytes.
    """
    sessions = list(programme.sessions) + list(post_run_variants(programme))
    workouts = tuple(build_workout(s, programme_id=programme.id, created=created) for s in sessions)
    check_unique_serials(workouts)
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
    when one file cannot be written, none is changed. The programme is
    remembered for later commands.
    """
    loaded = load_programme(programme_file)
    programme = loaded.programme
    built = workout_set(programme, now=now, created=created)
    due = recorded_due_items(programme, now=now, db_path=db_path)
    feed = calendar_feed(programme, now=now, due_items=due)
    targets = {output_dir / name: data for name, data in built.files().items()}
    targets[output_dir / f"{programme.id}.ics"] = feed.body
    write_all_atomic(targets)
    return Built(list(targets), loaded.path, settings.remember(programme=loaded.path))


def install_workouts(
    programme_file: Path | None,
    device_root: Path | None,
    *,
    now: dt.datetime,
    created: dt.datetime | None = None,
    dry_run: bool = False,
) -> tuple[Device, list[InstallResult]]:
    """Build the workouts and schedule in memory and copy them into the watch's ``GARMIN/NewFiles``.

    ``device_root`` is the watch's mount point, or ``None`` to find the one mounted
    watch. A different file already there under the same name is left alone
    (status ``conflict``); identical files are not copied twice.
    """
    device = pick_device(device_root)  # first: no point building for a watch that is not there
    built = workout_set(load_programme(programme_file).programme, now=now, created=created)
    return device, install_files(device, built.files(), dry_run=dry_run)


def show_workout(path: Path) -> WorkoutView:
    """`fitplug show`: any FIT workout file, read back as steps."""
    return read_workout(path)
