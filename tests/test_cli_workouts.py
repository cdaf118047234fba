"""`fitplug build`, `show` and `install` end to end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import Invoke, invoke_cli
from test_fit_workout import EXAMPLES, shared_dir

NOW = ["--now", "2026-11-22T09:30:00+00:00"]
GLUTE = str(EXAMPLES[0])
FILES = [
    "glute-strength.fit",
    "post-run-stretch-1.fit",
    "post-run-stretch-2.fit",
    "post-run-stretch-3.fit",
    "schedule.fit",
]


def build_into(out: Path, *extra: str) -> None:
    result = invoke_cli(*NOW, "build", GLUTE, "-o", str(out), *extra)
    assert result.exit_code == 0, result.output


def make_watch(root: Path) -> Path:
    (root / "GARMIN" / "NewFiles").mkdir(parents=True)
    return root


# --- build ----------------------------------------------------------------------------


def test_build(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(*NOW, "build", GLUTE, "-o", str(out))
    assert result.exit_code == 0
    assert result.output == (
        f"Wrote 6 files to {out}:\n"
        + "".join(f"  {name}\n" for name in FILES)
        + "  glute-runner.ics\n"
        + f"Remembered {Path(GLUTE).resolve()} as the programme for later commands.\n"
    )
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, "glute-runner.ics"])
    # the feed beside the workouts names each session's workout file
    feed = (out / "glute-runner.ics").read_text(encoding="utf-8")
    assert "glute-strength.fit" in feed.replace("\r\n ", "")


def test_build_twice_same_feed(tmp_path: Path) -> None:
    build_into(tmp_path / "a")
    build_into(tmp_path / "b")
    assert (tmp_path / "a" / "glute-runner.ics").read_bytes() == (tmp_path / "b" / "glute-runner.ics").read_bytes()


def test_build_twice_same_bytes(tmp_path: Path) -> None:
    build_into(tmp_path / "a")
    build_into(tmp_path / "b")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_build_created_and_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_into(tmp_path / "a", "--created", "2026-01-01")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    build_into(tmp_path / "b")
    build_into(tmp_path / "c", "--created", "2026-01-01T00:00:00+00:00")
    for name in FILES:
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "'soon' is not an ISO date-time (2026-01-01T00:00Z) or seconds since 1970"),
        ("1990-01-01", "'1990-01-01' is outside the FIT time range (1998-07-01 to 2125)"),
    ],
)
def test_build_bad_created(invoke: Invoke, tmp_path: Path, value: str, message: str) -> None:
    result = invoke("build", GLUTE, "-o", str(tmp_path), "--created", value)
    assert result.exit_code == 2
    assert result.output.endswith(f"Error: Invalid value for '--created' (env var: 'SOURCE_DATE_EPOCH'): {message}\n")


def test_build_remembered_programme(invoke: Invoke, tmp_path: Path) -> None:
    build_into(tmp_path / "a")
    result = invoke(*NOW, "build", "-o", str(tmp_path / "b"))
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted([*FILES, "glute-runner.ics"])


def test_build_without_programme(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("build", "-o", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == "Error: no programme given and none remembered; name one, or run `fitplug init`\n"


def test_build_invalid_programme_writes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[programme]\nid = "x"\nname = "X"\ntimezone = "Europe/Lodnon"\n')
    result = invoke("build", str(bad), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}:4: programme.timezone: unknown time zone 'Europe/Lodnon'")
    assert not (tmp_path / "out").exists()


# --- show -----------------------------------------------------------------------------


POST_RUN_1 = """\
Post-run 1 Stretch · training/strength_training · 6 steps · 2 exercises

