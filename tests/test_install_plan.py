"""The install planner's cases, written once and run on both transports.

Each test gets a ``watch``: a fake mounted device tree under ``tmp_path``
(:class:`~fitplug.watch.folder.FolderTarget`), or the MTP responder simulator
(tests/mtp_simulator.py) reached through pyusb-shaped endpoints
(:class:`~fitplug.watch.mtp.watch.MtpWatch`). Each install opens the watch
again, as each command does. Every batch left in ``NewFiles`` is run through
fit-check.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from mtp_simulator import EP_IN, EP_OUT, MAX_PACKET, SimulatedWatch
from test_cli_workouts import GLUTE, make_watch
from test_fit_workout import run_fit_check

from fitplug.app.watch import WorkoutSet, workout_set
from fitplug.errors import DeviceError
from fitplug.programme.load import load_programme
from fitplug.watch import folder as folder_module
from fitplug.watch.devices import open_device
from fitplug.watch.folder import FolderTarget
from fitplug.watch.install import InstallResult, Owner, install_files
from fitplug.watch.mtp.session import Session
from fitplug.watch.mtp.usb import UsbTransport
from fitplug.watch.mtp.watch import MtpWatch
from fitplug.watch.target import Target

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


class FolderWatch:
    """A watch mounted as a folder: ``<tmp>/w/GARMIN/{NewFiles, Workouts, Schedules}``."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = make_watch(root)
        self.garmin = root / "GARMIN"
        self.monkeypatch = monkeypatch

    def open(self) -> Target:
        return FolderTarget(open_device(self.root))

    def put(self, folder: str, name: str, data: bytes) -> None:
        (self.garmin / folder).mkdir(exist_ok=True)
        (self.garmin / folder / name).write_bytes(data)

    def listing(self, folder: str) -> dict[str, bytes]:
        path = self.garmin / folder
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())} if path.is_dir() else {}

    def imports(self) -> None:
        """What the watch does when unplugged: workouts into Workouts, the schedule into Schedules."""
        for name, data in self.listing("NewFiles").items():
            self.put("Schedules" if name == "schedule.fit" else "Workouts", name, data)
            (self.garmin / "NewFiles" / name).unlink()

    def leave_free(self, free: int) -> None:
        self.monkeypatch.setattr(folder_module.shutil, "disk_usage", lambda _p: SimpleNamespace(free=free))


class UsbWatch:
    """The MTP simulator, opened over its bulk endpoints as ``--device mtp`` opens a watch."""

    def __init__(self) -> None:
        self.sim = SimulatedWatch()

    def open(self) -> Target:
        self.sim.replug()  # a new command: a new session
        return MtpWatch.connect(Session(UsbTransport(self.sim, EP_OUT, EP_IN, MAX_PACKET), sleep=lambda s: None))

    def put(self, folder: str, name: str, data: bytes) -> None:
        self.sim.add(self.sim.find(f"GARMIN/{folder}"), name, data=data)

    def listing(self, folder: str) -> dict[str, bytes]:
        return dict(sorted(self.sim.listing(f"GARMIN/{folder}").items()))

    def imports(self) -> None:
        newfiles = self.sim.find("GARMIN/NewFiles")
        for o in self.sim.objects.values():
            if o.parent == newfiles and not o.folder:
                o.parent = self.sim.find("GARMIN/Schedules" if o.name == "schedule.fit" else "GARMIN/Workouts")

    def leave_free(self, free: int) -> None:
        self.sim.capacity = sum(len(o.data) for o in self.sim.objects.values()) + free


Watch = FolderWatch | UsbWatch


