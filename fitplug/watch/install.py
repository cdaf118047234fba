"""Putting a batch onto a watch: one plan for ``GARMIN/NewFiles``, which the watch imports when unplugged.

The plan is made and carried out the same way on every :class:`~fitplug.watch.target.Target`
(a mounted folder, or MTP over USB):

- **Names are fitplug's own**: a name that is not a plain ``.fit`` name is
  refused before anything is read.
- **fitplug owns its files.** A file already in ``NewFiles`` under a name in
  the batch is replaced when its ``file_id`` says fitplug wrote it for this
  programme (:class:`Owner`); anyone else's file (or a link) is a conflict,
  left as it is, and the rest still goes. A file of the same bytes is already
  there, as is one the watch has imported (moved into ``Workouts`` or
  ``Schedules``). With ``complete=True`` (the whole programme), fitplug's own
  files of this programme that are no longer in it are removed from
  ``NewFiles`` before the watch imports them (:func:`stale_names`, which
  ``fitplug build`` uses for its output folder too).
- **A batch travels whole.** ``together`` maps a file (``schedule.fit``) to
  the files it names: when it is copied, they are copied with it even when
  the watch has imported them before, because a watch binds a schedule only
  to workouts in the same ``NewFiles`` batch. When one of them cannot go (a
  conflict), the schedule is held back too.
- **Room first.** Nothing is written unless the watch has the batch's size
  free and :data:`_HEADROOM_BYTES` beside it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fitplug.errors import DeviceError
from fitplug.model import REMOVES, WRITES, Install, InstallResult
from fitplug.programme.watch_limits import MAX_WORKOUTS
from fitplug.watch.fileid import FileId, parse_file_id, read_file_id
from fitplug.watch.manifest import SCHEDULE, WORKOUT, Manifest
from fitplug.watch.target import IMPORTED, NEWFILES, Kind, Target, WatchFile
from fitplug.watch.workout import serial_number

#: names fitplug writes are generated; anything else is refused
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.fit$")
#: keep this much free beside what is copied
_HEADROOM_BYTES = 64 * 1024
#: ``garmin`` / ``connect``: the file_id fitplug writes (:mod:`fitplug.watch.workout`)
_MANUFACTURER, _PRODUCT = 1, 65534


@dataclass(frozen=True, slots=True)
class Owner:
    """Recognises the files fitplug wrote for one programme by their ``file_id``."""

    programme_id: str

    def owns_id(self, name: str, fid: FileId | None) -> bool:
        return (
            fid is not None
            and fid.manufacturer == _MANUFACTURER
            and fid.product == _PRODUCT
            and fid.serial_number == serial_number(self.programme_id, Path(name).stem)
        )

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is a plain file fitplug wrote under this name for this programme."""
        if path.is_symlink() or not path.is_file():
            return False
        return self.owns_id(path.name, read_file_id(path))


@dataclass(frozen=True, slots=True)
class InstallPlan:
    """What :func:`plan_install` decided; :func:`carry_out` does it."""

    #: one per file of the batch, in its order, then the stale files to remove
    results: tuple[InstallResult, ...]
    #: name → bytes, for the files that go
    writes: dict[str, bytes]
    dry_run: bool
    #: fitplug's workouts the programme dropped, in the watch's own folder: (folder, name) to remove
    elsewhere: tuple[tuple[str, str], ...] = ()
    #: the folder (under ``GARMIN``) the watch takes files in through: its manifest's, else ``NewFiles``
    inbox: str = NEWFILES
    #: what the plan left out and why (a watch that takes no schedules)
    notes: tuple[str, ...] = ()

    @property
    def removals(self) -> list[str]:
        """The stale files in ``NewFiles`` to remove (those in the watch's own folders: :attr:`elsewhere`)."""
        gone = {name for _, name in self.elsewhere}
        return [r.name for r in self.results if r.status in REMOVES and r.name not in gone]


def stale_names(
    listed: Iterable[WatchFile], keep: Iterable[str], owner: Owner, file_id: Callable[[str], FileId | None]
) -> list[str]:
    """fitplug's own ``.fit`` files of this programme in a folder's listing that ``keep`` lacks, by name.

    ``file_id`` reads a listed file's id; only plain files are asked about.
    """
    wanted = {n.lower() for n in keep}
    return sorted(
        f.name
        for f in listed
        if f.kind is Kind.FILE
        and f.name.lower().endswith(".fit")
        and f.name.lower() not in wanted
        and owner.owns_id(f.name, file_id(f.name))
    )