#  step      exercise           sets × reps/hold  rest  notes
0  exercise  Pigeon Pose        30 s              5 s   Left · Hold 20-30 s · Front shin across, back leg long, hips level; walk the hands out as you breathe out.
2  exercise  Pigeon Pose        30 s                    Right · Hold 20-30 s · Front shin across, back leg long, hips level; walk the hands out as you breathe out.
3  exercise  Lying Figure-Four  30 s              5 s   Left · Hold 20-30 s · On your back, ankle over knee, draw the lower thigh in. Easiest for stiff hips.
5  exercise  Lying Figure-Four  30 s                    Right · Hold 20-30 s · On your back, ankle over knee, draw the lower thigh in. Easiest for stiff hips.
"""

GLUTE_STRENGTH_HEAD = """\
Glute Strength & Mobility · training/strength_training · 20 steps · 6 exercises

  #  step        exercise                   sets × reps/hold  rest  notes
  0  warm-up     Glute Bridge               3 × 15 reps       30 s  12-15 reps · Feet flat, peel the spine up until hips are high, pause, roll down slowly.
3–7  repeat      steps 3–6                  3 ×
  3    exercise  Banded Leg Raise           15 reps           10 s  Left · 12-15 reps, tempo 1-2-3 · Green band · Lower back aching? Tilt the pelvis to flatten it and lift lower. Stop if pain stays.
  5    exercise  Banded Leg Raise           15 reps           60 s  Right · 12-15 reps, tempo 1-2-3 · Green band · Lower back aching? Tilt the pelvis to flatten it and lift lower. Stop if pain stays.
  8  exercise    Stacked-leg Glute Stretch  30 s              5 s   Left · Hold 20-30 s · Shins folded one on the other; lean the chest forward to go deeper.
