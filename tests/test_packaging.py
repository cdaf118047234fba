"""A plain `pip install .` carries the templates and the FIT profile's exercise tables."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata

import pytest
from conftest import ROOT

from fitplug.programme import exercises
from fitplug.programme import load as programme


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    # build from a copy, so the checkout gets no build/ or egg-info
    tmp_path = tmp_path_factory.mktemp("wheel")
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "exercises.json")
    for name in ("fitplug", "templates"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    # the build environment gets the garmin-fit-sdk installed here, so the tables can be compared
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(f"garmin-fit-sdk=={metadata.version('garmin-fit-sdk')}\n")
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_CONSTRAINT": str(constraints)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (path,) = (tmp_path / "dist").glob("fitplug-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_carries_templates_and_type_marker(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for template in programme.template_names():
        assert f"fitplug/templates/{template}.toml" in names
    assert "fitplug/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]


def test_wheel_carries_the_sdk_exercise_tables(wheel: zipfile.ZipFile) -> None:
    doc = json.loads(wheel.read("fitplug/programme/exercises.json"))
    assert doc["sdk_version"] == exercises.sdk_version()
    assert doc["exercises"] == exercises.tables_from_sdk()
    assert (
        doc["exercises"]["warm_up"]["stretch_pigeon_pose"]
        == exercises.tables_from_sdk()["warm_up"]["stretch_pigeon_pose"]
    )


def test_wheel_carries_every_module(wheel: zipfile.ZipFile) -> None:
    """Every module of the source tree is in the wheel (a subpackage missing from pyproject's
    list installs fine and fails only when a command imports it)."""
    names = set(wheel.namelist())
    modules = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "fitplug").rglob("*.py"))
    assert modules and [m for m in modules if m not in names] == []
