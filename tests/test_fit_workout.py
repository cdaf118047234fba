"""FIT workouts and schedules: decoded by fitdecode (CRC checked) and by Garmin's SDK,
held against the programme, the golden files and fit-check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import fitdecode
import pytest
from conftest import DATA, ROOT
from garmin_fit_sdk import Decoder, Profile, Stream

from fitplug.app import watch as build
from fitplug.atomic import write_all_atomic
from fitplug.errors import WorkoutFileError
from fitplug.model import (
    Exercise,
    GarminExercise,
    Hold,
    Intensity,
    Programme,
    Reps,
    Session,
    SessionKind,
)
from fitplug.programme import load as P
from fitplug.programme.schedule import post_run_variants
from fitplug.programme.steps import Side, StepType, plan_session
from fitplug.watch import workout as F

GOLDEN = DATA / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


def shared_dir() -> Path | None:
    """``../shared`` beside the checkout; a worktree under ``wt/<name>`` looks one level up too."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "shared", here.parents[3] / "shared"):
        if (candidate / "tools" / "fit-check" / "fit_check.py").is_file():
            return candidate
    return None


def template(name: str) -> Programme:
    return P.parse_programme(P.template_text(name), f"template {name}")


def all_sessions(programme: Programme) -> list[Session]:
    return list(programme.sessions) + list(post_run_variants(programme))


# --- decoders -------------------------------------------------------------------


