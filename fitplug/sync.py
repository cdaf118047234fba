"""``fitplug sync`` as a library call: read sources into the store, then decide what is due.

No click here: :func:`sync` returns a :class:`SyncResult` that the CLI prints
as a short summary or as JSON (``docs/json.md``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .devices import Device, InstallResult, install_files
from .due import Decision, RunStretch, activity_kind, decide
from .errors import ActivityError
from .model import ActivitySummary, DueItem, Programme, Session
from .sources import ContainerDone, ContainerStart, Refused, scan
from .store import FileError, Store, iso

_UTC = dt.UTC
Outcome = ActivitySummary | FileError
#: meta key: when fitplug started keeping the due bookkeeping (see ``tracking_since``)
SINCE_KEY = "tracking_since_utc"


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file that could not be read, and why."""

    key: str
    reason: str
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class NewActivity:
    key: str
    kind: str
    start_utc: dt.datetime | None


@dataclass
class SyncResult:
    """What one sync did and decided."""

    sources: list[str] = field(default_factory=list)
    new: list[NewActivity] = field(default_factory=list)
    duplicates: int = 0
    unchanged: int = 0
    #: files that are not activities (workouts, settings, monitoring…), by FIT file type
    other: Counter[str] = field(default_factory=Counter)
    #: unreadable files found in this sync
    skipped: list[SkippedFile] = field(default_factory=list)
    #: unreadable files remembered from earlier syncs and not retried
    known_bad: int = 0
    decision: Decision | None = None
    items: list[DueItem] = field(default_factory=list)
    installed: list[InstallResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def new_by_kind(self) -> Counter[str]:
        return Counter(a.kind for a in self.new)


def tracking_since(store: Store, now: dt.datetime) -> dt.datetime:
    """When the due bookkeeping starts: Monday 00:00 UTC of the week before the first sync.

    Remembered in the store, so it never moves. Older runs are history only:
    they make no due or missed items.
    """
    text = store.get_meta(SINCE_KEY)
    if text is not None:
        return dt.datetime.fromisoformat(text)
    day = now.astimezone(_UTC).date()
    monday = day - dt.timedelta(days=day.weekday() + 7)
    since = dt.datetime.combine(monday, dt.time(0), tzinfo=_UTC)
    store.set_meta(SINCE_KEY, iso(since) or "")
    return since


def due_items(store: Store, programme: Programme, now: dt.datetime) -> list[DueItem]:
    """The feed's items from the store: decided at ``now``, with updated time and sequence."""
    return list(store.save_due(evaluate(store, programme, now).items, now))


def evaluate(store: Store, programme: Programme, now: dt.datetime) -> Decision:
    """The due rule over everything the store holds (no file is read)."""
    return decide(store.history(), store.done_marks(), programme, now, since=tracking_since(store, now))


def sync(
    store: Store,
    sources: Sequence[Path],
    *,
    programme: Programme | None,
    now: dt.datetime,
    device: Device | None = None,
    progress: Callable[[str], None] | None = None,
    verify: bool = False,
    processes: int | None = None,
) -> SyncResult:
    """Read every new or changed FIT file under ``sources`` into ``store``, then decide.

    Files are read with the fast scanner (``verify``: with its CRC checks),
    and whatever it refuses with fitdecode, which decides; many files are read
    in a process pool (``processes``, default one per core). Outcomes are
    committed in file order, a small batch per transaction, so a killed sync
    loses only what it had not committed and the next one reads that again;
    an unreadable file is recorded with its reason and the sync goes on. With
    ``device``, its activities are read too and the due post-run workout is
    put into ``GARMIN/NewFiles``.
    """
    from .readpool import Job, Reader

    result = SyncResult()
    paths = [p for p in sources if Path(p).exists()]
    result.notes += [f"Source {p} is not there now; skipped." for p in sources if not Path(p).exists()]
    if device is not None and device.activity_dir.is_dir() and device.activity_dir not in paths:
        paths.append(device.activity_dir)
    result.sources = [str(p) for p in paths]
    known = store.file_index()  # one query; no SQL round trip per unchanged file

    def skip_container(start: ContainerStart) -> bool:
        if store.container_done(start.key, start.size, start.mtime_ns):
            result.unchanged += 1
            return True
        return False

    def skip_file(key: str, size: int, mtime_ns: int) -> bool:
        seen = known.get(key)
        if seen is None or seen[0] != size or seen[1] != mtime_ns:
            return False
        if seen[2]:
            result.known_bad += 1
        else:
            result.unchanged += 1
        if progress:
            progress(key)
        return True

    def store_batch(batch: list[tuple[Job, Outcome]]) -> None:
        states = store.record_batch([(j.key, j.size, j.mtime_ns, o) for j, o in batch], now)
        for (job, outcome), state in zip(batch, states, strict=True):
            if isinstance(outcome, FileError):
                result.skipped.append(SkippedFile(job.key, outcome.reason, outcome.offset))
            elif state.status == "new":
                start = min((s.start_utc for s in outcome.sessions), default=None)
                result.new.append(NewActivity(job.key, activity_kind(outcome), start))
            elif state.status == "duplicate":
                result.duplicates += 1
            else:
                result.other[outcome.file_type] += 1
            if progress:
                progress(job.key)

    def container_done(event: ContainerDone) -> None:
        if not store.container_done(event.key, event.size, event.mtime_ns):
            store.mark_container(event.key, event.size, event.mtime_ns, now)
        if progress:
            progress(event.key)

    with Reader(store_batch, verify=verify, processes=processes) as reader:
        for event in scan(paths, skip_container=skip_container, skip_file=skip_file):
            if isinstance(event, ContainerStart):
                continue
            if isinstance(event, ContainerDone):
                reader.then(functools.partial(container_done, event))
                continue
            seen = known.get(event.key)
            if seen is not None and seen[0] == event.size and seen[1] == event.mtime_ns:
                if seen[2]:
                    result.known_bad += 1
                else:
                    result.unchanged += 1
                if progress:
                    progress(event.key)
                continue
            if isinstance(event, Refused):
                reader.then(functools.partial(_refused, store, event, now, result, progress))
                continue
            if event.path is not None:  # on disk: a worker opens it by itself
                reader.add(Job(event.key, event.size, event.mtime_ns, str(event.path), event.gz))
                continue
            try:
                data = event.read()  # a zip member: only readable while its zip is open
            except ActivityError as exc:
                reader.then(functools.partial(_refused, store, Refused(event.key, event.size, event.mtime_ns,
                                                                       exc.reason), now, result, progress))
                continue
            reader.add(Job(event.key, event.size, event.mtime_ns, data=data))

    if programme is not None:
        decision = evaluate(store, programme, now)
        result.decision = decision
        result.items = store.save_due(decision.items, now)
        if device is not None and decision.due:
            session = decision.due[-1].session
            if session is not None:
                result.installed, note = put_post_run_workout(device, session, programme)
                if note:
                    result.notes.append(note)
    return result


def _refused(
    store: Store, event: Refused, now: dt.datetime, result: SyncResult, progress: Callable[[str], None] | None
) -> None:
    store.record_error(event.key, event.size, event.mtime_ns, event.reason, None, now)
    result.skipped.append(SkippedFile(event.key, event.reason))
    if progress:
        progress(event.key)


# --- the watch -------------------------------------------------------------------

def post_run_files(session: Session, programme: Programme) -> dict[str, bytes]:
    """The post-run workout as ``{file name: FIT bytes}``; the one place that encodes it.

    Built as `fitplug build` builds it (time_created derived from the content),
    so the file already on the watch from `fitplug install` is recognised, not copied twice.
    """
    from .fit_workout import build_workout

    built = build_workout(session, programme_id=programme.id)
    return {built.file_name: built.data}


def put_post_run_workout(
    device: Device, session: Session, programme: Programme
) -> tuple[list[InstallResult], str | None]:
    """Copy the due post-run workout into the watch's ``GARMIN/NewFiles`` unless it is there."""
    from .errors import FitplugError

    try:
        files = post_run_files(session, programme)
        return install_files(device, files), None
    except FitplugError as exc:
        return [], f"The post-run workout was not put on the watch: {exc}"


# --- what the CLI needs around a sync ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """Sources, watch and programme for a sync, after the remembered settings are applied."""

    sources: list[Path]
    device: Device | None
    programme: Programme | None
    notes: list[str]


def plan_sync(sources: Sequence[Path], programme_path: Path | None, device_root: Path | None) -> Plan:
    """Merge the command line with what was remembered, and remember the result.

    Named sources join the remembered ones; a named watch is remembered too.
    A remembered source or watch that is not there now is left out with a note.
    """
    from .devices import open_device, pick_device
    from .errors import DeviceError, FitplugError
    from .paths import load_settings, update_settings

    settings = load_settings()
    notes: list[str] = []
    remembered = [Path(p) for p in settings.get("sources", []) if isinstance(p, str)]
    named = [Path(p).resolve() for p in sources]
    merged = list(dict.fromkeys([*remembered, *named]))
    device: Device | None = None
    if device_root is not None:
        device = pick_device(device_root)
    elif isinstance(settings.get("device"), str):
        try:
            device = open_device(Path(settings["device"]))
        except DeviceError:
            notes.append(f"The watch at {settings['device']} is not mounted; reading the other sources.")
    changes: dict[str, object] = {}
    if merged != remembered:
        changes["sources"] = [str(p) for p in merged]
    if device_root is not None and device is not None and settings.get("device") != str(device.root.resolve()):
        changes["device"] = str(device.root.resolve())
    if changes:
        update_settings(**changes)
    present = []
    for p in merged:
        if p.exists():
            present.append(p)
        else:
            notes.append(f"Source {p} is not there now; skipped.")
    if not present and device is None:
        raise FitplugError("no sources: name a folder, a watch, a FIT file or an export zip (fitplug sync PATH)")
    programme: Programme | None = None
    if programme_path is not None or isinstance(settings.get("programme"), str):
        from .build import resolve_programme

        programme = resolve_programme(programme_path)
    return Plan(present, device, programme, notes)


def mark_done(store: Store, programme: Programme, now: dt.datetime, at: dt.datetime) -> list[RunStretch]:
    """Record that the post-run set was done at ``at``; returns the sets it completed.

    Raises :class:`~fitplug.errors.FitplugError` when no post-run set was open then.
    """
    from .due import State
    from .errors import FitplugError

    decision = evaluate(store, programme, now)
    open_then = [
        r for r in decision.runs
        if r.state is not State.DONE and r.run_start_utc < at and (r.lapse_utc is None or at < r.lapse_utc)
    ]
    if not open_then:
        raise FitplugError("no post-run stretch set is due, so there is nothing to mark done")
    store.add_done(at, now)
    after = {r.key: r for r in evaluate(store, programme, now).runs}
    return [after[r.key] for r in open_then if r.key in after]
