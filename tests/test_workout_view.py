"""Reading workout files back: Garmin Connect's, the FIT SDK's examples, ours, and files that are not workouts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from garmin_fit_sdk import Encoder
from test_fit_workout import shared_dir, template

from fitplug.app import watch as build
from fitplug.errors import WorkoutFileError
from fitplug.present.workout import format_table, rows, to_json
from fitplug.programme.steps import StepType, plan_session
from fitplug.watch import workout as F
from fitplug.watch.view import read_workout

CONNECT_TITLES = [
    "Warm-up",
    "Wide-hands Push-up",
    "Alternating Dumbbell Row",
    "Incline Reverse Fly",
    "Dumbbell Lying Triceps Extension",
    "Dumbbell Hammer Curl",
    "Walking Lunge",
    "Side Plank",
    "Lying External Rotation",
]


@pytest.fixture
def connect_file() -> Path:
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared/fit-reference is not beside the checkout")
    return shared / "fit-reference" / "connect-strength-workout.fit"


def sdk_examples() -> list[Path]:
    shared = shared_dir()
    if shared is None:
        return []
    return sorted((shared / "fit-corpus").glob("*/**/Workout*.fit"))


def test_connect_reference(connect_file: Path) -> None:
    view = read_workout(connect_file)
    assert view.name == "FullBody - Beginner - B"
    assert (view.sport, view.sub_sport, view.num_valid_steps) == ("training", "strength_training", 43)
    assert (view.manufacturer, view.product, view.serial_number) == ("garmin", "connect", 634642679)
    assert [e.title for e in view.exercises] == CONNECT_TITLES
    assert len(view.steps) == 43
    repeats = [(s.index, s.repeat_from, s.rounds) for s in view.steps if s.kind == "repeat"]
    assert repeats == [
        (3, 1, 3),
        (8, 4, 2),
        (11, 9, 6),
        (16, 14, 3),
        (21, 19, 3),
        (26, 24, 2),
        (29, 27, 4),
        (34, 30, 2),
        (39, 35, 2),
        (42, 40, 2),
    ]
    push_up = view.steps[1]
    assert (push_up.reps, push_up.exercise and push_up.exercise.name) == (15, "wide_hands_push_up")
    assert push_up.notes == "Rétraction scapulaire\nInspirer en descendant\nExpirer en montant"
    plank = view.steps[30]
    assert (plank.seconds, plank.label, plank.notes) == (30.0, "Side Plank", "Bien droit")
    assert view.steps[4].weight_kg == 8.0 and view.steps[4].intensity == "warmup"
    assert view.steps[0].exercise is not None and view.steps[0].exercise.name is None  # category only
    assert view.steps[5].kind == "rest" and view.steps[5].duration_type == "open"


def test_connect_reference_table(connect_file: Path) -> None:
    table = format_table(read_workout(connect_file))
    lines = table.splitlines()
    assert lines[0] == "FullBody - Beginner - B · training/strength_training · 43 steps · 9 exercises"
    for title in CONNECT_TITLES:
        assert title in table
    assert (
        "    1  exercise    Wide-hands Push-up                3 × 15 reps          60 s        "
        "Rétraction scapulaire · Inspirer en descendant · Expirer en montant" in lines
    )
    assert "  4–8  repeat      steps 4–7                         2 ×" in lines
    assert (
        "   27  exercise    Walking Lunge                     4 × 10 reps          90 s        "
        "Inspirer en descendant · Retenr respiration · Expirer en fin de remontée" in lines
    )
    assert "   30    exercise  Side Plank                        30 s                 30 s        Bien droit" in lines
    firsts = [int(line.split()[0].split("–")[0]) for line in lines[3:]]
    assert firsts == sorted(firsts)  # the # column reads in order
    table_rows = rows(read_workout(connect_file))
    assert sum(r.step == "repeat" for r in table_rows) == 3  # the loops that hold more than one set


@pytest.mark.parametrize("path", sdk_examples(), ids=lambda p: p.name)
def test_sdk_examples(path: Path) -> None:
    view = read_workout(path)
    assert view.name in ("Example 1", "Example 2") and view.manufacturer == "dynastream"
    assert len(view.steps) in (4, 5)  # the SDK's repeat examples say num_valid_steps=4 for 5 steps
    table = format_table(view)
    assert "_A_" in table and "60 s @ HR" in table and "500 m @ power" in table
    if "Repeat" in path.name:
        assert any(s.kind == "repeat" for s in view.steps)
        assert "Rep: steps 1–2" in table


def test_sdk_examples_are_present() -> None:
    if shared_dir() is None:
        pytest.skip("../shared is not beside the checkout")
    assert len(sdk_examples()) >= 4


@pytest.mark.parametrize("name", ["glute-runner", "band-strength", "stretches", "post-run"])
def test_our_files_read_back_as_planned(name: str, fixed_now: dt.datetime) -> None:
    built = build.workout_set(template(name), now=fixed_now)
    for workout in built.workouts:
        view = read_workout(workout.data)
        plan = plan_session(workout.session)
        assert len(view.steps) == len(plan)
        for planned, got in zip(plan, view.steps, strict=True):
            assert (
                got.kind == {StepType.WORK: "exercise", StepType.REST: "rest", StepType.REPEAT: "repeat"}[planned.type]
            )
            assert (got.reps, got.seconds if got.kind != "repeat" else None) == (
                planned.reps,
                float(planned.seconds) if planned.seconds is not None else None,
            )
            assert (got.repeat_from, got.rounds) == (planned.repeat_from, planned.rounds)
            if planned.exercise is not None:
                assert got.label == planned.exercise.title


def test_json_document(fixed_now: dt.datetime) -> None:
    workout = build.workout_set(template("post-run"), now=fixed_now).workouts[0]
    doc = to_json(read_workout(workout.data))
    assert doc["schema"] == "fitplug.show/1"
    assert doc["file"] == "<bytes>"
    assert doc["workout"] == {
        "name": "Post-run 1 Stretch",
        "sport": "training",
        "sub_sport": "strength_training",
        "num_valid_steps": 6,
    }
    assert doc["file_id"]["serial_number"] == workout.serial_number
    assert doc["file_id"]["time_created"] == workout.time_created.isoformat().replace("+00:00", "Z")
    assert doc["exercises"][0] == {"category": "warm_up", "name": "stretch_pigeon_pose", "title": "Pigeon Pose"}
    first = doc["steps"][0]
    assert first["seconds"] == 30.0 and first["text"] == "30 s" and first["notes"].startswith("Left\n")


# --- files that are not workouts ---------------------------------------------------------


def _fit(messages: list[dict[str, object]]) -> bytes:
    encoder = Encoder()
    for message in messages:
        encoder.write_mesg(message)
    return bytes(encoder.close())


def _file_id(kind: str) -> dict[str, object]:
    return {
        "mesg_num": F.mesg_num("file_id"),
        "type": F.enum_value("file", kind),
        "manufacturer": 1,
        "product": 1,
        "serial_number": 1,
        "time_created": 1_000_000_000,
    }


def _workout_bytes(fixed_now: dt.datetime) -> bytes:
    return build.workout_set(template("post-run"), now=fixed_now).workouts[0].data


def test_activity_file_is_not_a_workout() -> None:
    with pytest.raises(WorkoutFileError, match=r"^<bytes>: a FIT activity file, not a workout$"):
        read_workout(_fit([_file_id("activity")]))


def test_schedule_file_is_not_a_workout(tmp_path: Path, fixed_now: dt.datetime) -> None:
    built = build.workout_set(template("glute-runner"), now=fixed_now)
    path = tmp_path / "schedule.fit"
    path.write_bytes(built.schedule or b"")
    with pytest.raises(WorkoutFileError, match=r": a FIT schedules file, not a workout$"):
        read_workout(path)


def test_workout_without_steps() -> None:
    data = _fit([_file_id("workout"), {"mesg_num": F.mesg_num("workout"), "wkt_name": "Empty"}])
    with pytest.raises(WorkoutFileError, match="a workout file with no steps"):
        read_workout(data)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: b"", "no file_id message"),
        (lambda d: b"hello, this is not a FIT file at all", "not a FIT file"),
        (lambda d: d[: len(d) // 2], "truncated FIT file"),
        (lambda d: d[:40] + bytes([d[40] ^ 0xFF]) + d[41:], "CRC check failed"),
    ],
    ids=["empty", "text", "truncated", "bad-crc"],
)
def test_broken_files(mangle: object, message: str, fixed_now: dt.datetime) -> None:
    data = mangle(_workout_bytes(fixed_now))  # type: ignore[operator]
    with pytest.raises(WorkoutFileError, match=message):
        read_workout(data)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkoutFileError, match="cannot read"):
        read_workout(tmp_path / "nope.fit")
