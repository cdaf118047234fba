"""Connects the pieces: programme → workout files, schedule, calendar feed.

The only module that writes output files; every write is atomic
(:func:`fitplug.atomic.write_atomic`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import write_all_atomic, write_atomic
from .errors import OutputError
from .model import DueItem, Hold, PlannedSession, Programme
from .paths import load_settings, update_settings

if TYPE_CHECKING:
    from .devices import Device, InstallResult
    from .fit_workout import WorkoutFile
    from .ical import Feed

# --- programme files -------------------------------------------------------------


def init_programme(path: Path, template: str | None = None, *, force: bool = False) -> Path:
    """Write a template to ``path`` (refusing to overwrite unless ``force``) and remember it."""
    from . import programme

    name = template or programme.DEFAULT_TEMPLATE
    text = programme.template_text(name)
    programme.parse_programme(text, f"template {name}")  # a template that fails is a bug: stop here
    if path.exists() and not force:
        raise OutputError(f"{path} exists; use --force to overwrite it")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name such as {path / 'programme.toml'}")
    write_atomic(path, text.encode("utf-8"))
    update_settings(programme=str(path.resolve()))
    return path


def resolve_programme(path: Path | None) -> Programme:
    """Load ``path``, or the programme last used; remember the one loaded."""
    from . import programme

    remembered = load_settings().get("programme")
    if path is None:
        if not isinstance(remembered, str):
            raise OutputError("no programme given and none remembered; name one, or run `fitplug init`")
        path = Path(remembered)
        if not path.is_file():
            raise OutputError(f"the remembered programme {path} is gone; name one, or run `fitplug init`")
    loaded = programme.load_programme(path)
    if remembered != str(path.resolve()):
        update_settings(programme=str(path.resolve()))
    return loaded


def describe_programme(programme: Programme) -> list[str]:
    """A few lines saying what a programme plans, for `fitplug check`."""
    from .schedule import post_run_variants
    from .steps import count_steps

    lines = [f"{programme.source}: ok — {programme.name} ({programme.timezone})"]
    for session in programme.sessions:
        days = ", ".join(d.name.capitalize() for d in session.days)
        lines.append(
            f"  {session.name}: {days} at {session.time:%H:%M}, about {session.duration_min} min, "
            f"{len(session.exercises)} exercises, {count_steps(session)} watch steps"
        )
        for ex in session.exercises:
            per = " per side" if ex.per_side else ""
            what = f"hold {ex.dose}" if isinstance(ex.dose, Hold) else f"{ex.dose} reps"
            lines.append(f"    - {ex.title}: {ex.sets} × {what}{per}")
    for variant in post_run_variants(programme):
        names = " + ".join(e.title for e in variant.exercises)
        lines.append(f"  {variant.name}: {names}")
    targets = programme.targets
    lines.append(
        f"  stretching on {targets.stretch_days_min}–{targets.stretch_days_max} days a week; post-run set due "
        f"after runs of {programme.due.min_run_min} min or more, missed at {programme.due.lapse.value.replace('_', ' ')}"
    )
    return lines


# --- workouts and schedule ------------------------------------------------------


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


#: the schedules file's name
SCHEDULE_FILE = "schedule.fit"


def workout_set(programme: Programme, *, now: dt.datetime, created: dt.datetime | None = None) -> WorkoutSet:
    """Encode every session and post-run variant, and the schedule of the next sessions after ``now``.

    ``created`` fixes every file's time_created; without it each is derived from the
    file's content (:mod:`fitplug.fit_workout`), so the same programme gives the same bytes.
    """
    from .fit_workout import (
        MAX_SCHEDULE_ENTRIES,
        ScheduleEntry,
        build_schedule,
        build_workout,
        check_unique_serials,
    )
    from .schedule import post_run_variants, upcoming

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


def workout_files(
    programme: Programme | Path | None,
    output_dir: Path,
    *,
    now: dt.datetime,
    created: dt.datetime | None = None,
) -> list[Path]:
    """Write ``<session-id>.fit`` for every session and post-run variant, and ``schedule.fit``.

    ``programme`` is a loaded programme, a file, or ``None`` for the remembered one.
    Everything is encoded before anything is written, and the files are written
    to temporary names first: when one cannot be written, none is changed.
    """
    loaded = programme if isinstance(programme, Programme) else resolve_programme(programme)
    built = workout_set(loaded, now=now, created=created)
    targets = {output_dir / name: data for name, data in built.files().items()}
    _write_all(targets)
    return list(targets)


def install_workouts(
    programme: Programme | Path | None,
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
    from .devices import install_files, pick_device

    device = pick_device(device_root)  # first: no point building for a watch that is not there
    loaded = programme if isinstance(programme, Programme) else resolve_programme(programme)
    built = workout_set(loaded, now=now, created=created)
    return device, install_files(device, built.files(), dry_run=dry_run)


def _write_all(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary name beside it, then rename them all into place."""
    for path in files:
        if path.is_dir():
            raise OutputError(f"{path} is a folder; move it away or write somewhere else (-o)")
    write_all_atomic(files)


