"""Any FIT workout file → a readable structure: steps, repeats folded, exercise names.

Reads fitplug's own files, Garmin Connect's, and the FIT SDK's examples with
fitdecode, CRC checked. ``duration_value`` and ``target_value`` are read raw
and interpreted from ``duration_type`` here, so the meaning does not depend
on which subfield a decoder picked.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from fitplug.errors import WorkoutFileError
from fitplug.times import utc_text

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

#: what the ``step`` column says for each intensity
_INTENSITY_WORD = {
    "active": "exercise",
    "warmup": "warm-up",
    "cooldown": "cool-down",
    "rest": "rest",
    "recovery": "recovery",
    "interval": "interval",
    "other": "other",
}


@dataclass(frozen=True, slots=True)
class ViewExercise:
    """A Garmin exercise as the file names it."""

    category: str
    #: profile name (``wide_hands_push_up``); ``None`` for "category only"
    name: str | None
    #: what the watch shows: the file's exercise_title, else the profile name
    title: str


@dataclass(frozen=True, slots=True)
class ViewStep:
    """One ``workout_step``, decoded."""

    index: int
    #: ``exercise``, ``rest`` or ``repeat``
    kind: str
    intensity: str | None
    #: the step's own name (``wkt_step_name``), when it has one
    step_name: str | None = None
    exercise: ViewExercise | None = None
    #: FIT duration type (``reps``, ``time``, ``open``, ``distance``, …)
    duration_type: str | None = None
    reps: int | None = None
    seconds: float | None = None
    metres: float | None = None
    #: any other duration's raw value (heart rate, calories, power)
    duration_value: int | None = None
    target: str | None = None
    weight_kg: float | None = None
    notes: str | None = None
    #: for a repeat: the first step of the loop, and the rounds (or ``until``)
    repeat_from: int | None = None
    rounds: int | None = None
    until: str | None = None

    @property
    def label(self) -> str:
        """What the step is called: its name, its exercise, or its kind."""
        if self.step_name:
            return self.step_name
        if self.exercise is not None:
            return self.exercise.title
        return "Rest" if self.kind == "rest" else ""

    @property
    def dose(self) -> str:
        """The duration in words: ``15 reps``, ``30 s``, ``lap button``, ``500 m``."""
        text = _duration_text(self)
        if self.weight_kg is not None:
            text += f" @ {self.weight_kg:g} kg"
        if self.target:
            text += f" @ {self.target}"
        return text


@dataclass(slots=True)
class Block:
    """Steps done together: a repeat's loop (``repeat`` set) or the whole workout."""

    items: list[ViewStep | Block] = field(default_factory=list)
    repeat: ViewStep | None = None

    @property
    def first_index(self) -> int:
        first = self.items[0] if self.items else self.repeat
        if isinstance(first, Block):
            return first.first_index
        return first.index if first is not None else 0

    def steps(self) -> Iterator[ViewStep]:
        for item in self.items:
            if isinstance(item, Block):
                yield from item.steps()
            else:
                yield item


