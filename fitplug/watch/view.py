"""Any FIT workout file → a readable structure: steps, repeats folded, exercise names; a schedules file → its days.

Reads fitplug's own files, Garmin Connect's, and the FIT SDK's examples with
fitdecode, CRC checked. ``duration_value`` and ``target_value`` are read raw
and interpreted from ``duration_type`` here, so the meaning does not depend
on which subfield a decoder picked.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from fitplug.errors import WorkoutFileError
from fitplug.model.workout import (
    Block,
    ScheduledWorkout,
    ScheduleView,
    ViewExercise,
    ViewStep,
    WorkoutView,
    fold_repeats,
)
from fitplug.present.workout import metres_text, seconds_text
from fitplug.times import FIT_EPOCH

__all__ = ["Block", "ViewExercise", "ViewStep", "WorkoutView", "fold_repeats", "read_fit", "read_workout"]

_V = TypeVar("_V")

#: a workout file is a few kilobytes; a bigger .fit beside a schedule is not one (an activity)
MAX_WORKOUT_BYTES = 256 * 1024

#: duration types that loop back to an earlier step; the text says when the loop ends
_REPEAT_UNTIL = {
    "repeat_until_steps_cmplt": "",
    "repeat_until_time": "time",
    "repeat_until_distance": "distance",
    "repeat_until_calories": "calories",
    "repeat_until_hr_less_than": "HR <",
    "repeat_until_hr_greater_than": "HR >",
    "repeat_until_power_less_than": "power <",
    "repeat_until_power_greater_than": "power >",
    "repeat_until_training_peaks_tss": "TSS",
    "repeat_until_power_last_lap_less_than": "last-lap power <",
    "repeat_until_max_power_last_lap_less_than": "last-lap max power <",
}


# --- reading --------------------------------------------------------------------


def read_workout(source: str | Path | bytes | BinaryIO) -> WorkoutView:
    """Decode a workout FIT file (path, bytes or binary file object)."""
    name, messages = _decode(source)
    return _guarded(name, lambda: _view(name, messages))


def _guarded(name: str, make: Callable[[], _V]) -> _V:
    """``make()``, its errors on values no writer should have put in the file said as such."""
    try:
        return make()
    except WorkoutFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise WorkoutFileError(f"{name}: a FIT file with values fitplug cannot read ({type(exc).__name__})") from exc


def read_fit(source: str | Path) -> WorkoutView | ScheduleView:
    """A workout file as its steps, or a schedules file as its days, each with the workout it points at
    found among the FIT files beside it (by serial number and time_created, as a watch matches them)."""
    name, messages = _decode(source)
    file_ids = messages.get("file_id") or []
    if file_ids and _value(file_ids[0], "type") == "schedules":
        return _guarded(name, lambda: _schedule(name, Path(source), messages))
    return _guarded(name, lambda: _view(name, messages))


def _decode(source: str | Path | bytes | BinaryIO) -> tuple[str, dict[str, list[Any]]]:
    import fitdecode

    name = str(source) if isinstance(source, (str, Path)) else "<bytes>"
    fileish: Any
    if isinstance(source, (bytes, bytearray)):
        fileish = io.BytesIO(bytes(source))
    elif isinstance(source, (str, Path)):
        try:
            fileish = io.BytesIO(Path(source).read_bytes())
        except OSError as exc:
            raise WorkoutFileError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    else:
        fileish = source
    messages: dict[str, list[Any]] = {}
    try:
        with warnings.catch_warnings():  # fitdecode warns on odd definitions; the error, if any, says it
            warnings.simplefilter("ignore")
            with fitdecode.FitReader(fileish, check_crc=fitdecode.CrcCheck.RAISE) as reader:
                for frame in reader:
                    if frame.frame_type == fitdecode.FIT_FRAME_DATA:
                        messages.setdefault(frame.name, []).append(frame)
    except fitdecode.FitHeaderError as exc:
        raise WorkoutFileError(f"{name}: not a FIT file ({exc})") from exc
    except fitdecode.FitCRCError as exc:
        raise WorkoutFileError(f"{name}: damaged FIT file, CRC check failed ({exc})") from exc
    except fitdecode.FitEOFError as exc:
        raise WorkoutFileError(f"{name}: truncated FIT file ({exc})") from exc
    except fitdecode.FitError as exc:
        raise WorkoutFileError(f"{name}: unreadable FIT file ({exc})") from exc
    except (
        ValueError, TypeError, KeyError, IndexError, OverflowError, AssertionError, struct.error, UnicodeDecodeError
    ) as exc:  # fmt: skip
        # what fitdecode raises, unwrapped, on odd files: a wide record, an odd header size, 64-bit times
        raise WorkoutFileError(f"{name}: unreadable FIT file ({type(exc).__name__}: {exc})") from exc
    return name, messages


def _schedule(name: str, path: Path, messages: dict[str, list[Any]]) -> ScheduleView:
    fid = messages["file_id"][0]
    beside = _workouts_beside(path)
    entries = []
    for frame in messages.get("schedule") or []:
        raw_time = _value(frame, "scheduled_time", raw=True)
        local = FIT_EPOCH.replace(tzinfo=None) + dt.timedelta(seconds=raw_time) if isinstance(raw_time, int) else None
        serial = _value(frame, "serial_number")
        created = _value(frame, "time_created")
        created = created if isinstance(created, dt.datetime) else None
        found = beside.get(serial) if isinstance(serial, int) else None
        completed = _value(frame, "completed")
        entries.append(
            ScheduledWorkout(
                local_time=local,
                serial_number=serial if isinstance(serial, int) else None,
                time_created=created,
                completed=bool(completed) if completed is not None else None,
                workout_file=found[0] if found else None,
                workout_name=found[1] if found else None,
                stale=found is not None and found[2] != created,
            )
        )
    product = _value(fid, "garmin_product") or _value(fid, "product")
    created = _value(fid, "time_created")
    return ScheduleView(
        source=name,
        manufacturer=_text(_value(fid, "manufacturer")),
        product=product if isinstance(product, (int, str)) else None,
        serial_number=_value(fid, "serial_number"),
        time_created=created if isinstance(created, dt.datetime) else None,
        entries=tuple(sorted(entries, key=lambda e: (e.local_time is None, e.local_time or dt.datetime.min))),
    )


def _workouts_beside(path: Path) -> dict[int, tuple[str, str | None, dt.datetime | None]]:
    """The workout files in the schedule's folder by serial number: (file name, workout name, time_created).
    A file that is not a readable workout is passed over (a schedule beside a watch's other files)."""
    out: dict[int, tuple[str, str | None, dt.datetime | None]] = {}
    try:
        candidates = sorted(p for p in path.parent.iterdir() if p.suffix.casefold() == ".fit" and p != path)
    except OSError:
        return out
    for candidate in candidates:
        try:
            view = read_workout(candidate) if candidate.stat().st_size <= MAX_WORKOUT_BYTES else None
        except (WorkoutFileError, OSError):
            continue
        if view is not None and isinstance(view.serial_number, int):
            out.setdefault(view.serial_number, (candidate.name, view.name, view.time_created))
    return out


def _value(frame: Any, key: str | int, *, raw: bool = False) -> Any:
    return frame.get_value(key, fallback=None, raw_value=raw)


def _view(name: str, messages: dict[str, list[Any]]) -> WorkoutView:
    file_ids = messages.get("file_id") or []
    if not file_ids:
        raise WorkoutFileError(f"{name}: not a FIT workout file (no file_id message)")
    fid = file_ids[0]
    kind = _value(fid, "type")
    if kind != "workout":
        raise WorkoutFileError(f"{name}: a FIT {kind or 'unknown'} file, not a workout")
    steps_raw = messages.get("workout_step") or []
    if not steps_raw:
        raise WorkoutFileError(f"{name}: a workout file with no steps")
    titles: dict[tuple[str, int | None], str] = {}
    for title in messages.get("exercise_title") or []:
        category = _value(title, "exercise_category")
        text = _str(_value(title, "wkt_step_name"))
        if isinstance(category, str) and text:
            titles.setdefault((category, _value(title, "exercise_name")), str(text))
    steps = tuple(_step(frame, i, titles) for i, frame in enumerate(steps_raw))
    seen: dict[tuple[str, str | None], ViewExercise] = {}
    for step in steps:
        if step.exercise is not None:
            seen.setdefault((step.exercise.category, step.exercise.name), step.exercise)
    workouts = messages.get("workout") or []
    workout = workouts[0] if workouts else None
    product = _value(fid, "garmin_product") or _value(fid, "product")
    created = _value(fid, "time_created")
    return WorkoutView(
        source=name,
        name=_str(_value(workout, "wkt_name")) if workout is not None else None,
        sport=_text(_value(workout, "sport")) if workout is not None else None,
        sub_sport=_text(_value(workout, "sub_sport")) if workout is not None else None,
        num_valid_steps=_value(workout, "num_valid_steps") if workout is not None else None,
        manufacturer=_text(_value(fid, "manufacturer")),
        product=product if isinstance(product, (int, str)) else None,
        serial_number=_value(fid, "serial_number"),
        time_created=created if isinstance(created, dt.datetime) else None,
        steps=steps,
        exercises=tuple(seen.values()),
    )


def _str(value: Any) -> str | None:
    """A text field as text (``None`` when empty, or when a damaged file gave it another type)."""
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _exercise(category: Any, name_id: Any, titles: dict[tuple[str, int | None], str]) -> ViewExercise | None:
    from garmin_fit_sdk import Profile

    if not isinstance(category, str):
        return None if category is None else ViewExercise(str(category), None, f"Exercise category {category}")
    if not isinstance(name_id, int) or name_id == 0xFFFF:
        name_id = None
    profile_name = Profile["types"].get(f"{category}_exercise_name", {}).get(name_id) if name_id is not None else None
    title = titles.get((category, name_id))
    if title is None and name_id is not None:
        title = _pretty(profile_name) if profile_name else f"{_pretty(category)} #{name_id}"
    if title is None:
        title = _pretty(category)
    return ViewExercise(category, profile_name, title)


def _pretty(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _step(frame: Any, position: int, titles: dict[tuple[str, int | None], str]) -> ViewStep:
    index = _value(frame, "message_index")
    index = index if isinstance(index, int) else position
    duration_type = _text(_value(frame, "duration_type"))
    value = _value(frame, 2, raw=True)  # duration_value, raw: whichever subfield applies
    target_raw = _value(frame, 4, raw=True)
    intensity = _text(_value(frame, "intensity"))
    step_name = _str(_value(frame, "wkt_step_name"))
    notes = _str(_value(frame, "notes"))
    if duration_type in _REPEAT_UNTIL:
        value = value if isinstance(value, int) else None
        rounds = target_raw if duration_type == "repeat_until_steps_cmplt" and isinstance(target_raw, int) else None
        until = None
        if rounds is None:
            until = f"{_REPEAT_UNTIL[duration_type]} {_repeat_target(duration_type, target_raw)}".strip()
        return ViewStep(
            index=index,
            kind="repeat",
            intensity=intensity,
            step_name=step_name,
            duration_type=duration_type,
            repeat_from=value,
            rounds=rounds,
            until=until,
            notes=notes,
        )
    kind = "rest" if intensity == "rest" else "exercise"
    exercise = _exercise(_value(frame, "exercise_category"), _value(frame, "exercise_name"), titles)
    weight = _value(frame, "exercise_weight")
    reps = seconds = metres = other = None
    if duration_type == "reps" and value is not None:
        reps = int(value)
    elif duration_type in ("time", "repetition_time") and value is not None:
        seconds = value / 1000
    elif duration_type == "distance" and value is not None:
        metres = value / 100
    elif value is not None:
        other = int(value)
    return ViewStep(
        index=index,
        kind=kind,
        intensity=intensity,
        step_name=step_name,
        exercise=exercise,
        duration_type=duration_type,
        reps=reps,
        seconds=seconds,
        metres=metres,
        duration_value=other,
        target=_target(frame),
        weight_kg=float(weight) if isinstance(weight, (int, float)) else None,
        notes=notes,
    )


def _repeat_target(duration_type: str, raw: Any) -> str:
    if raw is None:
        return "?"
    if duration_type == "repeat_until_time":
        return seconds_text(raw / 1000)
    if duration_type == "repeat_until_distance":
        return metres_text(raw / 100)
    if "hr" in duration_type:
        return f"{raw - 100} bpm" if raw > 100 else f"{raw} % max HR"
    if "power" in duration_type:
        return f"{raw - 1000} W" if raw > 1000 else f"{raw} % FTP"
    return str(raw)


def _target(frame: Any) -> str | None:
    """A step's target in words: ``HR zone 2``, ``power 300–310 W``; ``None`` when open."""
    kind = _value(frame, "target_type")
    if kind in (None, "open"):
        return None
    value = _value(frame, 4, raw=True)
    low = _value(frame, 5, raw=True)
    high = _value(frame, 6, raw=True)
    label = {"heart_rate": "HR", "speed": "speed", "cadence": "cadence", "power": "power"}.get(
        str(kind), str(kind).replace("_", " ")
    )
    if value:  # a zone
        return f"{label} zone {value}"
    if low is None and high is None:
        return label
    if kind == "heart_rate":
        return "HR " + _range(low, high, lambda v: (v - 100, "bpm") if v > 100 else (v, "% max"))
    if kind == "power":
        return "power " + _range(low, high, lambda v: (v - 1000, "W") if v > 1000 else (v, "% FTP"))
    if kind == "speed":
        return "speed " + _range(low, high, lambda v: (round(v / 1000, 3), "m/s"))
    if kind == "cadence":
        return "cadence " + _range(low, high, lambda v: (v, "rpm"))
    return f"{label} {low}–{high}"


def _range(low: int | None, high: int | None, unit: Callable[[int], tuple[float, str]]) -> str:
    """``50–60 % max``; each end with its own unit when they differ."""
    ends = [unit(v) for v in (low, high) if v is not None]
    if len(ends) == 2 and ends[0][1] == ends[1][1]:
        return f"{ends[0][0]:g}–{ends[1][0]:g} {ends[0][1]}"
    return "–".join(f"{v:g} {u}" for v, u in ends)