def plan_install(
    target: Target,
    files: Mapping[str, bytes],
    *,
    owner: Owner | None = None,
    together: Mapping[str, Iterable[str]] | None = None,
    complete: bool = False,
    dry_run: bool = False,
    force: bool = False,
    dropped: Mapping[int, str] | None = None,
) -> InstallPlan:
    """Decide what becomes of each of ``files`` (name → bytes) on ``target`` (see the module); nothing is written.

    Without ``owner`` no file on the watch counts as fitplug's: none is replaced or removed. A batch that
    would take the watch past the workouts it keeps (:data:`MAX_WORKOUTS`: it drops the rest without a
    word) is a :class:`DeviceError` saying how many to remove, unless ``force``. ``dropped``: serial
    number → name of fitplug's files an earlier install put on the watch that the programme no longer
    has; found in the watch's own workouts folder by their file_id, they are removed (never another's).
    """
    for name in files:
        if not _SAFE_NAME.match(name):
            raise DeviceError(f"{name!r}: refusing a file name that is not a plain .fit name")
    manifest = target.manifest()
    if manifest is not None and manifest.types and not manifest.takes(WORKOUT):
        raise DeviceError(
            f"{target.name}: its GarminDevice.xml lists no FIT workouts (type 5), so it would not take them; "
            "nothing was copied"
        )
    inbox = _inbox(manifest)
    notes: list[str] = []
    if manifest is not None and manifest.types and not manifest.takes(SCHEDULE) and SCHEDULE_NAME in files:
        files = {n: d for n, d in files.items() if n != SCHEDULE_NAME}
        together = {n: [m for m in t if m != SCHEDULE_NAME] for n, t in (together or {}).items() if n != SCHEDULE_NAME}
        notes.append(
            f"{target.name} takes no FIT schedules (its GarminDevice.xml lists none): the workouts went, "
            "without schedule.fit; pick them from the watch's workout list"
        )
    where = Path(target.location(inbox))
    listed = target.list_files(inbox)
    present = _by_name(listed)
    read = _reader(target, inbox)
    imported = _imported_digests(target, {len(d) for d in files.values()})
    plans = {name: _plan(name, data, present, read, imported, owner, dry_run, where) for name, data in files.items()}
    keep_together(plans, files, together or {}, dry_run)
    stale: list[InstallResult] = []
    if complete and owner is not None:
        status = Install.WOULD_REMOVE if dry_run else Install.REMOVED
        stale = [
            InstallResult(n, status, where / n, "no longer in the programme")
            for n in stale_names(listed, files, owner, lambda n: _file_id(read(n)))
        ]
    gone = _dropped_on_watch(target, manifest, dropped or {}, dry_run)
    writes = {name: files[name] for name, r in plans.items() if r.status in WRITES}
    if not force:
        _check_room(target, manifest, writes, plans, len(gone))
    elsewhere = tuple((folder, r.name) for folder, r in gone)
    return InstallPlan(
        (*plans.values(), *stale, *(r for _, r in gone)), writes, dry_run, elsewhere, inbox, tuple(notes)
    )


def _inbox(manifest: Manifest | None) -> str:
    """The folder under ``GARMIN`` the watch takes workouts in through (its manifest's), else ``NewFiles``."""
    return manifest.folder(WORKOUT, NEWFILES, inbox=True) if manifest is not None else NEWFILES


#: the schedules file in a batch
SCHEDULE_NAME = "schedule.fit"


def _workouts_folder(manifest: Manifest | None) -> str:
    return manifest.folder(WORKOUT, "Workouts") if manifest is not None else "Workouts"


def _dropped_on_watch(
    target: Target, manifest: Manifest | None, dropped: Mapping[int, str], dry_run: bool
) -> list[tuple[str, InstallResult]]:
    """fitplug's workouts the programme dropped, found in the watch's own folder by their serial number."""
    if not dropped:
        return []
    folder = _workouts_folder(manifest)
    status = Install.WOULD_REMOVE if dry_run else Install.REMOVED
    found = []
    for f in target.list_files(folder):
        if f.kind is not Kind.FILE or not f.name.lower().endswith(".fit"):
            continue
        fid = _file_id(target.read_file(folder, f.name))
        serial = fid.serial_number if fid is not None else None
        if serial is not None and serial in dropped:
            reason = f"{dropped[serial]}: no longer in the programme"
            found.append((folder, InstallResult(f.name, status, Path(target.location(folder)) / f.name, reason)))
    return found


def _check_room(
    target: Target,
    manifest: Manifest | None,
    writes: Mapping[str, bytes],
    plans: Mapping[str, InstallResult],
    removing: int = 0,
) -> None:
    """Refuse a batch whose new workouts would take the watch past the :data:`MAX_WORKOUTS` it keeps
    (``removing`` of those there now go with it)."""
    folder = _workouts_folder(manifest)
    kept = {
        f.name.lower() for f in target.list_files(folder) if f.kind is Kind.FILE and f.name.lower().endswith(".fit")
    }
    adding = [
        n for n in writes if n.lower() != "schedule.fit" and plans[n].status is Install.COPIED and n.lower() not in kept
    ]
    total = len(kept) - removing + len(adding)
    if total > MAX_WORKOUTS:
        raise DeviceError(
            f"{target.name} keeps {len(kept)} workouts in {target.location(folder)} and this would add "
            f"{len(adding)}: {total}, past the {MAX_WORKOUTS} a watch keeps (it drops the rest without a word). "
            f"Remove {total - MAX_WORKOUTS} there (on the watch, or its Workouts folder), or install with --force; "
            "nothing was copied"
        )


