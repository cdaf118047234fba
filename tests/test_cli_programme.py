"""`fitplug init`, `templates`, `check`, `exercises` end to end."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import DATA, Invoke

from fitplug.programme import load as P


def test_templates_lists_all(invoke: Invoke) -> None:
    result = invoke("templates")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == P.template_names()
    assert lines[1].endswith("(default)") and lines[1].startswith("glute-runner")


def test_init_writes_default_and_remembers(invoke: Invoke, tmp_path: Path, fitplug_home: Path) -> None:
    target = tmp_path / "mine.toml"
    result = invoke("--now", "2026-12-01T23:30:00+00:00", "init", str(target))
    assert result.exit_code == 0
    assert result.output == (
        f"Wrote {target} from the default template; edit it, then run:\n"
        f"  fitplug build {target}\n"
        "Tracking starts on Tue 01 Dec 2026 (start in the file; move it if you began earlier).\n"
        f"Remembered {target} as the programme for later commands.\n"
    )
    # the template, with today (in the programme's zone, London) as the day the runner starts
    template = P.template_text("glute-runner")
    assert "# start = 2026-11-18" in template
    assert target.read_text() == template.replace("# start = 2026-11-18", "start = 2026-12-01")
    assert P.load_programme(target).start == dt.date(2026, 12, 1)
    settings = json.loads((fitplug_home / "config" / "settings.json").read_text())
    assert settings["programme"] == str(target.resolve())
    again = invoke("check")  # the remembered programme
    assert again.exit_code == 0 and again.output.startswith(f"{target.resolve()}: ok")


@pytest.mark.parametrize("name", P.template_names())
def test_init_each_template(invoke: Invoke, tmp_path: Path, name: str) -> None:
    target = tmp_path / f"{name}.toml"
    result = invoke("--now", "2026-12-01T12:00:00+00:00", "init", "--template", name, str(target))
    assert result.exit_code == 0
    loaded = P.load_programme(target)
    assert loaded.id and loaded.start == dt.date(2026, 12, 1)  # every template gets the day it was written


def test_init_refuses_to_overwrite(invoke: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    target.write_text("my own edits")
    result = invoke("init", str(target))
    assert result.exit_code == 1
    assert result.output == f"Error: {target} exists; use --force to overwrite it\n"
    assert target.read_text() == "my own edits"
    forced = invoke("--now", "2026-12-01T12:00:00+00:00", "init", "--force", str(target))
    assert forced.exit_code == 0
    assert target.read_text() == P.template_text("glute-runner").replace("# start = 2026-11-18", "start = 2026-12-01")


def test_init_unknown_template(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("init", "-t", "glute", str(tmp_path / "x.toml"))
    assert result.exit_code == 1
    assert result.output == (
        "Error: no template 'glute'; templates: band-strength, glute-runner, post-run, stretches\n"
    )
    assert not (tmp_path / "x.toml").exists()


def test_check_summarises(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(P.template_text("glute-runner"))
    result = invoke("check", str(path))
    assert result.exit_code == 0
    assert "Glute Strength & Mobility: Tue, Fri at 07:00, about 35 min, 6 exercises, 20 watch steps" in result.output
    assert "Post-run 2 Stretch: Pigeon Pose + Standing Figure-Four" in result.output


@pytest.mark.parametrize("path", sorted((DATA / "programmes" / "invalid").glob("*.toml")), ids=lambda p: p.stem)
def test_check_invalid_exit_1_with_every_problem(invoke: Invoke, path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").rstrip("\n")
    result = invoke("check", str(path))
    assert result.exit_code == 1
    assert result.output == "Error: " + expected.replace("{file}", str(path)) + "\n"


def test_check_without_programme(invoke: Invoke) -> None:
    result = invoke("check")
    assert result.exit_code == 1
    assert result.output == "Error: no programme given and none remembered; name one, or run `fitplug init`\n"


def test_exercises(invoke: Invoke) -> None:
    result = invoke("exercises", "warm_up")
    assert "warm_up/stretch_pigeon_pose\n" in result.output
    # a category's name a typo away is found as a category, ready to list
    assert invoke("exercises", "warmup").output.splitlines()[0] == "warm_up (91 exercises): fitplug exercises warm_up"
    bad = invoke("exercises", "xyzzy")
    assert bad.exit_code == 1
    assert bad.output == (
        "Error: no Garmin exercise or category matches 'xyzzy'; `fitplug exercises` lists the categories\n"
    )


def test_exercises_search_names_in_any_order_typos_forgiven(invoke: Invoke) -> None:
    """The issue's case: `glute` is no category, but the profile has glute exercises; every line pastes
    as `garmin = "category/name"`."""
    glute = invoke("exercises", "glute").output.splitlines()
    for name in ("glute_bridge", "glutes_stretch", "bridge_with_glute_lower_lift", "stretch_forward_glutes"):
        assert any(line.endswith(f"/{name}") for line in glute), name
    assert all(re.fullmatch(r"[a-z_]+/[a-z0-9_]+", line) for line in glute)
    # words in any order, a typo forgiven; an entry matched as typed ranks before one that needed the typo
    assert (
        invoke("exercises", "raise leg band side").output.splitlines()[0] == "hip_stability/band_side_lying_leg_raise"
    )
    assert "banded_exercises/glute_bridge" in invoke("exercises", "brige glut").output.splitlines()
    pigeon = invoke("exercises", "pigeon").output.splitlines()
    assert pigeon[:2] == ["warm_up/stretch_pigeon_pose", "pose/one_legged_pigeon"]
    # "warm up" names the category, not its 91 names; short words are not taken for typos
    assert len(invoke("exercises", "warm up").output.splitlines()) < 5
    listing = invoke("exercises").output.splitlines()
    assert "elliptical (1 exercise)" in listing and "hip_stability (35 exercises)" in listing


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help(invoke: Invoke, flag: str) -> None:
    result = invoke(flag)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: cli [OPTIONS] COMMAND [ARGS]...\n")
    assert "\nCommands:\n" in result.output