# --- calendar feed ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarFile:
    """What :func:`calendar_file` wrote."""

    path: Path
    feed: Feed


def calendar_feed(
    programme: Programme | Path | str,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    due_items: Iterable[DueItem] = (),
) -> Feed:
    """The iCalendar feed of ``programme``: ``weeks`` weeks from ``start`` (default:
    two weeks back and twelve ahead of ``now``), with the due items in that window.

    Session revisions are read from and recorded in the data folder
    (:mod:`fitplug.feedstate`), so a changed session gets a higher SEQUENCE.
    """
    from .feedstate import update_revisions
    from .ical import render_feed
    from .programme import load_programme

    if not isinstance(programme, Programme):
        programme = load_programme(programme)
    revisions = update_revisions(programme, now)
    return render_feed(programme, due_items, now=now, start=start, weeks=weeks, revisions=revisions)


def calendar_file(
    programme: Programme | Path | str,
    output: Path | None = None,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    weeks: int | None = None,
    due_items: Iterable[DueItem] = (),
) -> CalendarFile:
    """Write the feed of :func:`calendar_feed` to ``output`` atomically
    (default: ``out/<programme id>.ics``)."""
    from .atomic import write_atomic
    from .programme import load_programme

    if not isinstance(programme, Programme):
        programme = load_programme(programme)
    feed = calendar_feed(programme, now=now, start=start, weeks=weeks, due_items=due_items)
    path = Path(output) if output is not None else Path("out") / f"{programme.id}.ics"
    write_atomic(path, feed.body)
    return CalendarFile(path, feed)


# --- everything at once ------------------------------------------------------------


def stored_due_items(programme: Programme, *, now: dt.datetime, db_path: Path | None) -> list[DueItem]:
    """The due items `fitplug sync` decided, for the feed; none before the first sync."""
    if db_path is None or not db_path.is_file():
        return []
    from .store import Store
    from .sync import due_items

    with Store(db_path) as store:
        return due_items(store, programme, now)


def store_due_source(
    programme_path: Path, *, clock: Callable[[], dt.datetime], db_path: Path
) -> Callable[[], list[DueItem]]:
    """A due-item source for `fitplug serve`: reads the store afresh on every call,
    so the feed shows new sync results without a restart."""
    from .programme import load_programme

    def source() -> list[DueItem]:
        return stored_due_items(load_programme(programme_path), now=clock(), db_path=db_path)

    return source


def build_outputs(
    programme: Programme | Path | None,
    output_dir: Path,
    *,
    now: dt.datetime,
    created: dt.datetime | None = None,
    db_path: Path | None = None,
) -> list[Path]:
    """`fitplug build`: the workouts, ``schedule.fit`` and ``<programme id>.ics`` in ``output_dir``.

    Everything is made in memory first, then written through temporary names:
    when one file cannot be written, none is changed.
    """
    loaded = programme if isinstance(programme, Programme) else resolve_programme(programme)
    built = workout_set(loaded, now=now, created=created)
    feed = calendar_feed(loaded, now=now, due_items=stored_due_items(loaded, now=now, db_path=db_path))
    targets = {output_dir / name: data for name, data in built.files().items()}
    targets[output_dir / f"{loaded.id}.ics"] = feed.body
    _write_all(targets)
    return list(targets)


# --- end -------------------------------------------------------------------------
