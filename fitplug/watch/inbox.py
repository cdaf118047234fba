"""What the watch did with fitplug's files: taken into its own folders, still waiting, or left behind.

A watch takes files in from ``GARMIN/NewFiles`` when it next restarts or starts an activity, moving
what it accepts into its own folders (``GarminDevice.xml`` names them). So a fitplug file still in
NewFiles although the watch recorded an activity after it was put there was looked at and refused.
fitplug's files are known by their ``file_id`` serial number, whatever name the watch gave them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fitplug.programme.watch_limits import MAX_WORKOUTS
from fitplug.watch.fileid import parse_file_id
from fitplug.watch.manifest import ACTIVITY, SCHEDULE, WORKOUT, Manifest
from fitplug.watch.target import NEWFILES, Kind, Target, WatchFile

#: the watch's own folders when its manifest does not name them
DEFAULT_FOLDERS = {WORKOUT: "Workouts", SCHEDULE: "Schedules", ACTIVITY: "Activity"}


@dataclass(frozen=True, slots=True)
class Inbox:
    """The watch's folders and what fitplug finds in them."""

    #: FIT type → the folder under ``GARMIN`` the watch keeps it in
    folders: dict[int, str]
    #: fitplug's files (by the name fitplug gives them) the watch has taken into its own folders
    on_watch: tuple[str, ...]
    #: fitplug's files waiting in NewFiles
    waiting: tuple[str, ...]
    #: of those, the ones an activity recorded since passed over: the watch looked and refused them
    not_taken: tuple[str, ...]
    #: workouts in the watch's own folder that are not fitplug's (this programme's)
    strangers: int
    #: every workout in the watch's own folder
    kept: int
    #: fitplug's workouts there that the programme dropped (by the names fitplug gave them)
    stale: tuple[str, ...] = ()

    @property
    def room(self) -> int:
        """Workouts the watch can still take before it drops some without a word."""
        return max(0, MAX_WORKOUTS - self.kept)


def _own(manifest: Manifest | None, fit_type: int) -> str:
    default = DEFAULT_FOLDERS[fit_type]
    return manifest.folder(fit_type, default) if manifest is not None else default


def _fit(files: list[WatchFile]) -> list[WatchFile]:
    return [f for f in files if f.kind is Kind.FILE and f.name.lower().endswith(".fit")]


def inspect(
    target: Target, manifest: Manifest | None, serials: Mapping[int, str], dropped: Mapping[int, str] | None = None
) -> Inbox:
    """What is on ``target``; ``serials``: serial number → the name fitplug gives that file (this programme's);
    ``dropped``: the same for files an earlier install put there that the programme no longer has."""
    everything = {**(dropped or {}), **serials}
    folders = {t: _own(manifest, t) for t in (WORKOUT, SCHEDULE, ACTIVITY)}

    def whose(folder: str, f: WatchFile) -> str | None:
        fid = parse_file_id(target.read_file(folder, f.name) or b"")
        return everything.get(fid.serial_number) if fid is not None and fid.serial_number is not None else None

    workouts = [(f, whose(folders[WORKOUT], f)) for f in _fit(target.list_files(folders[WORKOUT]))]
    old = set((dropped or {}).values()) - set(serials.values())
    stale = sorted(name for _, name in workouts if name in old)
    mine = [name for _, name in workouts if name is not None and name not in old]
    schedules = _fit(target.list_files(folders[SCHEDULE])) if folders[SCHEDULE] != folders[WORKOUT] else []
    mine += [name for f in schedules if (name := whose(folders[SCHEDULE], f)) is not None]
    inbox = _fit(target.list_files(NEWFILES))
    waiting = [(f, name) for f in inbox if (name := whose(NEWFILES, f)) is not None]
    activities = [f.mtime for f in _fit(target.list_files(folders[ACTIVITY])) if f.mtime is not None]
    newest = max(activities, default=None)
    not_taken = [name for f, name in waiting if newest is not None and f.mtime is not None and f.mtime < newest]
    strangers = sum(1 for _, name in workouts if name is None)
    return Inbox(
        folders=folders,
        on_watch=tuple(sorted(set(mine))),
        waiting=tuple(sorted(name for _, name in waiting)),
        not_taken=tuple(sorted(not_taken)),
        strangers=strangers,
        kept=len(workouts),
        stale=tuple(stale),
    )