@dataclass(frozen=True, slots=True)
class WorkoutView:
    """A workout file, decoded."""

    source: str
    name: str | None
    sport: str | None
    sub_sport: str | None
    num_valid_steps: int | None
    manufacturer: str | None
    product: str | int | None
    serial_number: int | None
    time_created: dt.datetime | None
    steps: tuple[ViewStep, ...]
    #: each Garmin exercise once, in order of first use
    exercises: tuple[ViewExercise, ...]

    def blocks(self) -> Block:
        """The steps as a tree: each repeat wraps the steps it loops over."""
        return fold_repeats(self.steps)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the step table ``fitplug show`` prints."""

    index: int
    #: nesting depth: 0 at the top, 1 inside a repeat that could not be folded into a row
    depth: int
    step: str
    exercise: str
    sets: str
    rest: str
    notes: str


# --- reading --------------------------------------------------------------------


def read_workout(source: str | Path | bytes | BinaryIO) -> WorkoutView:
    """Decode a workout FIT file (path, bytes or binary file object)."""
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
    return _view(name, messages)


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
        text = _value(title, "wkt_step_name")
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
        name=_value(workout, "wkt_name") if workout is not None else None,
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
    step_name = _value(frame, "wkt_step_name") or None
    notes = _value(frame, "notes") or None
    if duration_type in _REPEAT_UNTIL:
        rounds = target_raw if duration_type == "repeat_until_steps_cmplt" else None
        until = None
        if rounds is None:
            until = f"{_REPEAT_UNTIL[duration_type]} {_repeat_target(duration_type, target_raw)}".strip()
        return ViewStep(
            index=index, kind="repeat", intensity=intensity, step_name=step_name,
            duration_type=duration_type, repeat_from=value, rounds=rounds, until=until, notes=notes,
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
        index=index, kind=kind, intensity=intensity, step_name=step_name, exercise=exercise,
        duration_type=duration_type, reps=reps, seconds=seconds, metres=metres, duration_value=other,
        target=_target(frame), weight_kg=float(weight) if isinstance(weight, (int, float)) else None,
        notes=notes,
    )


def _repeat_target(duration_type: str, raw: Any) -> str:
    if raw is None:
        return "?"
    if duration_type == "repeat_until_time":
        return _seconds_text(raw / 1000)
    if duration_type == "repeat_until_distance":
        return _metres_text(raw / 100)
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
        str(kind), str(kind).replace("_", " "))
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


def _seconds_text(seconds: float) -> str:
    if seconds < 120 or seconds % 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"


def _metres_text(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def _duration_text(step: ViewStep) -> str:
    if step.reps is not None:
        return f"{step.reps} reps"
    if step.seconds is not None:
        return _seconds_text(step.seconds)
    if step.metres is not None:
        return _metres_text(step.metres)
    if step.duration_type == "open":
        return "lap button"
    if step.duration_type in ("hr_less_than", "hr_greater_than") and step.duration_value is not None:
        sign = "<" if step.duration_type == "hr_less_than" else ">"
        v = step.duration_value
        return f"until HR {sign} " + (f"{v - 100} bpm" if v > 100 else f"{v} % max")
    if step.duration_type == "calories" and step.duration_value is not None:
        return f"{step.duration_value} kcal"
    if step.duration_type is None:
        return "?"
    value = f" {step.duration_value}" if step.duration_value is not None else ""
    return f"{step.duration_type.replace('_', ' ')}{value}"


# --- folding ----------------------------------------------------------------------


def fold_repeats(steps: tuple[ViewStep, ...] | list[ViewStep]) -> Block:
    """The steps as a tree: a repeat step wraps the items from its ``repeat_from`` on."""
    root = Block()
    for step in steps:
        if step.kind != "repeat":
            root.items.append(step)
            continue
        start = len(root.items)
        while start > 0 and _first(root.items[start - 1]) >= (step.repeat_from or 0):
            start -= 1
        body = root.items[start:]
        del root.items[start:]
        root.items.append(Block(items=body, repeat=step))
    return root


def _first(item: ViewStep | Block) -> int:
    return item.first_index if isinstance(item, Block) else item.index


def rows(view: WorkoutView) -> list[Row]:
    """The step table: a set loop (one exercise, its rest, a repeat) folds into one row."""
    out: list[Row] = []
    _rows(view.blocks().items, 0, out)
    return out


def _rest_text(step: ViewStep) -> str:
    return _duration_text(step) if step.duration_type != "open" else "lap button"


def _one_line(notes: str | None) -> str:
    if not notes:
        return ""
    return " · ".join(line.strip() for line in notes.splitlines() if line.strip())


def _rows(items: list[ViewStep | Block], depth: int, out: list[Row]) -> None:
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, Block):
            repeat = item.repeat
            assert repeat is not None
            times = f"{repeat.rounds} ×" if repeat.rounds is not None else f"until {repeat.until}"
            body = item.items
            simple = (
                repeat.rounds is not None
                and body
                and isinstance(body[0], ViewStep)
                and body[0].kind == "exercise"
                and all(isinstance(b, ViewStep) and b.kind == "rest" for b in body[1:])
                and len(body) <= 2
            )
            if simple:
                work = body[0]
                assert isinstance(work, ViewStep)
                rest = body[1] if len(body) == 2 else None
                out.append(Row(work.index, depth, _step_word(work), work.label, f"{times} {work.dose}",
                               _rest_text(rest) if isinstance(rest, ViewStep) else "", _one_line(work.notes)))
            else:
                span = f"steps {item.first_index}–{repeat.index - 1}"
                label = f"{repeat.step_name}: {span}" if repeat.step_name else span
                out.append(Row(repeat.index, depth, "repeat", label, times, "", _one_line(repeat.notes)))
                _rows(body, depth + 1, out)
            i += 1
            continue
        if item.kind == "rest":
            out.append(Row(item.index, depth, "rest", item.step_name or "", "", _rest_text(item),
                           _one_line(item.notes)))
            i += 1
            continue
        rest_text = ""
        nxt = items[i + 1] if i + 1 < len(items) else None
        if isinstance(nxt, ViewStep) and nxt.kind == "rest" and not nxt.step_name and not nxt.notes:
            rest_text = _rest_text(nxt)
            i += 1
        out.append(Row(item.index, depth, _step_word(item), item.label, item.dose, rest_text,
                       _one_line(item.notes)))
        i += 1


def _step_word(step: ViewStep) -> str:
    return _INTENSITY_WORD.get(step.intensity or "active", step.intensity or "")


# --- output -------------------------------------------------------------------------


def format_table(view: WorkoutView) -> str:
    """The workout as text: a heading line, then one row per step or folded set."""
    sport = "/".join(s for s in (view.sport, view.sub_sport) if s) or "sport not set"
    count = len(view.steps)
    head = f"{view.name or '(no name)'} · {sport} · {count} step{'s' if count != 1 else ''}"
    if view.exercises:
        head += f" · {len(view.exercises)} exercise{'s' if len(view.exercises) != 1 else ''}"
    table = [("#", "step", "exercise", "sets × reps/hold", "rest", "notes")]
    for r in rows(view):
        indent = "  " * r.depth
        table.append((str(r.index), indent + r.step, r.exercise, r.sets, r.rest, r.notes))
    widths = [max(len(row[c]) for row in table) for c in range(5)]
    lines = [head, ""]
    for row in table:
        cells = [row[0].rjust(widths[0])] + [row[c].ljust(widths[c]) for c in range(1, 5)] + [row[5]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def to_json(view: WorkoutView) -> dict[str, Any]:
    """The ``fitplug.show/1`` document (docs/json.md)."""
    return {
        "schema": "fitplug.show/1",
        "file": view.source,
        "file_id": {
            "manufacturer": view.manufacturer,
            "product": view.product,
            "serial_number": view.serial_number,
            "time_created": utc_text(view.time_created),
        },
        "workout": {
            "name": view.name,
            "sport": view.sport,
            "sub_sport": view.sub_sport,
            "num_valid_steps": view.num_valid_steps,
        },
        "exercises": [_exercise_json(e) for e in view.exercises],
        "steps": [_step_json(s) for s in view.steps],
    }


def _exercise_json(e: ViewExercise | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"category": e.category, "name": e.name, "title": e.title}


def _step_json(s: ViewStep) -> dict[str, Any]:
    if s.kind == "repeat":
        return {"index": s.index, "kind": "repeat", "repeat_from": s.repeat_from, "rounds": s.rounds,
                "until": s.until, "name": s.step_name, "notes": s.notes}
    return {
        "index": s.index,
        "kind": s.kind,
        "intensity": s.intensity,
        "name": s.step_name,
        "exercise": _exercise_json(s.exercise),
        "duration_type": s.duration_type,
        "reps": s.reps,
        "seconds": s.seconds,
        "metres": s.metres,
        "duration_value": s.duration_value,
        "target": s.target,
        "weight_kg": s.weight_kg,
        "notes": s.notes,
        "text": s.dose,
    }
