"""The ``[exercises]`` part of a programme: each move, its dose and its Garmin exercise."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fitplug.model import Exercise, GarminExercise, Hold, Intensity, Reps, Tempo
from fitplug.programme import fields as f
from fitplug.programme.exercises import exercises as profile_tables
from fitplug.programme.fields import KeyPath, Problems

#: wkt_name and exercise titles: Garmin Connect's name field is 32 bytes with the NUL
MAX_NAME_BYTES = 31
#: a cue goes into the step's notes with the dose, tempo, side and band (200 bytes in all)
MAX_CUE_BYTES = 120

_KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
_TEMPO = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*-\s*(\d+)\s*$")

_EXERCISE_KEYS = (
    "title",
    "garmin",
    "sets",
    "reps",
    "hold_s",
    "per_side",
    "tempo",
    "rest_s",
    "side_rest_s",
    "cue",
    "equipment",
    "band",
    "weight_kg",
    "intensity",
)


@dataclass(frozen=True, slots=True)
class KnownExercise:
    """A move fitplug knows: the title the watch shows and the closest Garmin exercise."""

    title: str
    garmin: str


#: Moves of the glute programme with their default Garmin exercises. Categories
#: 0–32 are preferred: every category in Garmin Connect's own strength file is
#: below 33, and reports say some watches reject the newer ones.
KNOWN_EXERCISES: Mapping[str, KnownExercise] = {
    "glute_bridge": KnownExercise("Glute Bridge", "hip_raise/hip_raise"),
    "banded_leg_raise": KnownExercise("Banded Leg Raise", "hip_stability/band_side_lying_leg_raise"),
    "stacked_leg_stretch": KnownExercise("Stacked-leg Glute Stretch", "warm_up/stretch_forward_glutes"),
    "standing_figure_four": KnownExercise("Standing Figure-Four", "warm_up/stretch_piriformis"),
    "seated_figure_four": KnownExercise("Seated Figure-Four", "warm_up/stretch_piriformis"),
    "lying_figure_four": KnownExercise("Lying Figure-Four", "warm_up/stretch_lying_piriformis"),
    "pigeon_pose": KnownExercise("Pigeon Pose", "warm_up/stretch_pigeon_pose"),
    "glutes_stretch": KnownExercise("Glutes Stretch", "warm_up/glutes_stretch"),
}


@dataclass(slots=True)
class ExerciseTable:
    """What the sessions and the post-run set need from ``[exercises]``."""

    #: the exercises that passed, by key
    found: dict[str, Exercise] = field(default_factory=dict)
    #: every key given, for suggestions
    keys: list[str] = field(default_factory=list)
    #: keys that had their own problems (not reported again where they are used)
    failed: set[str] = field(default_factory=set)


def profile_exercises() -> dict[str, dict[str, int]]:
    """Exercise categories of the FIT profile with their names (``unknown`` left out)."""
    return {c: names for c, names in profile_tables().items() if c != "unknown"}


def check_exercises(problems: Problems, raw: Any) -> ExerciseTable:
    path: KeyPath = ("exercises",)
    if not isinstance(raw, dict):
        problems.fail(path, f"must be a table of exercises, got {f.kind_of(raw)}")
        return ExerciseTable()
    result = ExerciseTable(keys=list(raw))
    for key, body in raw.items():
        part = problems.part()
        exercise = None
        if _KEY.match(key):
            exercise = _exercise(part, key, body)
        else:
            part.fail((*path, key), "exercise keys are 1–40 lowercase letters, digits or '_'")
        if exercise is not None:
            result.found[key] = exercise
        if part.found:
            result.failed.add(key.split(".")[0])
    return result


def _exercise(problems: Problems, key: str, raw: Any) -> Exercise | None:
    path: KeyPath = ("exercises", key)
    table = f.table(problems, raw, path, _EXERCISE_KEYS)
    known = KNOWN_EXERCISES.get(key)
    default_title = known.title if known else key.replace("_", " ").capitalize()
    title = f.text(problems, table, path, "title", default=default_title, max_bytes=MAX_NAME_BYTES, name=True)
    garmin = _garmin(problems, table, path, known)
    sets = f.integer(problems, table, path, "sets", 1, 10, default=1)
    dose = _dose(problems, table, path)
    per_side = f.get(problems, table, path, "per_side", bool, default=False)
    tempo = _tempo(problems, table["tempo"], (*path, "tempo")) if "tempo" in table else None
    if tempo is not None and isinstance(dose, Hold):
        problems.fail((*path, "tempo"), "a tempo goes with reps, not with a hold")
    rest_s = _rest(problems, table, path)
    side_rest_s = f.integer(problems, table, path, "side_rest_s", 0, 120, default=0, unit=" seconds")
    if side_rest_s and not per_side:
        problems.fail((*path, "side_rest_s"), "only means something with per_side = true")
    cue = f.text(
        problems,
        table,
        path,
        "cue",
        default="",
        max_bytes=MAX_CUE_BYTES,
        why="a cue shares the watch's 200-byte step notes, so it is at most",
    )
    equipment = f.text(problems, table, path, "equipment", default=None, max_chars=40)
    band = f.text(problems, table, path, "band", default=None, max_chars=20)
    if band and not equipment:
        equipment = "resistance band"
    weight = _weight(problems, table, path)
    intensity = _intensity(problems, table, path)
    if problems.found or title is None or garmin is None or sets is None or dose is None:
        return None
    return Exercise(
        id=key,
        title=title,
        garmin=garmin,
        sets=sets,
        dose=dose,
        per_side=bool(per_side),
        tempo=tempo,
        rest_s=rest_s,
        side_rest_s=side_rest_s or 0,
        cue=cue or "",
        equipment=equipment,
        band=band,
        weight_kg=weight,
        intensity=intensity,
    )


def _garmin(
    problems: Problems, table: Mapping[str, Any], path: KeyPath, known: KnownExercise | None
) -> GarminExercise | None:
    value = f.get(problems, table, path, "garmin", str, default=known.garmin if known else None)
    full = (*path, "garmin")
    if value is None:
        if "garmin" not in table:
            problems.fail(
                full,
                'is required for a move fitplug does not know: set garmin = "category/name" (see `fitplug exercises`)',
            )
        return None
    category, _, name = value.partition("/")
    profile = profile_exercises()
    if category not in profile:
        problems.fail(full, f"unknown Garmin exercise category {category!r}{f.suggest(category, profile)}")
        return None
    if name and name not in profile[category]:
        every = [f"{c}/{n}" for c, names in profile.items() for n in names]
        problems.fail(full, f"{value!r} is not in the FIT profile{f.suggest(value, every)}")
        return None
    return GarminExercise(category, name or None, profile[category].get(name) if name else None)


def _dose(problems: Problems, table: Mapping[str, Any], path: KeyPath) -> Reps | Hold | None:
    if ("reps" in table) == ("hold_s" in table):
        problems.fail(path, 'give exactly one of reps (e.g. "12-15") or hold_s (e.g. "20-30")')
        return None
    if "reps" in table:
        pair = f.range_(problems, table["reps"], (*path, "reps"), 1, 100, " reps")
        return Reps(*pair) if pair else None
    pair = f.range_(problems, table["hold_s"], (*path, "hold_s"), 5, 600, " seconds")
    return Hold(*pair) if pair else None


def _tempo(problems: Problems, value: Any, path: KeyPath) -> Tempo | None:
    parts: list[int] | None = None
    if isinstance(value, str) and (m := _TEMPO.match(value)):
        parts = [int(g) for g in m.groups()]
    elif isinstance(value, list) and len(value) == 3 and all(f.is_int(v) for v in value):
        parts = list(value)
    if parts is None:
        problems.fail(path, f'must be lift-pause-lower seconds like "1-2-3", got {value!r}')
        return None
    if not all(0 <= p <= 10 for p in parts) or sum(parts) == 0:
        problems.fail(path, f"each phase must be 0–10 seconds and not all 0, got {value!r}")
        return None
    return Tempo(*parts)


def _rest(problems: Problems, table: Mapping[str, Any], path: KeyPath) -> int | None:
    value = table.get("rest_s", 0)
    if value == "lap":
        return None  # rest until the lap button
    if f.is_int(value) and 0 <= value <= 600:
        return int(value)
    problems.fail((*path, "rest_s"), f'must be 0–600 seconds or "lap" (until the lap button), got {value!r}')
    return 0


def _weight(problems: Problems, table: Mapping[str, Any], path: KeyPath) -> float | None:
    weight = f.get(problems, table, path, "weight_kg", float, default=None)
    if isinstance(weight, float) and not 0 < weight <= 500:
        problems.fail((*path, "weight_kg"), f"must be between 0 and 500 kg, got {weight}")
    return weight


def _intensity(problems: Problems, table: Mapping[str, Any], path: KeyPath) -> Intensity:
    name = f.get(problems, table, path, "intensity", str, default="active")
    if isinstance(name, str):
        try:
            return Intensity(name)
        except ValueError:
            problems.fail((*path, "intensity"), f"must be 'warmup' or 'active', got {name!r}")
    return Intensity.ACTIVE
