"""`fitplug install` as a runner repeats it: edits, imported files, strangers' files, hostile trees.

Every batch install puts in ``NewFiles`` is run through fit-check, which fails
a schedule naming a workout that is not checked with it: the batch rule.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from conftest import invoke_cli
from test_cli_workouts import FILES, GLUTE, NOW, make_watch
from test_fit_workout import run_fit_check

from fitplug import settings
from fitplug.app.programme import with_start
from fitplug.errors import DeviceError
from fitplug.watch import devices, folder, install
from fitplug.watch.fileid import parse_file_id
from fitplug.watch.folder import FolderTarget

LATER = ["--now", "2026-12-20T09:30:00+00:00"]


def run(*args: str) -> tuple[int, str]:
    result = invoke_cli(*args)
    return result.exit_code, result.output


def edited(tmp_path: Path, old: str, new: str, name: str = "p.toml") -> str:
    text = Path(GLUTE).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def statuses(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        m = re.match(r"^  (copied|replaced|already there|conflict|held back|removed|would \w+)\s+(\S+\.fit)", line)
        if m:
            found[m.group(2)] = m.group(1)
    return found


def fit_check_batch(newfiles: Path) -> None:
    result = run_fit_check(newfiles)
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(list(newfiles.glob("*.fit")))
    assert f"fit-check: {count} passed, 0 failed" in result.stdout


def test_time_edit_sends_the_workouts_again_with_the_schedule(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "w")
    newfiles = watch / "GARMIN" / "NewFiles"
    assert run(*NOW, "install", GLUTE, "--device", str(watch))[0] == 0
    fit_check_batch(newfiles)
    newfiles.rename(watch / "GARMIN" / "Workouts")  # the watch imports the batch
    newfiles.mkdir()
    moved = edited(tmp_path, 'time = "07:00"', 'time = "18:30"')
    code, output = run(*NOW, "install", moved, "--device", str(watch))
    assert code == 0, output
    got = statuses(output)
    assert got["schedule.fit"] == "copied"
    assert got["glute-strength.fit"] == "copied"  # already imported, but the schedule binds only to its batch
    assert "again, to travel with schedule.fit" in output
    assert got["post-run-stretch-1.fit"] == "already there"  # not on the calendar: not sent again
    assert sorted(p.name for p in newfiles.iterdir()) == ["glute-strength.fit", "schedule.fit"]
    fit_check_batch(newfiles)


def test_cue_edit_replaces_fitplugs_own_waiting_file(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "w")
    newfiles = watch / "GARMIN" / "NewFiles"
    run(*NOW, "install", GLUTE, "--device", str(watch))
    before = (newfiles / "glute-strength.fit").read_bytes()
    cue = edited(tmp_path, 'cue = "', 'cue = "Slowly. ')
    code, output = run(*NOW, "install", cue, "--device", str(watch))
    assert code == 0, output
    assert statuses(output)["glute-strength.fit"] == "replaced"
    assert statuses(output)["schedule.fit"] == "replaced"  # the workout's time_created moved with its content
    after = (newfiles / "glute-strength.fit").read_bytes()
    assert after != before and b"Slowly. " in after
    assert not [p for p in newfiles.iterdir() if p.name not in FILES]  # no temporary left
    fit_check_batch(newfiles)


def test_a_strangers_file_is_a_conflict_and_the_rest_goes(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "w")
    newfiles = watch / "GARMIN" / "NewFiles"
    run(*NOW, "install", GLUTE, "--device", str(watch))
    (newfiles / "D55A5738.fit").write_bytes(b"Connect's own")  # a stranger's file of another name
    shrink = edited(tmp_path, '"standing_figure_four", ', "")  # the rotation shrinks: stretch-3 is stale
    code, output = run(*NOW, "install", shrink, "--device", str(watch))
    assert code == 0, output
    got = statuses(output)
    assert got["post-run-stretch-3.fit"] == "removed"
    assert not (newfiles / "post-run-stretch-3.fit").exists()
    assert (newfiles / "D55A5738.fit").read_bytes() == b"Connect's own"
    fit_check_batch_except(newfiles, "D55A5738.fit")
    # Garmin Connect's workout under one of fitplug's names: garmin/connect too, but another serial
    other = newfiles / "post-run-stretch-2.fit"
    foreign = bytearray(other.read_bytes())
    fid = parse_file_id(bytes(foreign))
    assert fid is not None and fid.manufacturer == 1 and fid.product == 65534 and fid.serial_number
    at = foreign.index(fid.serial_number.to_bytes(4, "little"))
    foreign[at : at + 4] = (1234).to_bytes(4, "little")
    other.write_bytes(bytes(foreign))
    code, output = run(*NOW, "install", GLUTE, "--device", str(watch))
    assert code == 1
    got = statuses(output)
    assert got["post-run-stretch-2.fit"] == "conflict"
    assert got["post-run-stretch-3.fit"] == "copied"  # the rest still goes
    assert other.read_bytes() == bytes(foreign)  # never touched


def fit_check_batch_except(newfiles: Path, stranger: str) -> None:
    batch = newfiles.parent / "batch-copy"
    batch.mkdir()
    for p in newfiles.glob("*.fit"):
        if p.name != stranger:
            (batch / p.name).write_bytes(p.read_bytes())
    fit_check_batch(batch)


def test_build_replaces_and_removes_only_its_own_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(*NOW, "build", GLUTE, "-o", str(out))[0] == 0
    (out / "notes.fit").write_bytes(b"mine")  # the runner's file
    shrink = edited(tmp_path, '"standing_figure_four", ', "")
    code, output = run(*NOW, "build", shrink, "-o", str(out))
    assert code == 0, output
    assert "Removed post-run-stretch-3.fit" in output
    assert not (out / "post-run-stretch-3.fit").exists()
    assert (out / "notes.fit").read_bytes() == b"mine"
    (out / "glute-strength.fit").write_bytes(b"someone else's")
    code, output = run(*NOW, "build", shrink, "-o", str(out))
    assert code == 1 and "glute-strength.fit: a file fitplug did not write" in output
    assert (out / "glute-strength.fit").read_bytes() == b"someone else's"
    assert (out / "post-run-stretch-1.fit").exists()


# --- hostile trees ---------------------------------------------------------------------


def test_garmin_symlink_out_of_the_watch_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "home" / "GARMIN"
    (outside / "NewFiles").mkdir(parents=True)
    watch = tmp_path / "w"
    watch.mkdir()
    (watch / "GARMIN").symlink_to(outside)
    dev = devices.open_device(watch)
    with pytest.raises(DeviceError, match="points outside the device"):
        install.install_files(FolderTarget(dev), {"a.fit": b"x"})
    assert list((outside / "NewFiles").iterdir()) == []
    assert not (watch / folder.PARTIAL_DIR).exists()


def test_newfiles_symlink_out_and_target_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    watch = tmp_path / "w"
    (watch / "GARMIN").mkdir(parents=True)
    (watch / "GARMIN" / "NewFiles").symlink_to(outside)
    with pytest.raises(DeviceError, match="points outside the device"):
        install.install_files(FolderTarget(devices.open_device(watch)), {"a.fit": b"x"})
    assert list(outside.iterdir()) == []
    (watch / "GARMIN" / "NewFiles").unlink()
    (watch / "GARMIN" / "NewFiles").mkdir()
    victim = outside / "victim.fit"
    victim.write_bytes(b"keep")
    (watch / "GARMIN" / "NewFiles" / "a.fit").symlink_to(victim)
    results = install.install_files(FolderTarget(devices.open_device(watch)), {"a.fit": b"x", "b.fit": b"y"})
    assert [(r.name, r.status) for r in results] == [("a.fit", "conflict"), ("b.fit", "copied")]
    assert victim.read_bytes() == b"keep"


def test_newfiles_being_a_file_is_a_clean_error(tmp_path: Path) -> None:
    watch = tmp_path / "w"
    (watch / "GARMIN").mkdir(parents=True)
    (watch / "GARMIN" / "NewFiles").write_bytes(b"")
    code, output = run(*NOW, "install", GLUTE, "--device", str(watch))
    assert code == 1
    assert output.startswith(f"Error: {watch / 'GARMIN' / 'NewFiles'} is a file, not a folder")
    assert "Traceback" not in output


def test_temporaries_from_a_killed_run_are_cleaned(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "w")
    partial = watch / folder.PARTIAL_DIR
    partial.mkdir()
    (partial / "glute-strength.fit.1a2b3c4d").write_bytes(b"half")
    old = watch / "GARMIN" / "NewFiles" / ".glute-strength.fit.0badf00d.tmp"
    old.write_bytes(b"half")
    seen: list[Path] = []
    real_write = folder._write_file

    def spy(path: Path, data: bytes) -> None:
        seen.append(path)
        real_write(path, data)

    folder._write_file = spy  # type: ignore[assignment]
    try:
        install.install_files(FolderTarget(devices.open_device(watch)), {"a.fit": b"x"})
    finally:
        folder._write_file = real_write  # type: ignore[assignment]
    assert seen and all(p.parent == partial for p in seen)  # written beside NewFiles, never in it
    assert not partial.exists() and not old.exists()
    assert sorted(os.listdir(watch / "GARMIN" / "NewFiles")) == ["a.fit"]


# --- one remembered watch ---------------------------------------------------------------


def test_one_remembered_watch_for_install_and_sync(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "w")
    assert run(*NOW, "install", GLUTE, "--device", str(watch))[0] == 0
    assert settings.remembered().device == watch.resolve()
    code, output = run(*LATER, "install", GLUTE)  # no --device: the remembered watch
    assert code == 0 and output.startswith(f"w: {watch / 'GARMIN' / 'NewFiles'}")
    watch.rename(tmp_path / "unplugged")
    make_watch(tmp_path / "other")  # another watch is plugged in: still not silently used
    code, output = run(*NOW, "install", GLUTE)
    assert code == 1
    assert f"the remembered watch at {watch.resolve()} is not plugged in" in output
    code, output = run(*NOW, "sync")
    assert code == 1 and f"the remembered watch at {watch.resolve()} is not plugged in" in output


# --- finding MTP watches the desktop mounted ---------------------------------------------------


def storage(root: Path, name: str = "Internal Storage") -> Path:
    make_watch(root / name)
    (root / name / "GARMIN" / "GarminDevice.xml").write_text(
        "<Device><Model><Description>Forerunner 965</Description></Model></Device>"
    )
    return root / name


def test_gnome_gvfs_and_kde_kio_fuse(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    gvfs = storage(run_dir / "gvfs" / "mtp:host=091e_4f42_0000cafe")
    (run_dir / "gvfs" / "gphoto2:host=camera" / "DCIM").mkdir(parents=True)
    kio = storage(run_dir / "kio-fuse-AbCdEf" / "mtp" / "fenix 7", "Primary")
    points = devices.desktop_mtp_points(run_dir, mounts=tmp_path / "no-mounts")
    found = devices.find_devices(points)
    assert [d.root for d in found] == [gvfs, kio]
    assert found[0].name == "Forerunner 965"
    assert found[0].newfiles_dir == gvfs / "GARMIN" / "NewFiles"


def test_jmtpfs_and_simple_mtpfs_from_the_mount_table(tmp_path: Path) -> None:
    jm = storage(tmp_path / "mnt watch")  # jmtpfs: storages under the mount point
    simple = tmp_path / "simple"
    make_watch(simple)  # simple-mtpfs: the storage is the mount point
    table = tmp_path / "mounts"
    table.write_text(
        "proc /proc proc rw 0 0\n"
        f"jmtpfs {str(tmp_path / 'mnt watch').replace(' ', chr(92) + '040')} fuse.jmtpfs rw,nosuid 0 0\n"
        f"simple-mtpfs {simple} fuse.simple-mtpfs rw 0 0\n"
        f"/dev/sda1 {tmp_path} ext4 rw 0 0\n"
    )
    found = devices.find_devices(devices.desktop_mtp_points(tmp_path / "no-run", mounts=table))
    assert [d.root for d in found] == [jm, simple]


def test_device_option_at_an_mtp_mount_point_finds_its_storage(tmp_path: Path) -> None:
    mount = tmp_path / "gvfs" / "mtp:host=Garmin_fenix_8"
    store = storage(mount)
    code, output = run(*NOW, "install", GLUTE, "--device", str(mount))
    assert code == 0, output
    assert output.startswith(f"Forerunner 965: {store / 'GARMIN' / 'NewFiles'}")
    fit_check_batch(store / "GARMIN" / "NewFiles")
    assert not (store / folder.PARTIAL_DIR).exists()


# --- check: what a watch keeps --------------------------------------------------------------


def test_check_refuses_the_schedule_id(tmp_path: Path) -> None:
    bad = edited(tmp_path, 'id = "glute-strength"', 'id = "schedule"')
    code, output = run("check", bad)
    assert code == 1 and "'schedule' is the name of fitplug's schedule file" in output


def test_check_refuses_names_alike_in_15_characters(tmp_path: Path) -> None:
    text = Path(GLUTE).read_text(encoding="utf-8")
    start = text.index("[[sessions]]")
    end = text.index("[post_run]")
    second = (
        text[start:end]
        .replace('id = "glute-strength"', 'id = "glute-strength-b"')
        .replace('name = "Glute Strength & Mobility"', 'name = "Glute Strength & More"')
        .replace('days = ["tue", "fri"]', 'days = ["sun"]')
    )
    path = tmp_path / "two.toml"
    path.write_text(text[:end] + second + text[end:], encoding="utf-8")
    code, output = run("check", str(path))
    assert code == 1
    assert "'Glute Strength & More' and 'Glute Strength & Mobility' share their first 15 characters" in output


def test_check_refuses_more_workouts_than_a_watch_keeps(tmp_path: Path) -> None:
    text = Path(GLUTE).read_text(encoding="utf-8")
    start, end = text.index("[[sessions]]"), text.index("[post_run]")
    block = text[start:end]
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    extra = []
    for i in range(22):  # 1 + 22 sessions + 3 post-run sets = 26
        extra.append(
            block.replace('id = "glute-strength"', f'id = "s{i}"')
            .replace('name = "Glute Strength & Mobility"', f'name = "{i:02d} Session"')
            .replace('days = ["tue", "fri"]', "days = []" if i else f'days = ["{days[0]}"]')
        )
    path = tmp_path / "many.toml"
    path.write_text(text[:end] + "".join(extra) + text[end:], encoding="utf-8")
    code, output = run("check", str(path))
    assert code == 1 and "makes 26 workouts (23 sessions and 3 post-run sets)" in output


def test_check_warns_about_characters_a_watch_font_lacks(tmp_path: Path) -> None:
    odd = edited(tmp_path, 'name = "Glute Strength & Mobility"', 'name = "Glute Strength \U0001f351 Mobilité"')
    code, output = run("check", odd)
    assert code == 0, output
    assert "warning: session glute-strength name: '\U0001f351' (U+1F351) may show as a box" in output
    assert "é" not in output.split("warning:")[1].split("may show")[0]  # Latin-1 is fine


def test_watch_names_and_ascii() -> None:

    from fitplug.app.watch import workout_set
    from fitplug.programme.load import load_programme
    from fitplug.programme.watch_limits import ascii_text, name_key

    built = workout_set(load_programme(GLUTE), now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    names = [parse_name(w.data) for w in built.workouts]
    assert names == ["Glute Strength & Mobility", "Post-run 1 Stretch", "Post-run 2 Stretch", "Post-run 3 Stretch"]
    assert len({name_key(n) for n in names}) == len(names)
    assert ascii_text("Hold 20\u201330 s \u00d7 3\u2026") == "Hold 20-30 s x 3..."
    for w in built.workouts:  # every byte of generated text the watch shows is ASCII or the runner's own
        assert "\u2013".encode() not in w.data and "\u2026".encode() not in w.data


def parse_name(data: bytes) -> str:
    import io

    import fitdecode

    with fitdecode.FitReader(io.BytesIO(data)) as fit:
        for frame in fit:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "workout":
                return str(frame.get_value("wkt_name"))
    raise AssertionError("no workout message")


def test_partial_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.fit").write_bytes(b"keep")
    watch = make_watch(tmp_path / "w")
    (watch / folder.PARTIAL_DIR).symlink_to(outside)
    with pytest.raises(DeviceError, match="not fitplug's folder for partial copies"):
        install.install_files(FolderTarget(devices.open_device(watch)), {"a.fit": b"x"})
    assert sorted(os.listdir(outside)) == ["keep.fit"]  # not cleaned, not written into
    assert os.listdir(watch / "GARMIN" / "NewFiles") == []


def test_a_post_run_set_alike_a_session_is_refused_and_sessions_keep_their_names(tmp_path: Path) -> None:
    single = edited(tmp_path, "per_run = 2 ", "per_run = 1 ")  # one post-run set: "Post-run Stretch"
    bad = Path(edited(tmp_path, 'name = "Glute Strength & Mobility"', 'name = "Post-run Stretching"', "b.toml"))
    bad.write_text(
        bad.read_text(encoding="utf-8").replace('"standing_figure_four", ', "").replace("per_run = 2 ", "per_run = 1 "),
        encoding="utf-8",
    )
    assert run("check", single)[0] == 0
    code, output = run("check", str(bad))
    assert code == 1
    assert "shares its first 15 characters with the session 'Post-run Stretching'" in output


def test_sync_replaces_fitplugs_older_post_run_copy(tmp_path: Path) -> None:

    import make_activities as m

    from fitplug.app.sync import sync_activities

    watch = make_watch(tmp_path / "w")
    assert run(*NOW, "install", GLUTE, "--device", str(watch))[0] == 0
    newfiles = watch / "GARMIN" / "NewFiles"
    before = (newfiles / "post-run-stretch-1.fit").read_bytes()
    m_run = m.run(dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC), 60, 12.0)
    (watch / "GARMIN" / "Activity").mkdir()
    (watch / "GARMIN" / "Activity" / "B1LA0900.FIT").write_bytes(m_run)
    cue = Path(edited(tmp_path, 'cue = "Front shin across', 'cue = "Slowly. Front shin across'))
    cue.write_text(
        with_start(cue.read_text(encoding="utf-8"), dt.date(2026, 11, 16)),  # started that week: the run counts
        encoding="utf-8",
    )
    r = sync_activities(
        [],
        programme_file=cue,
        device_root=None,
        db_path=tmp_path / "db",
        now=dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC),
    )  # the remembered watch
    assert [(i.name, i.status) for i in r.installed] == [("post-run-stretch-1.fit", "replaced")]
    after = (newfiles / "post-run-stretch-1.fit").read_bytes()
    assert after != before and after == _built(cue)["post-run-stretch-1.fit"]
    assert sorted(p.name for p in newfiles.iterdir()) == sorted(FILES)  # the rest of the batch untouched


def _built(programme: Path) -> dict[str, bytes]:

    from fitplug.app.watch import workout_set
    from fitplug.programme.load import load_programme

    return workout_set(load_programme(programme), now=dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)).files()


def test_gvfs_storage_without_device_xml_is_named_by_its_host(tmp_path: Path) -> None:
    store = make_watch(tmp_path / "gvfs" / "mtp:host=Garmin_Forerunner_255_0000cafe" / "Internal Storage")
    (device,) = devices.find_devices(devices.desktop_mtp_points(tmp_path, mounts=tmp_path / "none"))
    assert device.root == store and device.name == "Garmin_Forerunner_255_0000cafe"
