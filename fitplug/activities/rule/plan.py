"""Plan against done: a strength activity beside the session the programme planned (pure: no I/O).

Which session: the fitplug workout the activity names; else the strength
session planned on its local day; else the programme's only strength session.
Each planned exercise gets the active sets recorded as its Garmin exercise,
in order (a watch records one set a side), so a runner sees "Banded Leg
Raise: 5 of 6 sets, 14 13 13 12 11 (12–15)".
"""

from __future__ import annotations

import datetime as dt

from fitplug.activities.rule.classify import active_sets, exercise_key, set_matches
from fitplug.model import (
    ActivityKind,
    ActivitySummary,
    Classification,
    ExerciseDone,
    FoundBy,
    PlanAgainstDone,
    Programme,
    Session,
    SessionKind,
    SetRecord,
)
from fitplug.programme.schedule import zone
from fitplug.programme.steps import StepType, plan_session


def _session_for(summary: ActivitySummary, c: Classification, programme: Programme) -> tuple[Session, FoundBy] | None:
    if c.kind != ActivityKind.STRENGTH:
        return None
    if c.session is not None:
        return c.session, FoundBy.WORKOUT_NAME
    strength = [s for s in programme.sessions if s.kind is SessionKind.STRENGTH]
    weekday = summary.start_utc.astimezone(zone(programme.timezone)).weekday()
    on_day = [s for s in strength if weekday in s.days]
    if on_day:
        return on_day[0], FoundBy.PLANNED_THAT_DAY
    if len(strength) == 1:
        return strength[0], FoundBy.ONLY_SESSION
    return None


def _by_step(active: list[SetRecord], session: Session, steps: dict[int, dict[int, int]] | None) -> dict[int, int]:
    """Active set → exercise position, for the sets whose ``wkt_step_index`` names a work step of the
    workout fitplug wrote for ``session`` (:func:`~fitplug.programme.steps.plan_session`); ``steps``: the
    caller's own map of each session's steps, filled here, so a call over many activities plans each once."""
    step_exercise = steps.get(id(session)) if steps is not None else None
    if step_exercise is None:
        position = {id(ex): n for n, ex in enumerate(session.exercises)}
        step_exercise = {
            st.index: position[id(st.exercise)]
            for st in plan_session(session)
            if st.type is StepType.WORK and st.exercise
        }
        if steps is not None:
            steps[id(session)] = step_exercise
    return {
        i: step_exercise[s.wkt_step_index]
        for i, s in enumerate(active)
        if s.wkt_step_index is not None and s.wkt_step_index in step_exercise
    }


def plan_against_done(
    summary: ActivitySummary,
    c: Classification,
    programme: Programme,
    since: dt.datetime | None = None,
    *,
    steps: dict[int, dict[int, int]] | None = None,
) -> PlanAgainstDone | None:
    """The strength ``summary`` (classified as ``c``) beside its planned session; ``None`` for anything else,
    and for a session before ``since`` (the tracking start: nothing before it is held against the plan)."""
    if since is not None and summary.sessions and summary.start_utc < since:
        return None
    found = _session_for(summary, c, programme)
    if found is None:
        return None
    session, by = found
    active = active_sets(summary)
    claimed: dict[int, int] = {}  # active set → exercise position
    planned = [ex.sets * (2 if ex.per_side else 1) for ex in session.exercises]
    if by is FoundBy.WORKOUT_NAME:  # done from fitplug's workout: its step indices say which exercise
        claimed.update(_by_step(active, session, steps))
    # then each exercise takes its planned number of matching sets, in order; extra sets of a
    # Garmin exercise then go to the first planned exercise recorded as it
    taken = [0] * len(planned)  # sets claimed by each exercise so far
    for v in claimed.values():
        taken[v] += 1
    for limit in (planned, [len(active)] * len(planned)):
        for n, ex in enumerate(session.exercises):
            key = exercise_key(ex)
            for i, s in enumerate(active):
                if i not in claimed and taken[n] < limit[n] and set_matches(s.category, s.exercise_name, key):
                    claimed[i] = n
                    taken[n] += 1
    done = tuple(
        ExerciseDone(ex, planned[n], tuple(active[i] for i in sorted(claimed) if claimed[i] == n))
        for n, ex in enumerate(session.exercises)
    )
    return PlanAgainstDone(session, by, done, len(active) - len(claimed))
