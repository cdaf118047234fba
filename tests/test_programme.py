"""The programme format: templates and examples load, every bad file gets its exact message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import DATA, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitplug.errors import ProgrammeError
from fitplug.model import Hold, Intensity, Reps, SessionKind, Tempo, Weekday
from fitplug.programme import exercises
from fitplug.programme import load as P
from fitplug.programme.steps import count_steps

INVALID = sorted((DATA / "programmes" / "invalid").glob("*.toml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


@pytest.mark.parametrize("name", P.template_names())
def test_every_template_loads(name: str) -> None:
    loaded = P.parse_programme(P.template_text(name), name)
    assert loaded.sessions or loaded.post_run
    if loaded.post_run is not None:
        assert loaded.post_run.name == "Post-run Stretch"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    assert P.load_programme(path).source == str(path)


def test_templates_are_the_four_promised() -> None:
    assert P.template_names() == ["band-strength", "glute-runner", "post-run", "stretches"]
    assert P.DEFAULT_TEMPLATE in P.template_names()


def test_default_programme_says_what_the_sources_say() -> None:
    prog = P.parse_programme(P.template_text("glute-runner"))
    (strength,) = prog.sessions
    assert strength.kind is SessionKind.STRENGTH
    assert strength.days == (Weekday.TUE, Weekday.FRI)
    assert strength.time == dt.time(7, 0)
    ids = [e.id for e in strength.exercises]
    assert ids == [
        "glute_bridge",
        "banded_leg_raise",
        "stacked_leg_stretch",
        "standing_figure_four",
        "lying_figure_four",
        "pigeon_pose",
    ]
    bridge, band, *stretches = strength.exercises
    assert bridge.intensity is Intensity.WARMUP and bridge.dose == Reps(12, 15) and bridge.sets == 3
    assert str(bridge.garmin) == "hip_raise/hip_raise"
    assert band.per_side and band.tempo == Tempo(1, 2, 3) and band.sets == 3 and band.dose == Reps(12, 15)
    assert band.band == "green" and band.equipment == "resistance band"
    assert all(s.per_side and s.dose == Hold(20, 30) and s.sets == 1 for s in stretches)
    assert str(stretches[-1].garmin) == "warm_up/stretch_pigeon_pose"
    assert prog.post_run is not None
    assert [e.id for e in prog.post_run.always] == ["pigeon_pose"] and prog.post_run.per_run == 2
    assert (prog.targets.stretch_days_min, prog.targets.stretch_days_max) == (2, 3)
    assert count_steps(strength) <= 50


def test_example_is_the_default_template() -> None:
    assert (ROOT / "examples" / "glute-runner.toml").read_text() == P.template_text("glute-runner")


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_programme_message(path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(ProgrammeError) as info:
        P.load_programme(path)
    assert str(info.value) == expected.replace("{file}", str(path))
    assert all(p.key_path or p.line for p in info.value.problems)


def test_invalid_cases_cover_the_issue() -> None:
    names = {p.stem for p in INVALID}
    assert {
        "unknown-keys",
        "wrong-types",
        "out-of-range",
        "bad-timezone",
        "bad-garmin-names",
        "too-many-steps",
        "names-too-long",
        "syntax-error",
    } <= names


def test_all_problems_at_once() -> None:
    with pytest.raises(ProgrammeError) as info:
        P.load_programme(DATA / "programmes" / "invalid" / "out-of-range.toml")
    assert len(info.value.problems) >= 10


def test_reps_and_holds_in_every_spelling() -> None:
    base = '[programme]\nid="p"\nname="P"\ntimezone="UTC"\n[post_run]\nalways=["a"]\n[exercises.a]\ngarmin="warm_up"\n'
    for spelling, dose in [
        ("reps = 12", Reps(12, 12)),
        ('reps = "12-15"', Reps(12, 15)),
        ('reps = "12–15"', Reps(12, 15)),
        ("reps = [12, 15]", Reps(12, 15)),
        ('hold_s = "20-30"', Hold(20, 30)),
        ("hold_s = 45", Hold(45, 45)),
    ]:
        prog = P.parse_programme(base + spelling)
        assert prog.post_run is not None and prog.post_run.always[0].dose == dose, spelling


def test_rest_until_lap_button() -> None:
    text = P.template_text("band-strength").replace("rest_s = 60", 'rest_s = "lap"')
    (session,) = P.parse_programme(text).sessions
    assert session.exercises[0].rest_s is None


def test_toml_local_time_is_accepted() -> None:
    text = P.template_text("band-strength").replace('time = "07:00"', "time = 06:45:00")
    assert P.parse_programme(text).sessions[0].time == dt.time(6, 45)


def test_index_lines_knows_tables_arrays_and_keys() -> None:
    text = P.template_text("glute-runner")
    lines = P.index_lines(text)
    source = text.splitlines()
    assert source[lines["programme.timezone"] - 1].startswith("timezone")
    assert source[lines["exercises.pigeon_pose"] - 1] == "[exercises.pigeon_pose]"
    assert source[lines["sessions[0].days"] - 1].startswith("days")
    assert source[lines["post_run.per_run"] - 1].startswith("per_run")


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"# " + b"x" * P.MAX_FILE_BYTES + b"\n")
    with pytest.raises(ProgrammeError, match="a programme is at most"):
        P.load_programme(path)


def test_deep_nesting_is_a_clear_error() -> None:
    with pytest.raises(ProgrammeError) as info:
        P.parse_programme("x = " + "[" * 5000 + "]" * 5000)
    assert "nested too deeply" in str(info.value) or "syntax" in str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[programme]\nname = "\xe9"\n')
    with pytest.raises(ProgrammeError, match=r"latin1.toml:2: not UTF-8 text"):
        P.load_programme(path)


def test_unknown_template() -> None:
    with pytest.raises(ProgrammeError, match="no template 'glute'"):
        P.template_text("glute")


def test_list_exercises_from_profile() -> None:
    assert "warm_up/stretch_pigeon_pose" in P.list_exercises("warm_up")
    assert any(line.startswith("hip_stability (") for line in P.list_exercises())


_TEMPLATE_LINES = [line for name in P.template_names() for line in P.template_text(name).splitlines()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(P.template_names()), st.data())
def test_mutated_templates_end_in_a_programme_or_a_programme_error(name: str, data: st.DataObject) -> None:
    lines = P.template_text(name).splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["drop", "dup", "swap_in", "garble"]))
        i = data.draw(st.integers(0, len(lines) - 1))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap_in":
            lines[i] = data.draw(st.sampled_from(_TEMPLATE_LINES))
        else:
            j = data.draw(st.integers(0, max(0, len(lines[i]))))
            lines[i] = lines[i][:j] + data.draw(st.text(max_size=8)) + lines[i][j:]
        if not lines:
            lines = [""]
    try:
        P.parse_programme("\n".join(lines), "mutant.toml")
    except ProgrammeError as exc:
        assert str(exc) and all(p.message for p in exc.problems)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_random_text_ends_in_a_programme_error(text: str) -> None:
    with pytest.raises(ProgrammeError):
        P.parse_programme(text, "random.toml")


def test_parsing_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("FITPLUG_DATA_DIR", str(data))
    monkeypatch.setattr(exercises, "_cache", None)
    assert P.parse_programme(P.template_text("glute-runner")).sessions
    assert not data.exists()


def test_exercise_tables_come_from_the_package_data_when_there(monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = {"sdk_version": "0.0.0", "exercises": {"warm_up": {"stretch_pigeon_pose": 7}}}
    monkeypatch.setattr(exercises, "read_package_data", lambda: packaged)
    monkeypatch.setattr(exercises, "_cache", None)
    assert exercises.exercises() == {"warm_up": {"stretch_pigeon_pose": 7}}
    monkeypatch.setattr(exercises, "read_package_data", lambda: None)
    monkeypatch.setattr(exercises, "_cache", None)
    assert exercises.exercises() == exercises.tables_from_sdk()
    assert exercises.exercises()["warm_up"]["stretch_pigeon_pose"] > 0


def test_the_exercise_tables_need_no_fitplug_module() -> None:
    """setup.py loads exercises.py by path at build time, and it writes no cache."""
    import ast

    tree = ast.parse(Path(exercises.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not [m for m in imported if m.startswith("fitplug")]
