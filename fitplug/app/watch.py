"""Watch commands: ``build`` (workouts, schedule and feed into a folder), ``install``, ``show``."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from fitplug import settings
from fitplug.activities import tracking
from fitplug.activities.store.store import reading
from fitplug.app.calendar import calendar_feed, read_previous, recorded_due_items
from fitplug.app.programme import programme_for
from fitplug.atomic import write_all_atomic
from fitplug.errors import DeviceError, FitplugError
from fitplug.model import (
    Installed,
    InstallResult,
    PlannedSession,
    Programme,
    RunHabit,
    ScheduleView,
    Session,
    SyncResult,
    WatchReport,
    WorkoutView,
)
from fitplug.programme.schedule import watch_calendar
from fitplug.programme.watch_limits import MAX_SCHEDULE_ENTRIES, all_workouts
from fitplug.watch.devices import Device, open_device, pick_device
from fitplug.watch.folder import FolderTarget, remove_stale_outputs
from fitplug.watch.inbox import inspect
from fitplug.watch.install import Owner, carry_out, install_files, plan_install
from fitplug.watch.manifest import ACTIVITY, SCHEDULE, WORKOUT
from fitplug.watch.mtp.usb import (
    connect_usb_watch,  # pyusb itself is imported only when a watch is opened
)
from fitplug.watch.mtp.watch import Meter, MtpWatch, copy_activities
from fitplug.watch.target import NEWFILES, Target
from fitplug.watch.view import read_fit
from fitplug.watch.workout import (
    ScheduleEntry,
    WorkoutFile,
    build_schedule,
    build_workout,
    check_unique_serials,
    serial_number,
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


def workout_files(
    programme: Programme, *, created: dt.datetime | None = None, record: bool = False
) -> tuple[WorkoutFile, ...]:
    """Every session and post-run variant encoded, with the names the watch tells apart (``record``:
    they are written out, so a changed one's new time_created is recorded)."""
    workouts = tuple(
        build_workout(s, programme_id=programme.id, created=created, record=record) for s in all_workouts(programme)
    )
    check_unique_serials(workouts)
    return workouts


def workout_set(
    programme: Programme,
    *,
    now: dt.datetime,
    created: dt.datetime | None = None,
    habit: RunHabit | None = None,
    record: bool = False,
) -> WorkoutSet:
    """Encode every session and post-run variant, and the schedule of the next sessions after ``now``,
    with the post-run sets on the runner's usual run days (``habit``, :func:`learned_habit`) when the
    programme puts them on the watch's calendar.

    ``created`` fixes every file's time_created; without it each keeps the one recorded for its content,
    or gets a later one (:mod:`fitplug.watch.workout`), so the same programme gives the same bytes;
    ``record``: the files are written out (build, install), so new times are recorded; else nothing is.
    """
    workouts = workout_files(programme, created=created, record=record)
    by_id = {w.session.id: w for w in workouts}
    planned = tuple(watch_calendar(programme, now, habit or RunHabit(), limit=MAX_SCHEDULE_ENTRIES))
    schedule = None
    if planned:
        entries = [ScheduleEntry(by_id[p.session.id], p.start) for p in planned]
        schedule = build_schedule(entries, programme_id=programme.id, created=created, record=record)
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
    habit = learned_habit(programme, now, db_path)
    built = workout_set(programme, now=now, created=created, habit=habit, record=True)
    due = recorded_due_items(programme, now=now, db_path=db_path)
    # the feed it replaces carries each session's SEQUENCE on (a changed one gets the next)
    feed = calendar_feed(programme, now=now, due_items=due, previous=read_previous(output_dir / f"{programme.id}.ics"))
    owner = built.owner()
    targets: dict[Path, bytes] = {}
    conflicts: list[Path] = []
    for name, data in built.files().items():
        path = output_dir / name
        if path.is_symlink() or (
            path.exists() and not path.is_dir() and not owner.owns(path) and path.read_bytes() != data
        ):
            conflicts.append(path)
        else:
            targets[path] = data
    targets[output_dir / f"{programme.id}.ics"] = feed.body
    write_all_atomic(targets)
    removed = remove_stale_outputs(output_dir, built.files(), owner)
    return Built(list(targets), loaded.path, settings.remember(programme=loaded.path), removed, conflicts)


@dataclass(frozen=True, slots=True)
class ChosenWatch:
    """The watch a command works on, chosen once (:func:`choose_watch`): where files go, and its activities."""

    target: Target
    #: the folder `sync` reads the watch's activity files from (over MTP, the new ones are copied there
    #: first, with a note), or ``None`` when it has none
    activity_folder: Callable[[list[str]], Path | None]
    #: ends the MTP session; nothing for a mounted watch
    close: Callable[[], None]


@dataclass(frozen=True, slots=True)
class Missing:
    """The remembered watch is not there now: `sync` reads the other sources, if it has any."""

    #: the error when there are no other sources
    error: str


def choose_watch(
    device_root: Path | None, *, remember: bool = True, optional: bool = False, notes: list[str] | None = None
) -> ChosenWatch | Missing | None:
    """The watch named (a folder, or ``mtp``: over USB), else the remembered one, else the one mounted.

    A named watch becomes the remembered one when ``remember`` (install and sync
    share one, ``settings.json`` ``device``), with a note. ``optional`` is how
    `sync` chooses: with nothing named or remembered there is no watch
    (``None``), and a remembered watch that is not there now is :class:`Missing`
    (with a note) instead of an error.
    """
    notes = [] if notes is None else notes
    known = settings.remembered().device
    if settings.is_mtp(device_root) or (device_root is None and settings.is_mtp(known)):
        return _usb_watch(device_root is not None, remember=remember, optional=optional, notes=notes)
    if device_root is not None:
        device = pick_device(device_root)
        if remember and settings.remember(device=device.root):
            notes.append(f"Remembered the watch at {device.root} for later syncs.")
        return _mounted(device)
    if known is None:
        return None if optional else _mounted(pick_device(None))
    try:
        return _mounted(open_device(known))
    except DeviceError:
        if not optional:
            raise DeviceError(
                f"the remembered watch at {known} is not plugged in (or not mounted); plug it in, "
                "or name another with --device"
            ) from None
    notes.append(f"The watch at {known} is not mounted; reading the other sources.")
    return Missing(
        f"the remembered watch at {known} is not plugged in (or not mounted) and there are no other "
        "sources; plug it in, or name a folder, a watch, a FIT file or an export zip (fitplug sync PATH)"
    )


def sync_watch(
    device_root: Path | None, notes: list[str], transfer: Meter | None
) -> tuple[ChosenWatch | None, str | None]:
    """The watch a sync reads and writes (:func:`choose_watch`, ``optional``), and the error to give when
    the remembered one is not there and the sync has no other source (else ``None``). ``transfer``
    shows a copy of the watch's activities over USB MTP, which can take a while."""
    chosen = choose_watch(device_root, optional=True, notes=notes)
    if isinstance(chosen, Missing):
        return None, chosen.error
    if chosen is not None and isinstance(chosen.target, MtpWatch):
        chosen.target.meter = transfer
    return chosen, None


def after_sync(target: Target, programme: Programme, result: SyncResult, now: dt.datetime) -> None:
    """What a sync does on the watch once the store holds its files: it says what the watch did with the
    programme's files (``result.watch``), and puts the due post-run workout on it."""
    result.watch = watch_findings(target, programme, now)
    if result.status is None:
        return
    due = result.status.decision.due
    if due and due[-1].session is not None:
        result.installed, note = put_post_run_workout(target, due[-1].session, programme)
        if note:
            result.notes.append(note)


def _mounted(device: Device) -> ChosenWatch:
    activity = device.activity_dir
    return ChosenWatch(FolderTarget(device), lambda notes: activity if activity.is_dir() else None, lambda: None)


def _usb_watch(named: bool, *, remember: bool, optional: bool, notes: list[str]) -> ChosenWatch | Missing:
    """The watch over USB MTP; a remembered one that is not connected is :class:`Missing` when ``optional``."""
    try:
        watch = connect_usb_watch()
    except DeviceError as exc:
        if named or not optional:
            raise
        notes.append(f"The remembered watch over USB MTP is not connected ({exc}); reading the other sources.")
        return Missing(
            "the remembered watch over USB MTP is not connected and there are no other sources; "
            "plug it in, or name a folder, a watch, a FIT file or an export zip"
        )
    if named and remember and settings.remember(device=Path(settings.MTP)):
        notes.append("Remembered the watch over USB MTP for later syncs.")
    return ChosenWatch(watch, lambda notes: _mtp_activities(watch, notes), watch.session.close)


def _mtp_activities(watch: MtpWatch, notes: list[str]) -> Path:
    """Copy the watch's new activity files into the data folder; that folder, to read like any other."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", watch.name).strip("-.") or "watch"
    cache = settings.data_dir() / "mtp" / slug / "Activity"
    copied = copy_activities(watch, cache)
    if copied:
        notes.append(
            f"Copied {len(copied)} activity file{'s' if len(copied) != 1 else ''} from {watch.name} "
            f"over MTP into {cache}."
        )
    return cache


@contextlib.contextmanager
def open_watch(device_root: Path | None, *, remember: bool = True) -> Iterator[Target]:
    """`install`'s watch (:func:`choose_watch`), open until the block ends."""
    chosen = choose_watch(device_root, remember=remember)
    assert isinstance(chosen, ChosenWatch)  # not optional: a watch, or a DeviceError
    try:
        yield chosen.target
    finally:
        chosen.close()


def install_workouts(
    programme_file: Path | None,
    device_root: Path | None,
    *,
    now: dt.datetime,
    created: dt.datetime | None = None,
    dry_run: bool = False,
    meter: Meter | None = None,
    force: bool = False,
    db_path: Path | None = None,
) -> Installed:
    """`fitplug install`: build the workouts and schedule in memory and copy them into the watch's
    ``GARMIN/NewFiles`` as one batch (:mod:`fitplug.watch.install`); over USB MTP, ``meter`` shows the copy.

    The programme is loaded (and checked) first; then the watch :func:`choose_watch`
    picks is opened. fitplug's own earlier files are replaced; a file of the same
    name it did not write is left alone (status ``conflict``) and the rest still
    goes; the schedule takes every workout it names along.
    """
    programme = programme_for(programme_file).programme
    habit = learned_habit(programme, now, db_path)
    built = workout_set(programme, now=now, created=created, habit=habit, record=not dry_run)
    with open_watch(device_root, remember=not dry_run) as watch:
        if isinstance(watch, MtpWatch):
            watch.meter = meter
        serials = programme_serials(built)
        before = _report(watch, serials)  # what the watch did with the last batch
        earlier = settings.installed_serials(built.programme.id)
        plan = plan_install(
            watch,
            built.files(),
            owner=built.owner(),
            together=built.together(),
            complete=True,
            dry_run=dry_run,
            force=force,
            dropped={s: n for s, n in earlier.items() if s not in serials},
        )
        results = carry_out(watch, plan)
        if not dry_run:  # so a workout the programme drops later is known on the watch
            settings.remember_installed(built.programme.id, serials)
        return Installed(watch.name, watch.location(plan.inbox), tuple(results), before, plan.notes)


def inspect_watch(
    programme_file: Path | None, device_root: Path | None, *, now: dt.datetime, db_path: Path | None = None
) -> WatchReport:
    """`fitplug watch`: the watch's manifest and what it did with the programme's files, and the run days
    its calendar offers the post-run set on; writes nothing (the watch is not remembered; over MTP,
    files are only read)."""
    programme = programme_for(programme_file).programme
    habit = learned_habit(programme, now, db_path)
    built = workout_set(programme, now=now, habit=habit)
    serials = programme_serials(built)
    dropped = {s: n for s, n in settings.installed_serials(built.programme.id).items() if s not in serials}
    with open_watch(device_root, remember=False) as target:
        return replace(_report(target, serials, dropped), habit=habit)


def learned_habit(programme: Programme, now: dt.datetime, db_path: Path | None) -> RunHabit:
    """The runner's usual run days from the store's runs (none without a store or history); reads only."""
    if db_path is None or programme.post_run is None or not programme.post_run.on_watch_calendar:
        return RunHabit()
    with reading(db_path) as store:
        return tracking.run_habit(store, programme, now) if store is not None else RunHabit()


def watch_findings(target: Target, programme: Programme, now: dt.datetime) -> WatchReport | None:
    """`fitplug watch`'s findings on an open watch, for `sync --device` to say in a line (``None``: the
    watch could not be read for them; sync goes on)."""
    built = workout_set(programme, now=now)
    serials = programme_serials(built)
    dropped = {s: n for s, n in settings.installed_serials(programme.id).items() if s not in serials}
    try:
        return _report(target, serials, dropped)
    except DeviceError:
        return None


def programme_serials(built: WorkoutSet) -> dict[int, str]:
    """Serial number → the name fitplug gives the file, for every file of the programme (the schedule too)."""
    serials = {w.serial_number: w.file_name for w in built.workouts}
    serials[serial_number(built.programme.id, "schedule")] = SCHEDULE_FILE
    return serials


def _report(target: Target, serials: dict[int, str], dropped: dict[int, str] | None = None) -> WatchReport:
    notes: list[str] = []
    try:
        manifest = target.manifest()
    except DeviceError as exc:
        manifest = None
        notes.append(f"{exc}; the usual folders are looked in")
    else:
        if manifest is None:
            notes.append("the watch has no GarminDevice.xml: the usual folders are looked in")
    found = inspect(target, manifest, serials, dropped)
    folders = {
        "inbox": target.location(NEWFILES),
        "workouts": target.location(found.folders[WORKOUT]),
        "schedules": target.location(found.folders[SCHEDULE]),
        "activities": target.location(found.folders[ACTIVITY]),
    }
    return WatchReport(
        name=target.name,
        model=manifest.model if manifest else None,
        software=manifest.software if manifest else None,
        part_number=manifest.part_number if manifest else None,
        folders=folders,
        free_bytes=target.free_bytes(),
        on_watch=found.on_watch,
        waiting=found.waiting,
        not_taken=found.not_taken,
        strangers=found.strangers,
        kept=found.kept,
        room=found.room,
        notes=tuple(notes),
        stale=found.stale,
    )


def show_workout(path: Path) -> WorkoutView | ScheduleView:
    """`fitplug show`: any FIT workout file, read back as steps; a schedules file as its days, each with
    the workout beside it that it points at."""
    return read_fit(path)


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
