"""A session → the flat list of workout steps a Garmin watch runs, in Connect's pattern.

Garmin Connect writes sets as a loop: the work step, a rest step, then a
repeat step that jumps back to the work step for the total number of rounds
(so the rest also follows the last set). Per-side work is left then right
inside the loop, with the side switch as a short rest. This module makes that
plan; :mod:`fitplug.fit_workout` encodes it, the programme checker counts it
(a watch takes at most 50 steps), and ``fitplug show`` prints the same shape.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fitplug.model import Exercise, Hold, Reps, Session

#: Garmin Connect's editor refuses workouts of more than 50 steps
MAX_STEPS = 50


class StepType(enum.Enum):
    """The three kinds of workout step."""

    WORK = "work"  #: an exercise: reps, a timed hold, or open (lap button)
    REST = "rest"  #: a rest, timed or open
    REPEAT = "repeat"  #: jump back to ``repeat_from`` until ``rounds`` are done


class Side(enum.Enum):
    """Which side a per-side step works."""

    LEFT = "left"  #: left leg / left side
    RIGHT = "right"  #: right leg / right side


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """One step of the flat list; ``index`` is its FIT ``message_index``."""

    index: int
    type: StepType
    exercise: Exercise | None = None
    side: Side | None = None
    #: reps for a reps step
    reps: int | None = None
    #: seconds for a hold or a timed rest (``None`` with no reps: open, lap button)
    seconds: int | None = None
    #: for a repeat: the first step of the loop, and the total number of rounds
    repeat_from: int | None = None
    rounds: int | None = None


def _work(index: int, exercise: Exercise, side: Side | None) -> PlannedStep:
    dose = exercise.dose
    if isinstance(dose, Reps):
        # A FIT step holds one rep count: the top of the range is the target
        # (the seed's rule is to work until failure within the range).
        return PlannedStep(index, StepType.WORK, exercise, side, reps=dose.high)
    assert isinstance(dose, Hold)
    return PlannedStep(index, StepType.WORK, exercise, side, seconds=dose.high_s)


def plan_exercise(exercise: Exercise, first_index: int) -> list[PlannedStep]:
    """The steps for one exercise, numbered from ``first_index``."""
    steps: list[PlannedStep] = []
    sides: tuple[Side | None, ...] = (Side.LEFT, Side.RIGHT) if exercise.per_side else (None,)
    for n, side in enumerate(sides):
        if n and exercise.side_rest_s:
            steps.append(PlannedStep(first_index + len(steps), StepType.REST, seconds=exercise.side_rest_s))
        steps.append(_work(first_index + len(steps), exercise, side))
    if exercise.rest_s is None or (exercise.rest_s > 0 and exercise.sets > 1):
        steps.append(PlannedStep(first_index + len(steps), StepType.REST, seconds=exercise.rest_s))
    if exercise.sets > 1:
        steps.append(
            PlannedStep(
                first_index + len(steps),
                StepType.REPEAT,
                repeat_from=first_index,
                rounds=exercise.sets,
            )
        )
    return steps


def plan_session(session: Session) -> list[PlannedStep]:
    """Every step of ``session`` in order, indexed 0..n-1."""
    steps: list[PlannedStep] = []
    for exercise in session.exercises:
        steps += plan_exercise(exercise, len(steps))
    return steps


def count_steps(session: Session) -> int:
    return len(plan_session(session))
