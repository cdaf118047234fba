"""`GARMIN/GarminDevice.xml` read properly (#20): model, part number, firmware, and the folders per FIT
type, from manifests shaped as watches write them; hostile ones refused cleanly; a watch that takes no
workouts gets nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Invoke
from test_cli_workouts import GLUTE

from fitplug.errors import DeviceError
from fitplug.watch.devices import open_device
from fitplug.watch.manifest import ACTIVITY, SCHEDULE, WORKOUT, Folders, parse_manifest

NS = "http://www.garmin.com/xmlschemas/GarminDevice/v2"


def manifest(
    model: str = "fenix 6X Pro Solar", *types: tuple[int, list[tuple[str, str]]], version: str = "2709"
) -> str:
    data = "".join(
        f"<DataType><Name>FIT_TYPE_{t}</Name>"
        + "".join(
            f"<File><Specification><Identifier>FIT</Identifier></Specification><Location><Path>{path}</Path>"
            f"<FileExtension>FIT</FileExtension></Location><TransferDirection>{d}</TransferDirection></File>"
            for path, d in files
        )
        + "</DataType>"
        for t, files in types
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Device xmlns="{NS}"><Model><PartNumber>006-B3290-00</PartNumber>'
        f"<SoftwareVersion>{version}</SoftwareVersion><Description>{model}</Description></Model><Id>3990000000</Id>"
        f"<MassStorageMode>{data}</MassStorageMode></Device>"
    )


FENIX = manifest(
    "fenix 6X Pro Solar",
    (ACTIVITY, [("GARMIN/ACTIVITY", "OutputFromUnit")]),
    (WORKOUT, [("GARMIN/WORKOUTS", "OutputFromUnit"), ("GARMIN/NEWFILES", "InputToUnit")]),
    (SCHEDULE, [("GARMIN/SCHEDULE", "InputOutput"), ("GARMIN/NEWFILES", "InputToUnit")]),
)


def test_a_fenix_manifest() -> None:
    m = parse_manifest(FENIX.encode())
    assert (m.model, m.part_number, m.software) == ("fenix 6X Pro Solar", "006-B3290-00", "27.09")
    assert m.types[WORKOUT] == Folders("GARMIN/NEWFILES", "GARMIN/WORKOUTS")
    assert m.types[SCHEDULE] == Folders("GARMIN/NEWFILES", "GARMIN/SCHEDULE")
    assert m.types[ACTIVITY] == Folders(None, "GARMIN/ACTIVITY")
    assert m.takes(WORKOUT) and m.takes(SCHEDULE) and not m.takes(42)


def test_lower_case_other_folders_and_no_namespace() -> None:
    text = manifest(
        "Forerunner 965", (WORKOUT, [("Garmin/Workouts", "InputOutput"), ("Garmin/NewFiles", "InputToUnit")])
    )
    m = parse_manifest(text.replace(f' xmlns="{NS}"', "").encode(), "x.xml")
    assert m.model == "Forerunner 965" and m.types == {WORKOUT: Folders("Garmin/NewFiles", "Garmin/Workouts")}
    assert parse_manifest(manifest("Edge", version="  ").encode()).software is None


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"x" * (1024 * 1024 + 1), "is no watch's manifest"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Device>&a;</Device>', "entity declaration"),
        (b"<Device><Model>", "not readable XML"),
        (b"<html><body>hello</body></html>", "not a Garmin device manifest"),
        (b"\xff\xfe\x00<", "not readable XML"),
    ],
)
def test_hostile_manifests_are_refused_cleanly(data: bytes, says: str) -> None:
    with pytest.raises(DeviceError, match=says):
        parse_manifest(data, "GarminDevice.xml")


def test_a_path_out_of_the_device_is_not_taken() -> None:
    m = parse_manifest(manifest("W", (WORKOUT, [("../../etc", "InputToUnit"), ("/abs", "OutputFromUnit")])).encode())
    assert m.types[WORKOUT] == Folders(None, None) and not m.takes(WORKOUT)


def watch(root: Path, xml: str | None) -> Path:
    (root / "GARMIN" / "NewFiles").mkdir(parents=True)
    if xml is not None:
        (root / "GARMIN" / "GarminDevice.xml").write_text(xml, encoding="utf-8")
    return root


def test_the_device_is_named_from_its_manifest(tmp_path: Path) -> None:
    assert open_device(watch(tmp_path / "a", FENIX)).name == "fenix 6X Pro Solar"
    assert open_device(watch(tmp_path / "GARMIN_VOL", "<not xml")).name == "GARMIN_VOL"  # unreadable: the volume's


def test_a_watch_that_takes_no_workouts_gets_nothing(invoke: Invoke, tmp_path: Path) -> None:
    only_activities = manifest("Swim 2", (ACTIVITY, [("GARMIN/ACTIVITY", "OutputFromUnit")]))
    root = watch(tmp_path / "swim", only_activities)
    result = invoke("install", GLUTE, "--device", str(root))
    assert result.exit_code == 1
    assert "Swim 2: its GarminDevice.xml lists no FIT workouts (type 5)" in result.output
    assert list((root / "GARMIN" / "NewFiles").iterdir()) == []
    fenix = watch(tmp_path / "fenix", FENIX)
    assert invoke("install", GLUTE, "--device", str(fenix)).exit_code == 0
    assert (fenix / "GARMIN" / "NewFiles" / "schedule.fit").is_file()


def test_install_refuses_to_take_the_watch_past_25_workouts(invoke: Invoke, tmp_path: Path) -> None:
    """#20: 22 workouts on the watch, the glute programme's 4 would make 26: refused, saying how many to
    remove; --force copies, said loudly; 21 there leaves room."""
    root = watch(tmp_path / "w", FENIX)
    workouts = root / "GARMIN" / "WORKOUTS"  # the folder the manifest names, in the watch's capitals
    workouts.mkdir()
    for n in range(22):
        (workouts / f"W{n:02d}.FIT").write_bytes(b"workout")
    result = invoke("install", GLUTE, "--device", str(root))
    assert result.exit_code == 1
    assert "keeps 22 workouts" in result.output and "would add 4: 26, past the 25 a watch keeps" in result.output
    assert "Remove 1 there" in result.output
    assert list((root / "GARMIN" / "NewFiles").iterdir()) == []
    forced = invoke("install", GLUTE, "--device", str(root), "--force")
    assert forced.exit_code == 0 and "--force: the watch may drop workouts" in forced.output
    (workouts / "W00.FIT").unlink()
    for f in (root / "GARMIN" / "NewFiles").iterdir():
        f.unlink()
    assert invoke("install", GLUTE, "--device", str(root)).exit_code == 0  # 21 + 4 = 25: room


def test_fitplug_watch_says_what_the_watch_took(invoke: Invoke, tmp_path: Path) -> None:
    """#20: on a fake fenix tree, the watch's import simulated by moving files: what it took, what waits,
    what it refused (still in NewFiles after an activity recorded since), strangers and room; JSON too;
    and nothing written."""
    import json
    import os

    root = watch(tmp_path / "fenix", FENIX)
    garmin = root / "GARMIN"
    (garmin / "WORKOUTS").mkdir()
    (garmin / "SCHEDULE").mkdir()
    (garmin / "ACTIVITY").mkdir()
    (garmin / "WORKOUTS" / "STRANGER.FIT").write_bytes(b"someone else's workout")
    now = ["--now", "2026-11-22T09:30:00Z"]
    assert invoke(*now, "install", GLUTE, "--device", str(root)).exit_code == 0
    inbox = garmin / "NewFiles"
    # the watch restarts: it takes the post-run sets and the schedule, and leaves the strength workout
    for name in ("post-run-stretch-1.fit", "post-run-stretch-2.fit", "post-run-stretch-3.fit"):
        (inbox / name).rename(garmin / "WORKOUTS" / name.upper().replace("-", "_"))
    (inbox / "schedule.fit").rename(garmin / "SCHEDULE" / "SCHED001.FIT")
    os.utime(inbox / "glute-strength.fit", (1_700_000_000, 1_700_000_000))
    (garmin / "ACTIVITY" / "2026-11-21-07-00-00.fit").write_bytes(b"a run")  # recorded after the copy
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*"))
    doc = json.loads(invoke(*now, "watch", GLUTE, "--device", str(root), "--json").output)
    assert doc["schema"] == "fitplug.watch/1"
    assert (doc["model"], doc["software"], doc["part_number"]) == ("fenix 6X Pro Solar", "27.09", "006-B3290-00")
    assert doc["on_watch"] == [
        "post-run-stretch-1.fit",
        "post-run-stretch-2.fit",
        "post-run-stretch-3.fit",
        "schedule.fit",
    ]
    assert doc["newfiles_waiting"] == ["glute-strength.fit"] and doc["not_taken"] == ["glute-strength.fit"]
    assert (doc["strangers"], doc["workouts_kept"], doc["room"]) == (1, 4, 21)
    assert doc["folders"]["workouts"].endswith("GARMIN/WORKOUTS")
    text = invoke(*now, "watch", GLUTE, "--device", str(root)).output
    assert "Not taken: glute-strength.fit stayed in NewFiles although the watch recorded an activity since" in text
    assert sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*")) == before  # a query: nothing written
    # the next install says what the watch did with the last batch, in a line
    again = invoke(*now, "install", GLUTE, "--device", str(root)).output
    assert (
        "The watch had taken 3 workouts and the schedule of this programme; it left glute-strength.fit in "
        "NewFiles after an activity since (it refused them) — see `fitplug watch`." in again
    )


def test_install_removes_fitplugs_dropped_workouts_from_the_watch(invoke: Invoke, tmp_path: Path) -> None:
    """#20: a post-run variant dropped from the programme, already taken in (and renamed) by the watch, is
    removed from the watch's own folder by the next install (known by its file_id); `--dry-run` lists it
    first; a stranger's workout is never touched."""
    root = watch(tmp_path / "fenix", FENIX)
    garmin = root / "GARMIN"
    (garmin / "WORKOUTS").mkdir()
    (garmin / "WORKOUTS" / "STRANGER.FIT").write_bytes(b"someone else's workout")
    programme = tmp_path / "p.toml"
    text = Path(GLUTE).read_text(encoding="utf-8")
    programme.write_text(text, encoding="utf-8")
    assert invoke("install", str(programme), "--device", str(root)).exit_code == 0
    for f in (garmin / "NewFiles").iterdir():  # the watch takes everything in, under names of its own
        f.rename(garmin / "WORKOUTS" / f.name.upper().replace("-", "_"))
    fewer = '"lying_figure_four", "standing_figure_four", "stacked_leg_stretch"'
    programme.write_text(text.replace(fewer, '"lying_figure_four", "standing_figure_four"', 1), encoding="utf-8")
    report = json.loads(invoke("watch", str(programme), "--device", str(root), "--json").output)
    assert report["stale"] == ["post-run-stretch-3.fit"] and report["strangers"] == 1
    dry = invoke("install", str(programme), "--device", str(root), "--dry-run").output
    assert "would remove" in dry and "POST_RUN_STRETCH_3.FIT" in dry
    assert (garmin / "WORKOUTS" / "POST_RUN_STRETCH_3.FIT").exists()
    done = invoke("install", str(programme), "--device", str(root))
    assert done.exit_code == 0, done.output
    assert (
        "POST_RUN_STRETCH_3.FIT" in done.output and "post-run-stretch-3.fit: no longer in the programme" in done.output
    )
    assert sorted(p.name for p in (garmin / "WORKOUTS").iterdir()) == [
        "GLUTE_STRENGTH.FIT",
        "POST_RUN_STRETCH_1.FIT",
        "POST_RUN_STRETCH_2.FIT",
        "SCHEDULE.FIT",
        "STRANGER.FIT",
    ]