"""


def test_show_table(invoke: Invoke, tmp_path: Path) -> None:
    build_into(tmp_path)
    result = invoke("show", str(tmp_path / "post-run-stretch-1.fit"))
    assert result.exit_code == 0
    assert result.output == POST_RUN_1
    strength = invoke("show", str(tmp_path / "glute-strength.fit"))
    assert strength.output.startswith(GLUTE_STRENGTH_HEAD)
    assert len(strength.output.splitlines()) == 2 + 1 + 12  # bridge, repeat + 2 sides, 4 stretches × 2
    # the # column reads in order: a repeat block shows the steps it spans, before them
    firsts = [int(line.split()[0].split("–")[0]) for line in strength.output.splitlines()[3:]]
    assert firsts == sorted(firsts)


def test_show_json(invoke: Invoke, tmp_path: Path) -> None:
    build_into(tmp_path)
    path = tmp_path / "glute-strength.fit"
    result = invoke("show", "--json", str(path))
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["schema"] == "fitplug.show/1" and doc["file"] == str(path)
    assert [e["title"] for e in doc["exercises"]] == [
        "Glute Bridge",
        "Banded Leg Raise",
        "Stacked-leg Glute Stretch",
        "Standing Figure-Four",
        "Lying Figure-Four",
        "Pigeon Pose",
    ]
    assert doc["steps"][2] == {
        "index": 2,
        "kind": "repeat",
        "repeat_from": 0,
        "rounds": 3,
        "until": None,
        "name": None,
        "notes": None,
    }
    assert doc["steps"][3]["reps"] == 15 and doc["steps"][3]["notes"].startswith("Left\n12-15 reps, tempo 1-2-3")


def test_show_connect_reference(invoke: Invoke) -> None:
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared/fit-reference is not beside the checkout")
    result = invoke("show", str(shared / "fit-reference" / "connect-strength-workout.fit"))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "FullBody - Beginner - B · training/strength_training · 43 steps · 9 exercises"
    assert "Mobilisations articulaires" in result.output and "Bras gauche / droit" in result.output
    assert "6 × 10 reps @ 10 kg" in result.output and "4 × 10 reps" in result.output


def test_show_not_a_workout(invoke: Invoke, tmp_path: Path) -> None:
    import datetime as dt

    import make_activities as m

    run = tmp_path / "run.fit"
    run.write_bytes(m.run(dt.datetime(2026, 11, 20, 7, tzinfo=dt.UTC), 40, 8.0))
    result = invoke("show", str(run))
    assert result.exit_code == 1
    assert result.output == f"Error: {run}: a FIT activity file, not a workout\n"
    text = tmp_path / "notes.fit"
    text.write_text("not FIT")
    result = invoke("show", str(text))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {text}: not a FIT file (")


def test_show_missing_file(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("show", str(tmp_path / "nope.fit"))
    assert result.exit_code == 2
    assert "File '" in result.output and "does not exist" in result.output


# --- install ----------------------------------------------------------------------------


def install(watch: Path, *extra: str, programme: str | None = GLUTE) -> tuple[int, str]:
    args = [*NOW, "install", *([programme] if programme else []), "--device", str(watch), *extra]
    result = invoke_cli(*args)
    return result.exit_code, result.output


def listing(status: str, width: int | None = None, reason: str = "") -> str:
    width = width or len(status)
    why = f"  ({reason})" if reason else ""
    return "".join(f"  {status:<{width}}  {name}{why}\n" for name in FILES)


def test_install_dry_run_then_copy_then_again(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "FR265")
    newfiles = watch / "GARMIN" / "NewFiles"
    code, output = install(watch, "--dry-run")
    assert code == 0
    assert output == (
        f"FR265: {newfiles}\n" + listing("would copy") + "Dry run: 5 files would be copied; nothing was written.\n"
    )
    assert list(newfiles.iterdir()) == []

    code, output = install(watch)
    assert code == 0
    assert output == (
        f"FR265: {newfiles}\n"
        + listing("copied")
        + "Copied 5 files. Eject the watch; it imports them when it is unplugged.\n"
    )
    build_into(tmp_path / "out")
    for name in FILES:  # the same bytes as `fitplug build`
        assert (newfiles / name).read_bytes() == (tmp_path / "out" / name).read_bytes()

    code, output = install(watch, programme=None)  # the remembered programme
    assert code == 0
    assert output == f"FR265: {newfiles}\n" + listing("already there") + "Nothing to copy.\n"


def test_install_after_the_watch_imported(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "w")
    install(watch)
    imported = watch / "GARMIN" / "Workouts"
    (watch / "GARMIN" / "NewFiles").rename(imported)  # the watch moves them on import
    code, output = install(watch)
    assert code == 0 and output.endswith(
        listing("already there", reason="imported by the watch")
        + "Nothing to copy.\n"
        + "The watch had taken 4 workouts and the schedule of this programme — see `fitplug watch`.\n"
    )


def test_install_conflict(tmp_path: Path) -> None:
    watch = make_watch(tmp_path / "w")
    newfiles = watch / "GARMIN" / "NewFiles"
    (newfiles / "glute-strength.fit").write_bytes(b"someone else's")
    code, output = install(watch)
    assert code == 1
    assert output.startswith(
        f"w: {newfiles}\n  conflict   glute-strength.fit  (a file fitplug did not write)\n"
        "  copied     post-run-stretch-1.fit\n"
    )
    # the schedule names the workout that cannot go: it waits too, or the watch's calendar would go empty
    assert "  held back  schedule.fit  (it names glute-strength.fit, which cannot be copied)\n" in output
    assert output.endswith(
        "Copied 3 files. Eject the watch; it imports them when it is unplugged.\n"
        f"Error: glute-strength.fit, schedule.fit: not copied; a file fitplug did not write has that name in "
        f"{newfiles} (left as it was; the other files went). Move it away and run install again\n"
    )
    assert not (newfiles / "schedule.fit").exists()
    assert (newfiles / "glute-strength.fit").read_bytes() == b"someone else's"


def test_install_refuses_a_folder_that_is_not_a_watch(tmp_path: Path) -> None:
    (tmp_path / "usb" / "DCIM").mkdir(parents=True)
    code, output = install(tmp_path / "usb")
    assert code == 1
    assert output == (
        f"Error: {tmp_path / 'usb'}: not a Garmin device (no GARMIN folder at its root or in one of its storages)\n"
    )
    assert not (tmp_path / "usb" / "GARMIN").exists()


def test_json_keys_are_documented(invoke: Invoke, tmp_path: Path) -> None:
    from conftest import ROOT

    doc = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    assert "`fitplug.show/1`" in doc
    build_into(tmp_path)
    shown = json.loads(invoke("show", "--json", str(tmp_path / "glute-strength.fit")).output)
    keys = set(shown) | set(shown["file_id"]) | set(shown["workout"]) | set(shown["exercises"][0])
    for step in shown["steps"]:
        keys |= set(step)
    for key in sorted(keys):
        assert f"`{key}`" in doc, f"{key} is not in docs/json.md"


def test_a_rebuild_raises_sequence_only_for_the_sessions_that_changed(invoke: Invoke, tmp_path: Path) -> None:
    """`build` derives SEQUENCE from the feed it replaces: the same programme keeps the same bytes;
    an edited session's events still ahead go up by one, past ones keep what they had."""
    from icalendar import Calendar

    out = tmp_path / "out"
    programme = tmp_path / "p.toml"
    programme.write_text(Path(GLUTE).read_text(encoding="utf-8"), encoding="utf-8")
    assert invoke(*NOW, "build", str(programme), "-o", str(out)).exit_code == 0
    first = (out / "glute-runner.ics").read_bytes()
    assert invoke(*NOW, "build", str(programme), "-o", str(out)).exit_code == 0
    assert (out / "glute-runner.ics").read_bytes() == first
    text = programme.read_text(encoding="utf-8")
    assert 'time = "07:00"' in text
    programme.write_text(text.replace('time = "07:00"', 'time = "07:30"', 1), encoding="utf-8")
    assert invoke(*NOW, "build", str(programme), "-o", str(out)).exit_code == 0

    def sequences(body: bytes) -> dict[str, int]:
        return {str(e["UID"]): int(e.get("SEQUENCE", 0)) for e in Calendar.from_ical(body).walk("VEVENT")}

    before, after = sequences(first), sequences((out / "glute-runner.ics").read_bytes())
    assert set(before) == set(after) and before
    # the session's events still ahead moved: one version up; those over keep the time they had (#19)
    today = dt.date.fromisoformat(NOW[1][:10])
    ahead = {u for u in before if dt.date.fromisoformat(u.split(".")[3][:10]) > today}
    assert ahead and {after[u] - before[u] for u in ahead} == {1}
    assert {after[u] - before[u] for u in set(before) - ahead} <= {0}