def decode(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """fitdecode, CRC checked: message name → list of {field: value}, raw numbers kept apart."""
    out: dict[str, list[dict[str, Any]]] = {}
    with fitdecode.FitReader(data, check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA:
                fields = {f.name: f.value for f in frame.fields if f.value is not None}
                for num in (2, 4):  # duration_value, target_value: raw, whatever subfield was chosen
                    if frame.name == "workout_step" and frame.has_field(num):
                        raw = frame.get_value(num, raw_value=True, fallback=None)
                        if raw is not None:
                            fields[f"raw_{num}"] = raw
                out.setdefault(frame.name, []).append(fields)
    return out


def decode_sdk(data: bytes) -> dict[str, list[dict[str, Any]]]:
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    assert decoder.is_fit()
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages  # type: ignore[return-value]  # FitMessages: a dict of message lists


def exercise_number(category: str, name: str | None) -> int:
    if name is None:
        return 0xFFFF
    names = Profile["types"][f"{category}_exercise_name"]
    return int(next(k for k, v in names.items() if v == name))


# --- the steps, against the programme -----------------------------------------------


def check_against_plan(session: Session, data: bytes) -> None:
    """Every decoded step says what the plan says: reps, ms, repeats, sides, titles, notes."""
    fd = decode(data)
    sdk = decode_sdk(data)
    plan = plan_session(session)
    steps = fd["workout_step"]
    assert [s["message_index"] for s in steps] == list(range(len(plan)))
    assert fd["workout"][0]["num_valid_steps"] == len(plan) == len(sdk["workout_step_mesgs"])
    assert fd["workout"][0]["wkt_name"] == session.name
    assert (fd["workout"][0]["sport"], fd["workout"][0]["sub_sport"]) == ("training", "strength_training")
    for planned, got, got_sdk in zip(plan, steps, sdk["workout_step_mesgs"], strict=True):
        if planned.type is StepType.REPEAT:
            assert got["duration_type"] == "repeat_until_steps_cmplt"
            assert (got["duration_step"], got["repeat_steps"]) == (planned.repeat_from, planned.rounds)
            assert (got_sdk["duration_step"], got_sdk["repeat_steps"]) == (planned.repeat_from, planned.rounds)
            assert "intensity" not in got and "exercise_category" not in got
            continue
        if planned.reps is not None:
            assert (got["duration_type"], got["duration_reps"], got["raw_2"]) == ("reps", planned.reps, planned.reps)
            assert got_sdk["duration_reps"] == planned.reps
        elif planned.seconds is not None:
            assert (got["duration_type"], got["raw_2"]) == ("time", planned.seconds * 1000)
            assert got_sdk["duration_time"] == planned.seconds
        else:
            assert got["duration_type"] == "open" and "raw_2" not in got
        assert got["target_type"] == "open"
        if planned.type is StepType.REST:
            assert got["intensity"] == "rest"
            assert "exercise_category" not in got and "exercise_name" not in got and "notes" not in got
            continue
        ex = planned.exercise
        assert ex is not None
        assert got["intensity"] == ("warmup" if ex.intensity is Intensity.WARMUP else "active")
        assert got["exercise_category"] == ex.garmin.category
        raw_name = got.get("exercise_name", 0xFFFF)
        assert raw_name == exercise_number(ex.garmin.category, ex.garmin.name)
        notes = got.get("notes", "")
        assert len(notes.encode()) <= 200
        lines = notes.splitlines()
        if planned.side is Side.LEFT:
            assert lines[0] == "Left"
        elif planned.side is Side.RIGHT:
            assert lines[0] == "Right"
        else:
            assert lines[:1] not in (["Left"], ["Right"])
        if isinstance(ex.dose, Reps) and ex.dose.low != ex.dose.high:
            assert f"{ex.dose.low}-{ex.dose.high} reps" in notes  # ASCII: watch fonts
        if ex.tempo is not None:
            assert f"tempo {ex.tempo}" in notes
        if ex.band:
            assert f"{ex.band.capitalize()} band" in notes
        if ex.cue:
            assert ex.cue in notes or notes.endswith("...")
        if ex.weight_kg is not None:
            assert got["exercise_weight"] == pytest.approx(ex.weight_kg)
            assert got["weight_display_unit"] == "kilogram"
    titles = {
        (t["exercise_category"], t.get("exercise_name", 0xFFFF)): t["wkt_step_name"]
        for t in fd.get("exercise_title", [])
    }
    expected: dict[tuple[str, int], str] = {}
    for ex in session.exercises:
        expected.setdefault((ex.garmin.category, exercise_number(ex.garmin.category, ex.garmin.name)), ex.title)
    assert titles == expected
    assert [t["message_index"] for t in fd["exercise_title"]] == list(range(len(expected)))


@pytest.mark.parametrize("name", P.template_names())
def test_templates_encode_as_planned(name: str) -> None:
    programme = template(name)
    for session in all_sessions(programme):
        built = F.build_workout(session, programme_id=programme.id)
        check_against_plan(session, built.data)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_encode_as_planned(path: Path) -> None:
    programme = P.load_programme(path)
    for session in all_sessions(programme):
        check_against_plan(session, F.build_workout(session, programme_id=programme.id).data)


def test_message_order_and_identity() -> None:
    programme = template("glute-runner")
    session = programme.sessions[0]
    data = F.encode_workout(
        session, programme_id="glute-runner", time_created=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    assert data[1] == 0x10  # protocol 1.0, as Garmin Connect writes
    order = []
    with fitdecode.FitReader(data, check_crc=fitdecode.CrcCheck.RAISE) as reader:
        order = [f.name for f in reader if f.frame_type == fitdecode.FIT_FRAME_DATA]
    assert order[:3] == ["file_id", "file_creator", "workout"]
    assert set(order[3:]) == {"workout_step", "exercise_title"}
    assert order.index("exercise_title") > len(order) - 1 - order[::-1].index("workout_step")
    fid = decode(data)["file_id"][0]
    assert fid == {
        "type": "workout",
        "manufacturer": "garmin",
        "garmin_product": "connect",
        "serial_number": F.serial_number("glute-runner", "glute-strength"),
        "time_created": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    }


# --- determinism and identity -----------------------------------------------------


def test_same_input_same_bytes(fixed_now: dt.datetime) -> None:
    first = build.workout_set(template("glute-runner"), now=fixed_now).files()
    again = build.workout_set(template("glute-runner"), now=fixed_now).files()
    assert first == again


def test_changed_session_new_bytes_same_serial() -> None:
    programme = template("glute-runner")
    session = programme.sessions[0]
    bridge = session.exercises[0]
    changed = dataclasses.replace(
        session, exercises=(dataclasses.replace(bridge, dose=Reps(12, 14)),) + session.exercises[1:]
    )
    a = F.build_workout(session, programme_id=programme.id)
    b = F.build_workout(changed, programme_id=programme.id)
    assert a.data != b.data
    assert a.serial_number == b.serial_number
    assert a.time_created != b.time_created  # a new time tells the watch it is a new version
    assert a.file_name == b.file_name == "glute-strength.fit"


def test_serials_unique_and_non_zero() -> None:
    serials = {}
    for name in P.template_names():
        programme = template(name)
        for session in all_sessions(programme):
            serial = F.serial_number(programme.id, session.id)
            assert 0 < serial < 1 << 32
            serials[(programme.id, session.id)] = serial
    assert len(set(serials.values())) == len(serials)


def test_derived_time_created_is_a_real_date() -> None:
    for name in P.template_names():
        programme = template(name)
        for session in all_sessions(programme):
            created = F.build_workout(session, programme_id=programme.id).time_created
            assert dt.datetime(2020, 1, 1, tzinfo=dt.UTC) <= created < dt.datetime(2022, 2, 17, tzinfo=dt.UTC)


def test_created_fixes_time_created(fixed_now: dt.datetime) -> None:
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    files = build.workout_set(template("glute-runner"), now=fixed_now, created=created).files()
    for name, data in files.items():
        assert decode(data)["file_id"][0]["time_created"] == created, name


def test_check_unique_serials_refuses_collisions() -> None:
    programme = template("glute-runner")
    a = F.build_workout(programme.sessions[0], programme_id=programme.id)
    clash = dataclasses.replace(a, session=dataclasses.replace(a.session, id="other"))
    with pytest.raises(WorkoutFileError, match="same FIT serial number"):
        F.check_unique_serials([a, clash])


# --- fields with edge cases --------------------------------------------------------


def _session(*exercises: Exercise, name: str = "Test") -> Session:
    return Session(id="test", name=name, kind=SessionKind.STRETCH, exercises=exercises)


def _exercise(**changes: Any) -> Exercise:
    base = Exercise(
        id="x", title="Pigeon Pose", garmin=GarminExercise("warm_up", "stretch_pigeon_pose"), sets=1, dose=Hold(30, 30)
    )
    return dataclasses.replace(base, **changes)


def test_category_only_writes_65535_never_0() -> None:
    data = F.build_workout(
        _session(_exercise(garmin=GarminExercise("warm_up"), title="Hip Opener")), programme_id="p"
    ).data
    sdk = decode_sdk(data)
    step = sdk["workout_step_mesgs"][0]
    assert step["exercise_category"] == "warm_up" and "exercise_name" not in step
    # the raw bytes hold 65535: read the field without the invalid-value filter
    with fitdecode.FitReader(data, check_crc=fitdecode.CrcCheck.RAISE) as reader:
        frames = [f for f in reader if f.frame_type == fitdecode.FIT_FRAME_DATA and f.name == "workout_step"]
    assert frames[0].get_field("exercise_name").raw_value in (None, 0xFFFF)
    assert decode(data)["exercise_title"] == [
        {"message_index": 0, "exercise_category": "warm_up", "wkt_step_name": "Hip Opener"}
    ]


def test_weight_and_open_rest() -> None:
    ex = _exercise(
        dose=Reps(10, 10), sets=3, rest_s=None, weight_kg=8.5, garmin=GarminExercise("hip_raise", "hip_raise")
    )
    data = F.build_workout(_session(ex), programme_id="p").data
    steps = decode(data)["workout_step"]
    assert steps[0]["exercise_weight"] == 8.5 and steps[0]["weight_display_unit"] == "kilogram"
    assert steps[1] == {
        "message_index": 1,
        "duration_type": "open",
        "target_type": "open",
        "target_value": 0,
        "raw_4": 0,
        "intensity": "rest",
    }
    assert steps[2]["repeat_steps"] == 3


def test_notes_truncated_at_a_character_boundary() -> None:
    cue = "Étirez doucement à chaque expiration — " * 8  # multi-byte characters across the 200-byte line
    data = F.build_workout(_session(_exercise(cue=cue, per_side=True, dose=Hold(20, 30))), programme_id="p").data
    notes = decode(data)["workout_step"][0]["notes"]
    assert len(notes.encode()) <= 200
    assert notes.startswith("Left\nHold 20-30 s\nÉtirez") and notes.endswith("...")


def test_truncate_utf8() -> None:
    assert F.truncate_utf8("abc", 3) == "abc"
    assert F.truncate_utf8("ééé", 5) == "é..."  # "é" is 2 bytes, "..." is 3 (ASCII: watch fonts)
    assert F.truncate_utf8("ééé", 4) == "..."  # half an "é" never goes out
    assert F.truncate_utf8("aéééé", 8) == "aéé..."  # 1 + 2 + 2 + 3 bytes
    assert len(F.truncate_utf8("🙂" * 100, 200).encode()) <= 200


def test_long_name_truncated_to_31_bytes() -> None:
    data = F.build_workout(_session(_exercise(), name="Étirements fessiers du mardi soir"), programme_id="p").data
    name = decode(data)["workout"][0]["wkt_name"]
    assert len(name.encode()) <= 31 and name.endswith("...")


# --- schedules ----------------------------------------------------------------------


def test_schedule_points_at_workouts(fixed_now: dt.datetime) -> None:
    built = build.workout_set(template("glute-runner"), now=fixed_now)
    assert built.schedule is not None
    entries = decode(built.schedule)
    fid = entries["file_id"][0]
    assert fid["type"] == "schedules" and fid["serial_number"] == F.serial_number("glute-runner", "schedule")
    workout = {w.session.id: w for w in built.workouts}["glute-strength"]
    schedule = entries["schedule"]
    assert len(schedule) == 30
    first = schedule[0]
    assert (first["manufacturer"], first["garmin_product"], first["serial_number"]) == (
        "garmin",
        "connect",
        workout.serial_number,
    )
    assert first["time_created"] == workout.time_created
    assert first["type"] == "workout" and first["completed"] is False
    # local_date_time: the wall clock in the programme's zone (fitdecode labels it UTC)
    assert first["scheduled_time"].replace(tzinfo=None) == dt.datetime(2026, 11, 24, 7, 0)
    times = [e["scheduled_time"].replace(tzinfo=None) for e in schedule]
    assert times == sorted(times) and len(set(times)) == 30
    assert {t.weekday() for t in times} == {1, 4}  # Tuesday and Friday
    summer = [t for t in times if t.month in (4, 5)]
    assert all(t.hour == 7 for t in summer)  # 07:00 local across the clock change, not 07:00 UTC


def test_schedule_is_future_only(fixed_now: dt.datetime) -> None:
    tuesday_morning = dt.datetime(2026, 11, 24, 7, 0, 1, tzinfo=dt.UTC)  # 07:00 London just passed
    built = build.workout_set(template("glute-runner"), now=tuesday_morning)
    first = decode(built.schedule or b"")["schedule"][0]["scheduled_time"].replace(tzinfo=None)
    assert first == dt.datetime(2026, 11, 27, 7, 0)


def test_post_run_only_has_no_schedule(fixed_now: dt.datetime) -> None:
    built = build.workout_set(template("post-run"), now=fixed_now)
    assert built.schedule is None and "schedule.fit" not in built.files()
    assert list(built.files()) == [f"{v.id}.fit" for v in post_run_variants(built.programme)]


def test_encode_schedule_limits() -> None:
    with pytest.raises(WorkoutFileError, match="at least one"):
        F.encode_schedule([], serial=1, time_created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    programme = template("glute-runner")
    w = F.build_workout(programme.sessions[0], programme_id=programme.id)
    entry = F.ScheduleEntry(w, dt.datetime(2026, 12, 1, 7, 0))
    with pytest.raises(WorkoutFileError, match="31 scheduled sessions"):
        F.encode_schedule([entry] * 31, serial=1, time_created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_fit_time_range() -> None:
    with pytest.raises(WorkoutFileError, match="cannot be a FIT time_created"):
        F.fit_time(dt.datetime(1990, 1, 1, tzinfo=dt.UTC))


# --- golden files -------------------------------------------------------------------


def golden_document(programme: Programme, now: dt.datetime) -> dict[str, Any]:
    """Every file of a build, decoded by fitdecode, as JSON-ready data."""
    built = build.workout_set(programme, now=now)

    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, tuple):
            return list(value)
        return value

    doc: dict[str, Any] = {}
    for name, data in built.files().items():
        decoded = decode(data)
        doc[name] = {kind: [{k: plain(v) for k, v in m.items()} for m in msgs] for kind, msgs in decoded.items()}
    return doc


@pytest.mark.parametrize("name", P.template_names())
def test_golden(name: str, fixed_now: dt.datetime, update_golden: bool) -> None:
    path = GOLDEN / f"workouts-{name}.json"
    got = golden_document(template(name), fixed_now)
    text = json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run pytest --update-golden and review it"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text)


# --- fit-check ----------------------------------------------------------------------


def run_fit_check(folder: Path) -> subprocess.CompletedProcess[str]:
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared/tools/fit-check is not beside the checkout")
    tool = shared / "tools" / "fit-check" / "fit_check.py"
    return subprocess.run([sys.executable, str(tool), str(folder)], capture_output=True, text=True, check=False)


def write_workouts(programme: object, folder: Path, *, now: dt.datetime) -> list[Path]:
    """Every workout and the schedule of ``programme`` (a Programme or a file) written into ``folder``."""
    loaded = programme if not isinstance(programme, Path) else P.load_programme(programme)
    files = build.workout_set(loaded, now=now).files()  # type: ignore[arg-type]
    targets = {folder / name: data for name, data in files.items()}
    write_all_atomic(targets)
    return list(targets)


@pytest.mark.parametrize("name", P.template_names())
def test_fit_check_templates(name: str, tmp_path: Path, fixed_now: dt.datetime) -> None:
    written = write_workouts(template(name), tmp_path, now=fixed_now)
    result = run_fit_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"fit-check: {len(written)} passed, 0 failed" in result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_fit_check_examples(path: Path, tmp_path: Path, fixed_now: dt.datetime) -> None:
    written = write_workouts(P.load_programme(path), tmp_path, now=fixed_now)
    result = run_fit_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"fit-check: {len(written)} passed, 0 failed" in result.stdout


# --- writing ------------------------------------------------------------------------


def test_workout_files_writes_nothing_when_one_write_fails(tmp_path: Path, fixed_now: dt.datetime) -> None:
    from fitplug.errors import OutputError

    out = tmp_path / "out"
    out.mkdir()
    (out / "schedule.fit").mkdir()  # a folder where a file must go: the last rename fails
    with pytest.raises(OutputError, match="schedule.fit is a folder"):
        write_workouts(template("glute-runner"), out, now=fixed_now)
    assert sorted(p.name for p in out.iterdir()) == ["schedule.fit"]  # no temp files left behind


def test_workout_files_full_disk_changes_nothing(
    tmp_path: Path, fixed_now: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from fitplug.errors import OutputError

    out = tmp_path / "out"
    out.mkdir()
    (out / "glute-strength.fit").write_bytes(b"old")
    calls = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OutputError, match=r"post-run-stretch-2.fit: could not write: the disk is full"):
        write_workouts(template("glute-runner"), out, now=fixed_now)
    assert sorted(p.name for p in out.iterdir()) == ["glute-strength.fit"]
    assert (out / "glute-strength.fit").read_bytes() == b"old"


def test_workout_files_loads_a_path(tmp_path: Path, fixed_now: dt.datetime) -> None:
    written = write_workouts(EXAMPLES[0], tmp_path / "o", now=fixed_now)
    assert [p.name for p in written][-1] == "schedule.fit"
    assert all(p.is_file() for p in written)