def test_sync_from_the_watch_says_what_it_took(invoke: Invoke, tmp_path: Path) -> None:
    """#20: `sync --device` says in a line what the watch did with the programme's files."""
    root = watch(tmp_path / "fenix", FENIX)
    garmin = root / "GARMIN"
    (garmin / "WORKOUTS").mkdir()
    (garmin / "ACTIVITY").mkdir()
    now = ["--now", "2026-11-22T09:30:00Z", "--db", str(tmp_path / "db.sqlite3")]
    assert invoke(*now, "install", GLUTE, "--device", str(root)).exit_code == 0
    for f in (garmin / "NewFiles").iterdir():
        f.rename(garmin / "WORKOUTS" / f.name)
    said = invoke(*now, "sync", "--device", str(root), "-p", GLUTE)
    assert said.exit_code == 0, said.output
    assert "The watch had taken 4 workouts and the schedule of this programme — see `fitplug watch`." in said.output


def test_the_manifests_folders_are_used(invoke: Invoke, tmp_path: Path) -> None:
    """#20: a watch whose manifest names other folders gets its files there and is read from there; one
    that takes no schedules gets the workouts and a note, no schedule."""
    odd = manifest(
        "Odd 1",
        (ACTIVITY, [("GARMIN/Runs", "OutputFromUnit")]),
        (WORKOUT, [("GARMIN/Inbox", "InputToUnit"), ("GARMIN/Workouts", "OutputFromUnit")]),
        (SCHEDULE, [("GARMIN/Inbox", "InputToUnit")]),
    )
    root = tmp_path / "odd"
    (root / "GARMIN" / "Inbox").mkdir(parents=True)
    (root / "GARMIN" / "GarminDevice.xml").write_text(odd, encoding="utf-8")
    result = invoke("--now", "2026-11-22T09:30:00Z", "install", GLUTE, "--device", str(root))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "GARMIN" / "Inbox").iterdir())[-1] == "schedule.fit"
    assert open_device(root).activity_dir == root / "GARMIN" / "Runs"
    no_schedules = manifest("Simple 2", (WORKOUT, [("GARMIN/NewFiles", "InputToUnit")]))
    plain = watch(tmp_path / "plain", no_schedules)
    said = invoke("--now", "2026-11-22T09:30:00Z", "install", GLUTE, "--device", str(plain))
    assert said.exit_code == 0, said.output
    assert "Simple 2 takes no FIT schedules (its GarminDevice.xml lists none)" in said.output
    assert sorted(p.name for p in (plain / "GARMIN" / "NewFiles").iterdir()) == [
        "glute-strength.fit",
        "post-run-stretch-1.fit",
        "post-run-stretch-2.fit",
        "post-run-stretch-3.fit",
    ]


def test_watch_and_a_dry_run_record_nothing(invoke: Invoke, tmp_path: Path) -> None:
    """Queries write nothing: `fitplug watch` and `install --dry-run` compute each workout's time_created
    as install would, and record none of it (#19's record of times given, #20's command)."""
    from fitplug import settings

    root = watch(tmp_path / "fenix", FENIX)
    record = settings.config_dir() / "workouts.json"
    assert not record.exists()
    assert invoke("watch", GLUTE, "--device", str(root)).exit_code == 0
    assert invoke("install", GLUTE, "--device", str(root), "--dry-run").exit_code == 0
    assert not record.exists() and list((root / "GARMIN" / "NewFiles").iterdir()) == []
    assert invoke("install", GLUTE, "--device", str(root)).exit_code == 0
    assert record.exists()  # what was written out is recorded
