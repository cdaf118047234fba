"""The MTP layer (containers, session, USB transport, install and activities) against the responder simulator.

No real watch was driven by this code: the simulator (tests/mtp_simulator.py),
written from the PTP/MTP and USB still-image specs, stands in for one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import Invoke, programme_file
from mtp_simulator import EP_IN, EP_OUT, MAX_PACKET, SimulatedWatch
from test_cli_workouts import GLUTE
from test_fit_workout import run_fit_check

from fitplug.app.watch import workout_set
from fitplug.errors import DeviceError
from fitplug.programme.load import load_programme
from fitplug.watch.install import Owner, install_files
from fitplug.watch.mtp import ptp
from fitplug.watch.mtp.ptp import Op, Rc
from fitplug.watch.mtp.session import MtpError, Session
from fitplug.watch.mtp.usb import UsbTransport
from fitplug.watch.mtp.watch import MtpWatch, copy_activities

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


def connect(sim: SimulatedWatch) -> MtpWatch:
    transport = UsbTransport(sim, EP_OUT, EP_IN, MAX_PACKET)
    return MtpWatch.connect(Session(transport, sleep=lambda s: None))


def batch(programme: str = GLUTE, now: dt.datetime = NOW):  # type: ignore[no-untyped-def]
    return workout_set(load_programme(programme), now=now)


def fit_check_folder(files: dict[str, bytes], tmp_path: Path) -> None:
    folder = tmp_path / "newfiles-copy"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    result = run_fit_check(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"fit-check: {len(files)} passed, 0 failed" in result.stdout


# --- containers and datasets ------------------------------------------------------------------


def test_container_round_trip_and_malformed() -> None:
    c = ptp.command(Op.GET_OBJECT_HANDLES, 7, 0x10001, 0, 0xFFFFFFFF)
    raw = c.encode()
    assert raw[:4] == (12 + 12).to_bytes(4, "little") and raw[4:6] == b"\x01\x00"
    back = ptp.parse(raw)
    assert back == c and back.params == (0x10001, 0, 0xFFFFFFFF)
    with pytest.raises(ptp.ProtocolError):
        ptp.parse(raw[:-1])
    with pytest.raises(ptp.ProtocolError):
        ptp.parse(b"\x05\x00\x00\x00\x01\x00\x01\x10\x00\x00\x00\x00")
    with pytest.raises(ValueError, match="at most five"):
        ptp.command(1, 1, *range(6))
    info = ptp.ObjectInfo(0x10001, ptp.FORMAT_UNDEFINED, 1234, 5, "Étirement.fit", modified="20261122T093000")
    assert ptp.ObjectInfo.decode(info.encode()) == info
    with pytest.raises(ptp.ProtocolError):
        ptp.ObjectInfo.decode(info.encode()[:40])
    assert ptp.pack_string("") == b"\x00" and ptp.Reader(ptp.pack_string("GARMIN")).string() == "GARMIN"


# --- sessions, listing, faults -------------------------------------------------------------------


def test_session_lists_the_garmin_tree() -> None:
    sim = SimulatedWatch()
    watch = connect(sim)
    assert watch.name == "Forerunner 965"
    assert sorted(watch.children(watch.garmin)) == ["activity", "garmindevice.xml", "newfiles", "schedules", "workouts"]
    assert sim.log[:3] == ["GET_DEVICE_INFO", "OPEN_SESSION", "GET_STORAGE_IDS"]
    watch.session.close()
    assert sim.session is None


def test_a_session_left_open_by_a_killed_run_is_reopened() -> None:
    sim = SimulatedWatch()
    sim.session = 1
    watch = connect(sim)
    assert "CLOSE_SESSION" in sim.log and sim.session == 1 and watch.garmin


def test_busy_watch_is_asked_again_then_gives_up() -> None:
    sim = SimulatedWatch()
    watch = connect(sim)
    sim.busy = 3
    assert "newfiles" in watch.children(watch.garmin)
    waits: list[float] = []
    watch.session.sleep = waits.append
    sim.busy = 100
    with pytest.raises(MtpError, match="the watch stayed busy") as err:
        watch.children(watch.garmin)
    assert err.value.code == Rc.DEVICE_BUSY and len(waits) == watch.session.busy_retries


def test_partial_transfer_is_never_a_file(tmp_path: Path) -> None:
    sim = SimulatedWatch()
    activity = sim.find("GARMIN/Activity")
    sim.add(activity, "2026-11-21-07-00-00.fit", data=bytes(range(256)) * 20)
    watch = connect(sim)
    sim.short_reads = 1
    with pytest.raises(MtpError, match="incomplete transfer|broken MTP container"):
        copy_activities(watch, tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []
    assert [p.name for p in copy_activities(watch, tmp_path / "cache")] == ["2026-11-21-07-00-00.fit"]  # in step
    assert (tmp_path / "cache" / "2026-11-21-07-00-00.fit").read_bytes() == bytes(range(256)) * 20


def test_full_packet_containers_and_zero_length_packets() -> None:
    sim = SimulatedWatch()
    activity = sim.find("GARMIN/Activity")
    exact = bytes(7) * ((MAX_PACKET * 3 - 12) // 7) + bytes((MAX_PACKET * 3 - 12) % 7)
    assert (len(exact) + 12) % MAX_PACKET == 0
    sim.add(activity, "exact.fit", data=exact)
    watch = connect(sim)
    entry = watch.children(activity)["exact.fit"]
    assert watch.read(entry) == exact
    assert watch.children(watch.garmin)  # the stream stays in step after the zero-length packet
    # and fitplug sends one when its own container fills its last packet
    handle = watch.session.send_object(watch.storage, activity, "up.fit", exact)
    assert sim.objects[handle].data == exact


# --- install over MTP -------------------------------------------------------------------------


def test_install_over_mtp_then_time_edit_after_import(tmp_path: Path) -> None:
    sim = SimulatedWatch()
    watch = connect(sim)
    built = batch()
    results = install_files(watch, built.files(), owner=built.owner(), together=built.together(), complete=True)
    assert {r.status for r in results} == {"copied"}
    on_watch = sim.listing("GARMIN/NewFiles")
    assert on_watch == built.files()
    fit_check_folder(on_watch, tmp_path)
    # the watch imports them; a week later the schedule moves on: it takes its workout along
    workouts = sim.find("GARMIN/Workouts")
    for o in sim.objects.values():
        if o.parent == sim.find("GARMIN/NewFiles"):
            o.parent = workouts
    later = batch(now=NOW + dt.timedelta(days=7))
    results = install_files(watch, later.files(), owner=later.owner(), together=later.together(), complete=True)
    got = {r.name: r.status for r in results}
    assert got["schedule.fit"] == "copied" and got["glute-strength.fit"] == "copied"
    assert got["post-run-stretch-1.fit"] == "already there"
    fit_check_folder(sim.listing("GARMIN/NewFiles"), tmp_path / "second")


def test_install_over_mtp_replaces_own_removes_stale_keeps_strangers(tmp_path: Path) -> None:
    sim = SimulatedWatch()
    watch = connect(sim)
    built = batch()
    install_files(watch, built.files(), owner=built.owner(), together=built.together(), complete=True)
    newfiles = sim.find("GARMIN/NewFiles")
    sim.add(newfiles, "D55A5738.fit", data=b"Connect's own")
    text = Path(GLUTE).read_text(encoding="utf-8")
    edited = tmp_path / "p.toml"
    edited.write_text(
        text.replace('"standing_figure_four", ', "").replace('cue = "', 'cue = "Slowly. ', 1), encoding="utf-8"
    )
    shrunk = batch(str(edited))
    results = install_files(watch, shrunk.files(), owner=shrunk.owner(), together=shrunk.together(), complete=True)
    got = {r.name: r.status for r in results}
    assert got["post-run-stretch-3.fit"] == "removed"
    assert "replaced" in got.values()
    listing = sim.listing("GARMIN/NewFiles")
    assert listing.pop("D55A5738.fit") == b"Connect's own"
    assert listing == shrunk.files()
    # a stranger's file under one of fitplug's names: a conflict, and the schedule waits with it
    sim.objects[sim.find("GARMIN/NewFiles/glute-strength.fit")].data = b"someone else's"
    results = install_files(watch, built.files(), owner=built.owner(), together=built.together(), complete=True)
    got = {r.name: r.status for r in results}
    assert got["glute-strength.fit"] == "conflict" and got["schedule.fit"] == "held back"
    assert got["post-run-stretch-3.fit"] == "copied"
    assert sim.listing("GARMIN/NewFiles")["glute-strength.fit"] == b"someone else's"


def test_unplugged_mid_transfer_leaves_no_half_file_and_the_next_run_completes(tmp_path: Path) -> None:
    sim = SimulatedWatch()
    watch = connect(sim)
    built = batch()
    sim.unplug_after = sim._moved + 3000  # a few kilobytes into the batch
    with pytest.raises(MtpError, match="unplugged"):
        install_files(watch, built.files(), owner=built.owner(), together=built.together(), complete=True)
    assert sim.log[-1] == "SEND_OBJECT"  # it went in the middle of sending a file
    sim.replug()
    half = sim.listing("GARMIN/NewFiles")
    assert len(half) < len(built.files())
    for name, data in half.items():  # whatever arrived is whole
        assert data == built.files()[name]
    watch = connect(sim)
    install_files(watch, built.files(), owner=built.owner(), together=built.together(), complete=True)
    assert sim.listing("GARMIN/NewFiles") == built.files()
    fit_check_folder(sim.listing("GARMIN/NewFiles"), tmp_path)


def test_store_full_and_newfiles_a_file() -> None:
    sim = SimulatedWatch(capacity=2000)
    watch = connect(sim)
    built = batch()
    with pytest.raises(DeviceError, match="bytes free"):
        install_files(watch, built.files(), owner=Owner("x"))
    assert sim.listing("GARMIN/NewFiles") == {}
    sim = SimulatedWatch()
    del sim.objects[sim.find("GARMIN/NewFiles")]
    sim.add(sim.find("GARMIN"), "NewFiles", data=b"")
    with pytest.raises(DeviceError, match="is a file, not a folder"):
        install_files(connect(sim), built.files(), owner=Owner("x"))


def test_activities_are_copied_once(tmp_path: Path) -> None:
    sim = SimulatedWatch()
    activity = sim.find("GARMIN/Activity")
    sim.add(activity, "a.fit", data=b"A" * 3000)
    sim.add(activity, "b.FIT", data=b"B" * 10)
    sim.add(activity, "notes.txt", data=b"x")
    watch = connect(sim)
    cache = tmp_path / "cache"
    assert sorted(p.name for p in copy_activities(watch, cache)) == ["a.fit", "b.FIT"]
    assert (cache / "a.fit").read_bytes() == b"A" * 3000
    assert copy_activities(watch, cache) == []


# --- the commands over MTP ------------------------------------------------------------------


@pytest.fixture
def usb_watch(monkeypatch: pytest.MonkeyPatch) -> SimulatedWatch:
    """The simulator plugged in where `--device mtp` looks for a watch on USB."""
    sim = SimulatedWatch()

    def connect_usb() -> MtpWatch:
        if sim.unplugged:
            raise DeviceError("no Garmin watch found on USB in MTP mode")
        sim.replug()
        return connect(sim)

    import fitplug.app.watch

    monkeypatch.setattr(fitplug.app.watch, "connect_usb_watch", connect_usb)  # where the watch is chosen
    return sim


def test_install_device_mtp_and_remembered(usb_watch: SimulatedWatch, tmp_path: Path, invoke: Invoke) -> None:
    from fitplug import settings

    args = ["--now", "2026-11-22T09:30:00+00:00", "install", GLUTE]
    result = invoke(*args, "--device", "mtp")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Forerunner 965: mtp://Forerunner 965/GARMIN/NewFiles\n")
    assert settings.remembered().device == Path("mtp")
    fit_check_folder(usb_watch.listing("GARMIN/NewFiles"), tmp_path)
    result = invoke(*args)  # the remembered watch: over MTP again
    assert result.exit_code == 0 and "Nothing to copy." in result.output
    usb_watch.unplugged = True
    result = invoke(*args)
    assert result.exit_code == 1 and "no Garmin watch found on USB" in result.output


def test_sync_device_mtp_reads_activities_and_puts_the_post_run_set(usb_watch: SimulatedWatch, tmp_path: Path) -> None:
    import make_activities as m

    from fitplug.app.sync import sync_activities
    from fitplug.settings import data_dir

    activity = usb_watch.find("GARMIN/Activity")
    run = m.run(dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC), 60, 12.0)
    usb_watch.add(activity, "B1LA0900.FIT", data=run)
    programme = programme_file(
        tmp_path, start=dt.date(2026, 11, 16), name="glute.toml"
    )  # started that week: the run counts
    r = sync_activities([], programme_file=programme, device_root=Path("mtp"), db_path=tmp_path / "db", now=NOW)
    assert [a.key for a in r.new] == [str(data_dir() / "mtp" / "Forerunner-965" / "Activity" / "B1LA0900.FIT")]
    assert "Remembered the watch over USB MTP for later syncs." in r.notes
    assert [(i.name, i.status) for i in r.installed] == [("post-run-stretch-1.fit", "copied")]
    assert list(usb_watch.listing("GARMIN/NewFiles")) == ["post-run-stretch-1.fit"]
    assert usb_watch.session is None  # closed at the end
    again = sync_activities([], programme_file=None, device_root=None, db_path=tmp_path / "db", now=NOW)
    assert again.new == [] and [i.status for i in again.installed] == ["already there"]
    usb_watch.unplugged = True
    with pytest.raises(DeviceError, match="the remembered watch over USB MTP is not connected"):
        sync_activities([], programme_file=None, device_root=None, db_path=tmp_path / "db", now=NOW)


def test_a_watch_held_by_another_program_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("usb.core")  # the mtp extra
    from usb import core, util

    from fitplug.watch.mtp import usb as mtp_usb

    class Intf:
        bInterfaceClass, bInterfaceNumber = 6, 0

    class Dev:
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter([[Intf()]])

        def is_kernel_driver_active(self, n: int) -> bool:
            return False

    def busy(dev: object, n: int) -> None:
        raise core.USBError("Resource busy", error_code=-6, errno=16)

    monkeypatch.setattr(core, "find", lambda **kw: [Dev()])
    monkeypatch.setattr(util, "claim_interface", busy)
    with pytest.raises(DeviceError, match="held by another program .Garmin Express, Android File Transfer"):
        mtp_usb.open_usb_watch()
    monkeypatch.setattr(core, "find", lambda **kw: [])
    with pytest.raises(DeviceError, match="no Garmin watch found on USB in MTP mode"):
        mtp_usb.open_usb_watch()


def test_transfers_over_mtp_show_their_progress(tmp_path: Path) -> None:
    """A long copy over USB (#21): the meter counts the bytes really sent or fetched, file by file."""
    import io

    from fitplug.cli.meter import Meter

    sim = SimulatedWatch()
    activity = sim.find("GARMIN/Activity")
    for n in range(4):
        sim.add(activity, f"{n}.fit", data=bytes([n]) * 2500)
    watch = connect(sim)
    shown = io.StringIO()
    watch.meter = meter = Meter("Copying from the watch", stream=shown, clock=lambda: 0.0)
    assert len(copy_activities(watch, tmp_path / "cache")) == 4
    assert (meter.total, meter.done) == (10_000, 10_000) and meter.drawn[-1].startswith("Copying from the watch 100%")
    assert [int(line.split("%")[0].split()[-1]) for line in meter.drawn] == [0, 25, 50, 75, 100, 100]
    assert shown.getvalue().endswith("\n")
    built = batch()
    watch.meter = meter = Meter("Copying to the watch", stream=io.StringIO(), clock=lambda: 0.0)
    install_files(watch, built.files(), owner=built.owner(), together=built.together(), complete=True)
    assert meter.total == sum(len(d) for d in built.files().values()) == meter.done
    assert len(meter.drawn) == 1 + len(built.files()) + 1  # start, one a file, the last line


def test_hostile_objects_on_the_watch(tmp_path: Path) -> None:
    """#22: a name no file should get (a NUL, a path, a dot file) is not copied; a transfer larger than it
    may be is refused with a clear error before it is buffered; the honest files still come."""
    sim = SimulatedWatch()
    activity = sim.find("GARMIN/Activity")
    sim.add(activity, "good.fit", data=b"G" * 100)
    for name in ("bad\x00name.fit", "../up.fit", ".hidden.fit", "a\\b.fit", "x" * 200 + ".fit"):
        sim.add(activity, name, data=b"B" * 10)
    watch = connect(sim)
    assert [p.name for p in copy_activities(watch, tmp_path / "cache")] == ["good.fit"]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["good.fit"]
    sim.add(activity, "huge.fit", data=b"H" * 5000)
    transport = UsbTransport(sim, EP_OUT, EP_IN, MAX_PACKET, max_bytes=2048)
    small = MtpWatch.connect(Session(transport, sleep=lambda s: None))
    with pytest.raises(DeviceError, match=r"offers 50\d\d bytes in one transfer; fitplug takes at most 2048"):
        copy_activities(small, tmp_path / "cache2")
    assert not (tmp_path / "cache2" / "huge.fit").exists()


def test_the_watchs_manifest_over_mtp(tmp_path: Path) -> None:
    """#20: the MTP path reads the same manifest: the model and firmware; a watch that takes no workouts
    gets nothing, one with a hostile manifest is refused cleanly, and `fitplug watch`'s findings read."""
    from test_manifest import ACTIVITY, FENIX, manifest

    from fitplug.app.watch import _report
    from fitplug.watch.install import plan_install

    def with_manifest(xml: bytes) -> tuple[SimulatedWatch, MtpWatch]:
        sim = SimulatedWatch()
        manifest_file = next(h for h, o in sim.objects.items() if o.name == "GarminDevice.xml")
        sim.objects[manifest_file].data = xml
        return sim, connect(sim)

    sim, watch = with_manifest(FENIX.encode())
    assert watch.name == "fenix 6X Pro Solar" and watch.manifest() is not None
    built = batch()
    report = _report(watch, {w.serial_number: w.file_name for w in built.workouts})
    assert (report.software, report.kept, report.room) == ("27.09", 0, 25)
    _, swim = with_manifest(manifest("Swim 2", (ACTIVITY, [("GARMIN/ACTIVITY", "OutputFromUnit")])).encode())
    with pytest.raises(DeviceError, match="lists no FIT workouts"):
        plan_install(swim, built.files(), owner=built.owner(), together=built.together())
    _, bad = with_manifest(b'<!DOCTYPE d [<!ENTITY x "y">]><Device/>')
    assert bad.name  # the name falls back; the install is refused with the reason
    with pytest.raises(DeviceError, match="entity declaration"):
        plan_install(bad, built.files(), owner=built.owner(), together=built.together())
