"""Properties: any valid session encodes to a file that reads back as the same steps."""

from __future__ import annotations

import fitdecode
from garmin_fit_sdk import Profile
from hypothesis import given, settings
from hypothesis import strategies as st

from fitplug.model import (
    Exercise,
    GarminExercise,
    Hold,
    Intensity,
    Reps,
    Session,
    SessionKind,
    Tempo,
)
from fitplug.programme.steps import MAX_STEPS, Side, StepType, count_steps, plan_session
from fitplug.watch import workout as F
from fitplug.watch.view import read_workout

#: Garmin exercises a programme may name: any category with its names, or the category alone
_CATALOGUE = sorted(
    (
        (category, name)
        for category in Profile["types"]["exercise_category"].values()
        if category != "unknown"
        for name in [None, *Profile["types"].get(f"{category}_exercise_name", {}).values()][:6]
    ),
    key=lambda pair: (pair[0], pair[1] or ""),
)

_text = (
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(lambda s: 0 < len(s.encode()) <= 31)
)


@st.composite
def exercises(draw: st.DrawFn) -> Exercise:
    category, name = draw(st.sampled_from(_CATALOGUE))
    if draw(st.booleans()):
        low = draw(st.integers(1, 100))
        dose: Reps | Hold = Reps(low, draw(st.integers(low, 100)))
        tempo = draw(st.none() | st.builds(Tempo, st.integers(0, 10), st.integers(0, 10), st.integers(1, 10)))
    else:
        low = draw(st.integers(5, 600))
        dose, tempo = Hold(low, draw(st.integers(low, 600))), None
    per_side = draw(st.booleans())
    return Exercise(
        id="x",
        title=draw(_text),
        garmin=GarminExercise(category, name),
        sets=draw(st.integers(1, 10)),
        dose=dose,
        per_side=per_side,
        tempo=tempo,
        rest_s=draw(st.none() | st.integers(0, 600)),
        side_rest_s=draw(st.integers(0, 120)) if per_side else 0,
        cue=draw(st.text(max_size=60).filter(lambda s: len(s.encode()) <= 120 and s.isprintable())),
        band=draw(st.none() | st.sampled_from(["green", "red", "blue", "black", "gelb"])),
        weight_kg=draw(st.none() | st.floats(0.5, 200).map(lambda w: round(w, 2))),
        intensity=draw(st.sampled_from(list(Intensity))),
    )


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    moves = draw(st.lists(exercises(), min_size=1, max_size=6))
    session = Session(id="s", name=draw(_text), kind=draw(st.sampled_from(list(SessionKind))), exercises=tuple(moves))
    while count_steps(session) > MAX_STEPS:  # the programme checker refuses these
        session = Session(id="s", name=session.name, kind=session.kind, exercises=session.exercises[:-1])
    return session


@settings(max_examples=150, deadline=None)
@given(sessions())
def test_encode_then_read_gives_the_plan(session: Session) -> None:
    data = F.build_workout(session, programme_id="prop").data
    with fitdecode.FitReader(data, check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for _ in reader:
            pass
    view = read_workout(data)
    plan = plan_session(session)
    assert view.num_valid_steps == len(view.steps) == len(plan)
    assert view.name == session.name
    for planned, got in zip(plan, view.steps, strict=True):
        assert got.index == planned.index
        if planned.type is StepType.REPEAT:
            assert (got.kind, got.repeat_from, got.rounds) == ("repeat", planned.repeat_from, planned.rounds)
            continue
        assert got.reps == planned.reps
        assert got.seconds == (planned.seconds if planned.seconds is not None else None)
        if planned.type is StepType.REST:
            assert got.kind == "rest" and got.exercise is None and got.notes is None
            continue
        ex = planned.exercise
        assert ex is not None and got.exercise is not None
        assert (got.exercise.category, got.exercise.name) == (ex.garmin.category, ex.garmin.name)
        assert got.intensity == ex.intensity.value
        if ex.weight_kg is not None:
            assert got.weight_kg is not None and abs(got.weight_kg - ex.weight_kg) < 0.006
        notes = got.notes or ""
        assert len(notes.encode()) <= F.MAX_NOTES_BYTES
        side = {Side.LEFT: "Left", Side.RIGHT: "Right", None: None}[planned.side]
        if side:
            assert notes.splitlines()[0] == side
    # the title the watch shows: the first move's title for each Garmin exercise
    first_titles: dict[tuple[str, str | None], str] = {}
    for ex in session.exercises:
        first_titles.setdefault((ex.garmin.category, ex.garmin.name), ex.title)
    assert {(e.category, e.name): e.title for e in view.exercises} == first_titles
