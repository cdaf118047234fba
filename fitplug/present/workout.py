"""``fitplug show``'s words for a workout read back (the step table, ``fitplug.show/1``) and for a schedules
file (its days, ``fitplug.schedule/1``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fitplug.model import Block, ScheduleView, ViewExercise, ViewStep, WorkoutView
from fitplug.times import utc_text

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
    #: a repeat block's row spans steps ``index`` to this (its repeat step), listed before its steps
    last_index: int | None = None

    @property
    def number(self) -> str:
        """The ``#`` column: ``0``, or ``3–7`` for a repeat block (so the column reads in order)."""
        return str(self.index) if self.last_index is None else f"{self.index}–{self.last_index}"


def dose_text(step: ViewStep) -> str:
    """The duration in words: ``15 reps``, ``30 s``, ``lap button``, ``500 m``."""
    text = _duration_text(step)
    if step.weight_kg is not None:
        text += f" @ {step.weight_kg:g} kg"
    if step.target:
        text += f" @ {step.target}"
    return text


def seconds_text(seconds: float) -> str:
    """``30 s``, ``90 s``, ``5 min``."""
    if seconds < 120 or seconds % 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"


def metres_text(metres: float) -> str:
    """``500 m``, ``1.5 km``."""
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def _duration_text(step: ViewStep) -> str:
    if step.reps is not None:
        return f"{step.reps} reps"
    if step.seconds is not None:
        return seconds_text(step.seconds)
    if step.metres is not None:
        return metres_text(step.metres)
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
                out.append(
                    Row(
                        work.index,
                        depth,
                        _step_word(work),
                        work.label,
                        f"{times} {dose_text(work)}",
                        _rest_text(rest) if isinstance(rest, ViewStep) else "",
                        _one_line(work.notes),
                    )
                )
            else:
                span = f"steps {item.first_index}–{repeat.index - 1}"
                label = f"{repeat.step_name}: {span}" if repeat.step_name else span
                out.append(
                    Row(item.first_index, depth, "repeat", label, times, "", _one_line(repeat.notes), repeat.index)
                )
                _rows(body, depth + 1, out)
            i += 1
            continue
        if item.kind == "rest":
            out.append(
                Row(item.index, depth, "rest", item.step_name or "", "", _rest_text(item), _one_line(item.notes))
            )
            i += 1
            continue
        rest_text = ""
        nxt = items[i + 1] if i + 1 < len(items) else None
        if isinstance(nxt, ViewStep) and nxt.kind == "rest" and not nxt.step_name and not nxt.notes:
            rest_text = _rest_text(nxt)
            i += 1
        out.append(
            Row(item.index, depth, _step_word(item), item.label, dose_text(item), rest_text, _one_line(item.notes))
        )
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
        table.append((r.number, indent + r.step, r.exercise, r.sets, r.rest, r.notes))
    widths = [max(len(row[c]) for row in table) for c in range(5)]
    lines = [head, ""]
    for row in table:
        cells = [row[0].rjust(widths[0])] + [row[c].ljust(widths[c]) for c in range(1, 5)] + [row[5]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _file_id_json(view: WorkoutView | ScheduleView) -> dict[str, Any]:
    """A FIT file's ``file_id`` as both ``show`` documents give it."""
    return {
        "manufacturer": view.manufacturer,
        "product": view.product,
        "serial_number": view.serial_number,
        "time_created": utc_text(view.time_created),
    }


def to_json(view: WorkoutView) -> dict[str, Any]:
    """The ``fitplug.show/1`` document (docs/json.md)."""
    return {
        "schema": "fitplug.show/1",
        "file": view.source,
        "file_id": _file_id_json(view),
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
        return {
            "index": s.index,
            "kind": "repeat",
            "repeat_from": s.repeat_from,
            "rounds": s.rounds,
            "until": s.until,
            "name": s.step_name,
            "notes": s.notes,
        }
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
        "text": dose_text(s),
    }


# --- schedules ------------------------------------------------------------------------


def schedule_table(view: ScheduleView) -> str:
    """A schedules file as text: a heading, then one line a day: date, the watch's local time, the
    workout's name and file beside it (or what is wrong: not beside it, another version of it)."""
    lines = [f"Schedule · {len(view.entries)} day{'s' if len(view.entries) != 1 else ''} on the watch's calendar", ""]
    table = [("date", "time", "workout", "file")]
    for e in view.entries:
        when = e.local_time
        if e.workout_file is None:
            file = f"not beside it (serial {e.serial_number})"
        elif e.stale:
            file = f"{e.workout_file}: another version (time_created differs): the watch will not find it"
        else:
            file = e.workout_file
        table.append(
            (f"{when:%a %d %b %Y}" if when else "?", f"{when:%H:%M}" if when else "?", e.workout_name or "?", file)
        )
    widths = [max(len(row[c]) for row in table) for c in range(3)]
    for row in table:
        lines.append("  ".join([*(row[c].ljust(widths[c]) for c in range(3)), row[3]]).rstrip())
    return "\n".join(lines) + "\n"


def schedule_json(view: ScheduleView) -> dict[str, Any]:
    """The ``fitplug.schedule/1`` document (docs/json.md)."""
    return {
        "schema": "fitplug.schedule/1",
        "file": view.source,
        "file_id": _file_id_json(view),
        "entries": [
            {
                "local_time": e.local_time.isoformat() if e.local_time else None,
                "serial_number": e.serial_number,
                "time_created": utc_text(e.time_created),
                "completed": e.completed,
                "workout_file": e.workout_file,
                "workout_name": e.workout_name,
                "stale": e.stale,
            }
            for e in view.entries
        ],
    }