@pytest.fixture(params=["folder", "mtp"])
def watch(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Watch:
    if request.param == "folder":
        return FolderWatch(tmp_path / "w", monkeypatch)
    return UsbWatch()


def batch(programme: str | Path = GLUTE, now: dt.datetime = NOW) -> WorkoutSet:
    return workout_set(load_programme(programme), now=now)


def install(watch: Watch, built: WorkoutSet, *, dry_run: bool = False) -> list[InstallResult]:
    """What `fitplug install` does with the batch: the whole programme, its schedule with its workouts."""
    return install_files(
        watch.open(), built.files(), owner=built.owner(), together=built.together(), complete=True, dry_run=dry_run
    )


def statuses(results: list[InstallResult]) -> dict[str, str]:
    return {r.name: str(r.status) for r in results}


def edited(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = Path(GLUTE).read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    return path


def fit_check(files: dict[str, bytes], tmp_path: Path) -> None:
    """fit-check on what is in NewFiles (copied out: the simulator's files are in memory)."""
    out = tmp_path / f"checked-{len(list(tmp_path.glob('checked-*')))}"
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    result = run_fit_check(out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"fit-check: {len(files)} passed, 0 failed" in result.stdout


def test_copy(watch: Watch, tmp_path: Path) -> None:
    built = batch()
    results = install(watch, built)
    assert set(statuses(results).values()) == {"copied"} and list(statuses(results)) == list(built.files())
    assert watch.listing("NewFiles") == dict(sorted(built.files().items()))
    fit_check(watch.listing("NewFiles"), tmp_path)


def test_already_there(watch: Watch) -> None:
    built = batch()
    install(watch, built)
    before = watch.listing("NewFiles")
    results = install(watch, built)
    assert set(statuses(results).values()) == {"already there"} and {r.reason for r in results} == {""}
    assert watch.listing("NewFiles") == before


def test_replace_own(watch: Watch, tmp_path: Path) -> None:
    install(watch, batch())
    cue = batch(edited(tmp_path, ('cue = "', 'cue = "Slowly. ')))
    got = statuses(install(watch, cue))
    assert got["glute-strength.fit"] == "replaced"
    assert got["schedule.fit"] == "replaced"  # it names the workout's new time_created
    assert watch.listing("NewFiles") == dict(sorted(cue.files().items()))
    fit_check(watch.listing("NewFiles"), tmp_path)


def test_imported_by_the_watch_and_sent_again_with_a_schedule(watch: Watch, tmp_path: Path) -> None:
    install(watch, batch())
    watch.imports()
    results = install(watch, batch())
    assert set(statuses(results).values()) == {"already there"}
    assert {r.reason for r in results} == {"imported by the watch"}
    assert watch.listing("NewFiles") == {}
    # the schedule moves on a week: it takes its workout along, the watch binds it only within a batch
    later = install(watch, batch(now=NOW + dt.timedelta(days=7)))
    got = statuses(later)
    assert got["schedule.fit"] == "copied" and got["glute-strength.fit"] == "copied"
    assert next(r.reason for r in later if r.name == "glute-strength.fit") == "again, to travel with schedule.fit"
    assert got["post-run-stretch-1.fit"] == "already there"
    assert sorted(watch.listing("NewFiles")) == ["glute-strength.fit", "schedule.fit"]
    fit_check(watch.listing("NewFiles"), tmp_path)


def test_conflict_and_held_back(watch: Watch, tmp_path: Path) -> None:
    watch.put("NewFiles", "glute-strength.fit", b"someone else's")
    built = batch()
    results = install(watch, built)
    got = statuses(results)
    assert got["glute-strength.fit"] == "conflict"
    assert next(r.reason for r in results if r.name == "glute-strength.fit") == "a file fitplug did not write"
    assert got["schedule.fit"] == "held back"  # it names the workout that cannot go
    assert [got[n] for n in built.files() if n.startswith("post-run")] == ["copied"] * 3  # the rest still goes
    listing = watch.listing("NewFiles")
    assert listing.pop("glute-strength.fit") == b"someone else's"  # never touched
    assert "schedule.fit" not in listing
    fit_check(listing, tmp_path)


def test_stale_own_file_removed_strangers_kept(watch: Watch, tmp_path: Path) -> None:
    install(watch, batch())
    watch.put("NewFiles", "D55A5738.fit", b"Connect's own")
    shrunk = batch(edited(tmp_path, ('"standing_figure_four", ', "")))
    results = install(watch, shrunk)
    removed = [r for r in results if r.status == "removed"]
    assert [(r.name, r.reason) for r in removed] == [("post-run-stretch-3.fit", "no longer in the programme")]
    listing = watch.listing("NewFiles")
    assert listing.pop("D55A5738.fit") == b"Connect's own"
    assert listing == dict(sorted(shrunk.files().items()))
    fit_check(listing, tmp_path)


def test_dry_run_writes_nothing(watch: Watch, tmp_path: Path) -> None:
    built = batch()
    assert set(statuses(install(watch, built, dry_run=True)).values()) == {"would copy"}
    assert watch.listing("NewFiles") == {}
    install(watch, built)
    before = watch.listing("NewFiles")
    changed = batch(edited(tmp_path, ('cue = "', 'cue = "Slowly. '), ('"standing_figure_four", ', "")))
    got = statuses(install(watch, changed, dry_run=True))
    assert got["glute-strength.fit"] == "would replace" and got["post-run-stretch-3.fit"] == "would remove"
    assert got["post-run-stretch-1.fit"] == "already there"
    assert watch.listing("NewFiles") == before


@pytest.mark.parametrize("name", ["../evil.fit", "/abs.fit", "sub/dir.fit", "x.exe", ".hidden.fit"])
def test_a_name_that_is_not_fitplugs_is_refused(watch: Watch, name: str) -> None:
    with pytest.raises(DeviceError, match="refusing a file name that is not a plain .fit name"):
        install_files(watch.open(), {"a.fit": b"x", name: b"y"}, owner=Owner("p"))
    assert watch.listing("NewFiles") == {}


def test_not_enough_space_copies_nothing(watch: Watch) -> None:
    built = batch()
    size = sum(len(d) for d in built.files().values())
    watch.leave_free(size + 1000)  # room for the files, not for the headroom beside them
    with pytest.raises(DeviceError, match=r"only \d+ bytes free, \d+ needed; nothing was copied"):
        install(watch, built)
    assert watch.listing("NewFiles") == {}
    watch.leave_free(size + 64 * 1024)
    assert set(statuses(install(watch, built)).values()) == {"copied"}