def carry_out(target: Target, plan: InstallPlan) -> list[InstallResult]:
    """Do what ``plan`` says: the batch written as one, then the stale files removed; its results.

    A dry run writes nothing. A batch the watch has no room for is a :class:`DeviceError`, and nothing is written.
    """
    if plan.dry_run:
        return list(plan.results)
    if plan.writes:
        need = sum(len(d) for d in plan.writes.values()) + _HEADROOM_BYTES
        free = target.free_bytes()
        if free < need:
            raise DeviceError(
                f"{target.location(plan.inbox)}: only {free} bytes free, {need} needed; nothing was copied"
            )
    target.write_batch(plan.inbox, plan.writes)
    for name in plan.removals:
        target.delete_file(plan.inbox, name)
    for folder, name in plan.elsewhere:
        target.delete_file(folder, name)
    return list(plan.results)


def install_files(
    target: Target,
    files: Mapping[str, bytes],
    *,
    owner: Owner | None = None,
    together: Mapping[str, Iterable[str]] | None = None,
    complete: bool = False,
    dry_run: bool = False,
    force: bool = False,
    dropped: Mapping[int, str] | None = None,
) -> list[InstallResult]:
    """Put ``files`` (name → bytes) into the watch's ``GARMIN/NewFiles`` as one batch: :func:`plan_install`,
    then :func:`carry_out`."""
    plan = plan_install(
        target, files, owner=owner, together=together, complete=complete, dry_run=dry_run, force=force, dropped=dropped
    )
    return carry_out(target, plan)


def _by_name(listed: Iterable[WatchFile]) -> dict[str, WatchFile]:
    """Name → file, each also under its lower-cased name: a watch's FAT storage does not tell case apart."""
    found: dict[str, WatchFile] = {}
    for f in listed:
        found.setdefault(f.name.lower(), f)
    for f in listed:
        found[f.name] = f  # the exact name wins where two differ only in case (a folder on Linux)
    return found


def _reader(target: Target, folder: str) -> Callable[[str], bytes | None]:
    """Reads a file of ``folder`` once, however often it is asked for."""
    cache: dict[str, bytes | None] = {}

    def read(name: str) -> bytes | None:
        if name not in cache:
            cache[name] = target.read_file(folder, name)
        return cache[name]

    return read


def _file_id(data: bytes | None) -> FileId | None:
    return parse_file_id(data) if data is not None else None


def _plan(
    name: str,
    data: bytes,
    present: Mapping[str, WatchFile],
    read: Callable[[str], bytes | None],
    imported: set[str],
    owner: Owner | None,
    dry_run: bool,
    where: Path,
) -> InstallResult:
    """What to do with one file: copy it, replace fitplug's own, or why not."""
    digest = hashlib.sha256(data).hexdigest()
    dest = where / name
    here = present.get(name) or present.get(name.lower())
    if here is not None:
        if here.kind is Kind.LINK:
            return InstallResult(name, Install.CONFLICT, dest, "a link, not a file fitplug wrote")
        theirs = read(here.name) if here.kind is Kind.FILE else None
        if theirs is not None and hashlib.sha256(theirs).hexdigest() == digest:
            return InstallResult(name, Install.ALREADY_THERE, dest)
        if owner is None or theirs is None or not owner.owns_id(name, parse_file_id(theirs)):
            return InstallResult(name, Install.CONFLICT, dest, "a file fitplug did not write")
        return InstallResult(name, Install.WOULD_REPLACE if dry_run else Install.REPLACED, dest)
    if digest in imported:
        return InstallResult(name, Install.ALREADY_THERE, dest, "imported by the watch")
    return InstallResult(name, Install.WOULD_COPY if dry_run else Install.COPIED, dest)


def keep_together(
    plans: dict[str, InstallResult], files: Mapping[str, bytes], together: Mapping[str, Iterable[str]], dry_run: bool
) -> None:
    """A file that goes takes the files it names along; it stays behind when one of them cannot go."""
    for lead, members in together.items():
        plan = plans.get(lead)
        if plan is None or plan.status not in WRITES:
            continue
        names = [m for m in dict.fromkeys(members) if m in files]
        blocked = [m for m in names if plans[m].status is Install.CONFLICT]
        if blocked:
            plans[lead] = InstallResult(
                lead, Install.HELD_BACK, plan.path, f"it names {', '.join(blocked)}, which cannot be copied"
            )
            continue
        for m in names:
            if plans[m].status is Install.ALREADY_THERE and plans[m].reason:  # imported, not in NewFiles
                plans[m] = InstallResult(
                    m, Install.WOULD_COPY if dry_run else Install.COPIED, plans[m].path, f"again, to travel with {lead}"
                )


def _imported_digests(target: Target, sizes: set[int]) -> set[str]:
    """SHA-256 of the files the watch has imported (moved out of ``NewFiles``) that are of a size in ``sizes``.

    Only a file of the same size can hold the same bytes: the others are not read (over MTP, not transferred).
    """
    digests: set[str] = set()
    for folder in IMPORTED:
        for f in target.list_files(folder):
            if f.kind is Kind.FILE and f.size in sizes and f.name.lower().endswith(".fit"):
                data = target.read_file(folder, f.name)
                if data is not None:
                    digests.add(hashlib.sha256(data).hexdigest())
    return digests