def test_show_schedule(invoke: Invoke, tmp_path: Path) -> None:
    """`fitplug show schedule.fit` (#21): the days the watch's calendar will show, each with the workout
    file beside it that it points at (by serial number and time_created, as the watch matches them)."""
    import fitdecode

    build_into(tmp_path / "a", "--created", "2026-01-01T00:00:00Z")
    schedule = tmp_path / "a" / "schedule.fit"
    text = invoke("show", str(schedule)).output.splitlines()
    with fitdecode.FitReader(str(schedule), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        entries = [f for f in reader if isinstance(f, fitdecode.FitDataMessage) and f.name == "schedule"]
    assert text[0] == f"Schedule · {len(entries)} days on the watch's calendar" and len(entries) > 2
    assert text[2].split() == ["date", "time", "workout", "file"]
    assert len(text) == 3 + len(entries)
    assert text[3] == "Tue 24 Nov 2026  07:00  Glute Strength & Mobility  glute-strength.fit"
    doc = json.loads(invoke("show", "--json", str(schedule)).output)
    assert doc["schema"] == "fitplug.schedule/1" and len(doc["entries"]) == len(entries)
    first = doc["entries"][0]
    assert (first["local_time"], first["workout_file"], first["stale"]) == (
        "2026-11-24T07:00:00",
        "glute-strength.fit",
        False,
    )
    assert first["serial_number"] == entries[0].get_value("serial_number")
    # the workout written again at another time: the schedule's entries point at a version not there
    build_into(tmp_path / "b", "--created", "2026-02-01T00:00:00Z")
    (tmp_path / "b" / "schedule.fit").write_bytes(schedule.read_bytes())
    stale = invoke("show", str(tmp_path / "b" / "schedule.fit")).output
    assert "glute-strength.fit: another version (time_created differs): the watch will not find it" in stale
    (tmp_path / "b" / "glute-strength.fit").unlink()
    gone = invoke("show", str(tmp_path / "b" / "schedule.fit")).output
    assert f"not beside it (serial {first['serial_number']})" in gone
