"""A workout file read back (:func:`fitplug.watch.view.read_workout`): its steps, repeats folded.

Plain data, built only by the reader; :mod:`fitplug.present.workout` words it
for ``fitplug show``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field


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


@dataclass(frozen=True, slots=True)
class ScheduledWorkout:
    """One entry of a FIT schedules file: a day on the watch's calendar and the workout it points at."""

    #: the watch's wall clock (the file holds local time, no zone)
    local_time: dt.datetime | None
    #: the workout it points at, by its file_id
    serial_number: int | None
    time_created: dt.datetime | None
    completed: bool | None
    #: the workout file beside the schedule with that serial number, and its name (``None``: none there)
    workout_file: str | None = None
    workout_name: str | None = None
    #: a file with that serial is there but was written at another time_created: the watch will not match it
    stale: bool = False


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """A FIT schedules file read back (``fitplug show schedule.fit``)."""

    source: str
    manufacturer: str | None
    product: int | str | None
    serial_number: int | None
    time_created: dt.datetime | None
    entries: tuple[ScheduledWorkout, ...]
