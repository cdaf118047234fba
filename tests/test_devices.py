"""Finding watches in fake mount trees and copying into GARMIN/NewFiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fitplug.errors import DeviceError
from fitplug.watch import devices, folder, install
from fitplug.watch.folder import FolderTarget


def make_watch(root: Path, garmin: str = "GARMIN") -> Path:
    (root / garmin / "Activity").mkdir(parents=True)
    (root / garmin / "NewFiles").mkdir()
    return root


def test_macos_volumes(tmp_path: Path) -> None:
    make_watch(tmp_path / "Volumes" / "GARMIN")
    (tmp_path / "Volumes" / "Macintosh HD").mkdir()
    (tmp_path / "Volumes" / "USBSTICK" / "DCIM").mkdir(parents=True)
    found = devices.find_devices(devices.mount_points("darwin", base=tmp_path))
    assert [d.root for d in found] == [tmp_path / "Volumes" / "GARMIN"]


def test_windows_drive_letters(tmp_path: Path) -> None:
    make_watch(tmp_path / "E")
    (tmp_path / "C" / "Windows").mkdir(parents=True)
    points = devices.mount_points("win32", base=tmp_path)
    assert tmp_path / "A" not in points  # floppy letters are never probed
    found = devices.find_devices(points)
    assert [d.root for d in found] == [tmp_path / "E"]


@pytest.mark.parametrize("parent", [("media", "runner"), ("run", "media", "runner"), ("media",), ("mnt",)])
def test_linux_mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parent: tuple[str, ...]) -> None:
    monkeypatch.setenv("USER", "runner")
    watch = tmp_path.joinpath(*parent, "FR965")
    make_watch(watch, garmin="Garmin")  # some firmware writes the folder in mixed case
    found = devices.find_devices(devices.mount_points("linux", base=tmp_path))
    assert [d.root for d in found] == [watch]
    assert found[0].newfiles_dir == watch / "Garmin" / "NewFiles"


def test_device_name_from_xml(tmp_path: Path) -> None:
    make_watch(tmp_path / "w")
    (tmp_path / "w" / "GARMIN" / "GarminDevice.xml").write_text(
        "<Device><Model><Description>Forerunner 265</Description></Model></Device>"
    )
    assert devices.open_device(tmp_path / "w").name == "Forerunner 265"


def test_open_device_refuses_plain_folder(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="not a Garmin device"):
        devices.open_device(tmp_path)


def test_pick_device_none_and_several(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="no Garmin device found"):
        devices.pick_device(None, points=[tmp_path])
    make_watch(tmp_path / "a")
    make_watch(tmp_path / "b")
    with pytest.raises(DeviceError, match="several Garmin devices"):
        devices.pick_device(None, points=[tmp_path / "a", tmp_path / "b"])


def test_install_copies_then_is_idempotent(tmp_path: Path) -> None:
    dev = devices.open_device(make_watch(tmp_path / "w"))
    files = {"glute-strength.fit": b"one", "schedule.fit": b"two"}
    first = install.install_files(FolderTarget(dev), files)
    assert [r.status for r in first] == ["copied", "copied"]
    assert (dev.newfiles_dir / "glute-strength.fit").read_bytes() == b"one"
    again = install.install_files(FolderTarget(dev), files)
    assert [r.status for r in again] == ["already there", "already there"]
    assert not [p for p in dev.newfiles_dir.iterdir() if p.name.endswith(".tmp")]


def test_install_never_overwrites_a_different_file(tmp_path: Path) -> None:
    dev = devices.open_device(make_watch(tmp_path / "w"))
    (dev.newfiles_dir / "glute-strength.fit").write_bytes(b"someone else's")
    result = install.install_files(FolderTarget(dev), {"glute-strength.fit": b"ours"})
    assert result[0].status == "conflict"
    assert (dev.newfiles_dir / "glute-strength.fit").read_bytes() == b"someone else's"


def test_install_sees_files_the_watch_already_imported(tmp_path: Path) -> None:
    dev = devices.open_device(make_watch(tmp_path / "w"))
    (dev.garmin_dir / "Workouts").mkdir()
    (dev.garmin_dir / "Workouts" / "A1B2C3D4.FIT").write_bytes(b"ours")
    result = install.install_files(FolderTarget(dev), {"glute-strength.fit": b"ours"})
    assert result[0].status == "already there"
    assert not (dev.newfiles_dir / "glute-strength.fit").exists()


def test_install_dry_run_writes_nothing(tmp_path: Path) -> None:
    dev = devices.open_device(make_watch(tmp_path / "w"))
    result = install.install_files(FolderTarget(dev), {"a.fit": b"x"}, dry_run=True)
    assert result[0].status == "would copy"
    assert list(dev.newfiles_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["../evil.fit", "/abs.fit", "sub/dir.fit", "x.exe", ".hidden.fit"])
def test_install_refuses_unsafe_names(tmp_path: Path, name: str) -> None:
    dev = devices.open_device(make_watch(tmp_path / "w"))
    with pytest.raises(DeviceError, match="refusing a file name"):
        install.install_files(FolderTarget(dev), {name: b"x"})


def test_install_refuses_newfiles_pointing_outside(tmp_path: Path) -> None:
    root = tmp_path / "w"
    (root / "GARMIN").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "GARMIN" / "NewFiles")
    dev = devices.open_device(root)
    with pytest.raises(DeviceError, match="outside the device"):
        install.install_files(FolderTarget(dev), {"a.fit": b"x"})
    assert list(outside.iterdir()) == []


def test_install_checks_free_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = devices.open_device(make_watch(tmp_path / "w"))

    class Usage:
        free = 10

    monkeypatch.setattr(folder.shutil, "disk_usage", lambda _p: Usage())
    with pytest.raises(DeviceError, match="nothing was copied"):
        install.install_files(FolderTarget(dev), {"a.fit": b"x" * 100})
    assert list(dev.newfiles_dir.iterdir()) == []
